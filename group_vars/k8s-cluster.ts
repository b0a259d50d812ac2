/**
 * Settings of the Kubernetes nodes (seed 001's group_vars/k8s-cluster.yml). Kubernetes itself comes
 * from the offline bundle by default (kubernetes.packageSource 'artifacts': build it once with
 * npm run bundle -- --kubernetes 1.31.4); to install from pkgs.k8s.io instead, add
 * kubernetes: { packageSource: 'pkgs.k8s.io', repoKeySha256: '<sha256 of the repository key>' }.
 */
import type { ContainerdParams } from 'kubeplay/roles'

export default {
  containerd: {
    // Seed 001 installs containerd.io 1.7.27 from Docker's repository; the distribution's package
    // is the default here because it needs no third-party key (set source: 'docker' to switch).
    // The pause image follows kubernetes.version (containerd.kubernetesVersion overrides it).
    source: 'distro',
    systemdCgroup: true,
  } satisfies Partial<ContainerdParams>,
}
