/**
 * kubernetes-master (seed 001's role of the same name): kubeadm/kubelet/kubectl pinned and held,
 * the kubeadm config file for the release's API version, `kubeadm init --upload-certs` on the first
 * master only while no cluster exists (admin.conf decides, on the host), the other masters joined
 * with `--control-plane --certificate-key` (token and key fetched fresh from the first master when
 * needed, masked), the admin kubeconfig for the operator, and Flannel with the pod subnet.
 *
 * Run it with `serial: 1` (as `kubernetesPlays` does): control-plane nodes join one at a time, each
 * after the cluster exists, which is what kubeadm and etcd's member add expect.
 */
import { copy } from '../../lib/modules/copy.ts'
import { file } from '../../lib/modules/file.ts'
import { role, task, type Role } from '../../lib/engine/task.ts'
import type { HostContext } from '../../lib/engine/module.ts'
import { applyManifest, fetchManifest, FLANNEL, flannelManifest, manifestPath } from '../../lib/k8s/manifests.ts'
import { upload } from '../../lib/modules/upload.ts'
import { flannelFromBundle } from '../kubernetes/artifacts.ts'
import { renderKubeadmConfig } from '../../lib/k8s/kubeadm-render.ts'
import { KUBERNETES_SETTINGS, isFirstMaster, modelOf, settingsCheck } from '../kubernetes/common.ts'
import { kubeadmInit } from '../kubernetes/init.ts'
import { kubeadmJoin } from '../kubernetes/join.ts'
import { kubeconfigFile } from '../kubernetes/kubeconfig.ts'
import { packageTasks } from '../kubernetes/packages.ts'
import { ipv4OrUndefined, kubernetesPreflight, type ClusterModel, type KubernetesParams } from '../kubernetes/settings.ts'

export const KUBEADM_CONFIG = '/etc/kubernetes/kubeadm-config.yaml'
export const MASTER_TAGS = ['kubernetes', 'k8s-master'] as const

/** Pure: the kubeadm config file for the first master of a model. */
export function kubeadmConfigFor(m: ClusterModel, host: string): string {
  return renderKubeadmConfig({
    version: m.version,
    controlPlaneEndpoint: m.controlPlaneEndpoint,
    podSubnet: m.s.podSubnet,
    serviceSubnet: m.s.serviceSubnet,
    clusterName: m.s.clusterName,
    criSocket: m.s.criSocket,
    advertiseAddress: ipv4OrUndefined(m.addresses[host]),
    certSANs: m.s.certSANs,
    apiServerExtraArgs: m.s.apiServerExtraArgs,
    proxyConntrackMaxPerCore: m.s.kubeProxyConntrackMaxPerCore,
    kubelet: m.s.kubelet,
  })
}

export function kubernetesMaster(params: Partial<KubernetesParams> = {}): Role {
  const p = KUBERNETES_SETTINGS.params(params, 'kubernetesMaster()')
  const model = modelOf(p)
  const first = isFirstMaster(model)
  const other = (h: HostContext): boolean => !first(h)
  const flannel = (h: HostContext): boolean => first(h) && model(h).s.cni === 'flannel'
  const firstOnly = { when: first, whenReason: 'not the first master' }

  return role('kubernetes-master', [
    settingsCheck(model),
    ...packageTasks(model, [], true),
    // The kubeadm package creates it; with preinstalled tools it may not exist yet.
    task('Create /etc/kubernetes', file, { path: '/etc/kubernetes', state: 'directory', owner: 'root', group: 'root', mode: '0755' },
      { tags: ['kubeadm-config', 'init'], ...firstOnly }),
    task('Write the kubeadm configuration', copy, (h) => ({
      path: KUBEADM_CONFIG, content: kubeadmConfigFor(model(h), h.name), owner: 'root', group: 'root', mode: '0600',
    }), { tags: ['kubeadm-config', 'init'], ...firstOnly }),
    // The real state decides (API, cluster-info, add-ons; etcd when the API is down), not admin.conf:
    // kubeadm writes it before its last phases, so a failed init is finished or redone on rerun.
    task('Initialise the cluster (kubeadm init)', kubeadmInit, { config: KUBEADM_CONFIG }, { tags: ['init'], ...firstOnly, timeoutMs: 20 * 60_000 }),
    task('Join the control plane (kubeadm join --control-plane)', kubeadmJoin, (h) => ({ model: model(h), controlPlane: true }),
      { tags: ['join'], when: other, whenReason: 'the first master initialises instead' }),
    task('Give the operator the admin kubeconfig', kubeconfigFile, (h) => ({ user: model(h).s.kubeconfigUser }), { tags: ['kubeconfig'] }),
    fetchManifest(FLANNEL, (h) => ({ url: model(h).s.flannelUrl }),
      { tags: ['cni', 'flannel'], when: (h) => flannel(h) && model(h).s.packageSource !== 'artifacts', whenReason: 'Flannel is applied once, from the first master (or cni is none, or it comes from the bundle)' }),
    task(`Upload ${FLANNEL.name} ${FLANNEL.version} from the bundle`, upload, flannelFromBundle(model, manifestPath(FLANNEL)),
      { tags: ['cni', 'flannel'], when: (h) => flannel(h) && model(h).s.packageSource === 'artifacts', whenReason: "Flannel is applied once, from the first master (or packageSource is not 'artifacts')" }),
    applyManifest(FLANNEL, { transform: (text, h) => flannelManifest(text, model(h).s.podSubnet) },
      { tags: ['cni', 'flannel'], when: flannel, whenReason: 'Flannel is applied once, from the first master (or cni is none)' }),
  ], { tags: [...MASTER_TAGS], vars: KUBERNETES_SETTINGS.vars, preflight: (inv, _hosts, ctx) => kubernetesPreflight(inv, params, ctx) })
}
