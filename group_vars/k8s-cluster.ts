/** Settings of the Kubernetes nodes (seed 001's group_vars/k8s-cluster.yml). */
import type { ContainerdParams, KubernetesParams } from '../roles/index.ts'

export default {
  kubernetes: {
    // Kubernetes comes from the offline bundle built on this controller (npm run bundle --
    // --kubernetes 1.31.4): upstream's Go modules at pinned versions, checked by Go's checksum
    // database, no repository or registry needed on the nodes. To install from pkgs.k8s.io instead:
    // packageSource: 'pkgs.k8s.io', repoKeySha256: '<curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.31/deb/Release.key | sha256sum>'.
    packageSource: 'artifacts',
  } satisfies Partial<KubernetesParams>,
  containerd: {
    // Seed 001 installs containerd.io 1.7.27 from Docker's repository; the distribution's package
    // is the default here because it needs no third-party key (set source: 'docker' to switch).
    // The pause image follows kubernetes.version (containerd.kubernetesVersion overrides it).
    source: 'distro',
    systemdCgroup: true,
  } satisfies Partial<ContainerdParams>,
}
