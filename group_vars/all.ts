/**
 * Cluster-wide settings (seed 001's group_vars/all.yml). Each role reads its own key; shared values
 * are plain constants, so one edit here reaches every role that needs them.
 */
import type { CommonParams, ContainerdParams } from '../roles/index.ts'

/** Kubernetes release of the cluster (kubeadm/kubelet/kubectl, and containerd's pause image). */
export const kubernetesVersion = '1.31.4'

export default {
  common: {
    // /etc/hosts gets every node of the cluster, the load balancer included.
    clusterGroup: 'all',
  } satisfies Partial<CommonParams>,
  containerd: {
    kubernetesVersion,
  } satisfies Partial<ContainerdParams>,
}
