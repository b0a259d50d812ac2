/**
 * The Kubernetes cluster as plays, in the order kubeadm needs: masters one at a time (the first
 * initialises, the others join the control plane), then workers in parallel.
 */
import { play, type Play } from '../../lib/engine/task.ts'
import { kubernetesMaster } from '../kubernetes-master/index.ts'
import { kubernetesWorker } from '../kubernetes-worker/index.ts'
import type { KubernetesParams } from './settings.ts'

export * from './settings.ts'
export { ADMIN_CONF, KUBELET_CONF, certificateKeyValue, joinCommandValue, kubeadmJoin } from './join.ts'
export { kubeconfigFile } from './kubeconfig.ts'
export { KUBE_PACKAGES, kubernetesRepository, packageTasks, installedKubeadm, parseKubeadmVersion } from './packages.ts'

// Building blocks of the day-2 playbooks (upgrade, etcd, certificates, nodes), for `kubeplay/kubernetes`.
export { forgetNodeValue } from './join.ts'
export { confirmPreflight, confirmTask } from './confirm.ts'
export { etcdctlInContainer, etcdMembers, etcdManifestMember, etcdClusterCheck, parseEndpointHealth, quorumAfterRemoval, type EtcdMember, type EtcdManifestMember } from './etcd.ts'
export { startStaticPods, stopStaticPods, waitControlPlane } from './health.ts'
export { KUBEADM_LEFTOVERS, kubeadmReset, nodeName, controlPlaneVersion, kubeletVersion, onFirstMaster, retryForbidden, sameVersion } from './lifecycle.ts'
export { artifactsPreflight, targetBundleDir, upgradeArtifactTasks } from './artifacts.ts'
export { commandPath } from '../../lib/k8s/node-facts.ts'
export { formatVersion, packageVersion, parseKubeVersion, upgradeStep, vVersion, type KubeVersion } from '../../lib/k8s/kubeadm-version.ts'

export function kubernetesPlays(params: Partial<KubernetesParams> = {}, opts: { workersSerial?: Play['serial'] } = {}): Play[] {
  const masters = params.mastersGroup ?? 'masters'
  const workers = params.workersGroup ?? 'workers'
  return [
    play('Kubernetes control plane', { hosts: masters, serial: 1, items: [kubernetesMaster(params)] }),
    play('Kubernetes workers', { hosts: workers, serial: opts.workersSerial, items: [kubernetesWorker(params)] }),
  ]
}
