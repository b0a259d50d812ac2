/** Settings of the Kubernetes nodes (seed 001's group_vars/k8s-cluster.yml). */
import type { ContainerdParams } from '../roles/index.ts'

export default {
  containerd: {
    // Seed 001 installs containerd.io 1.7.27 from Docker's repository; the distribution's package
    // is the default here because it needs no third-party key (set source: 'docker' to switch).
    // The pause image follows kubernetes.version (containerd.kubernetesVersion overrides it).
    source: 'distro',
    systemdCgroup: true,
  } satisfies Partial<ContainerdParams>,
}
