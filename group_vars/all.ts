/**
 * Cluster-wide settings (seed 001's group_vars/all.yml). Each role reads its own key. The Kubernetes
 * release is `kubernetes.version` (the roles' default: 1.31.4); containerd's pause image follows it.
 */
import type { CommonParams } from 'kubeplay/roles'

export default {
  common: {
    // /etc/hosts gets every node of the cluster, the load balancer included.
    clusterGroup: 'all',
  } satisfies Partial<CommonParams>,
}
