/**
 * Renders the kubeadm config file (`kubeadm init --config`) for a release: InitConfiguration +
 * ClusterConfiguration in the API version that release reads (v1beta3 before 1.31, v1beta4 from
 * 1.31) + KubeletConfiguration with the systemd cgroup driver. Pure; the result is always checked
 * against the typed definitions before it is returned, so an invalid file never reaches a host.
 */
import { stringify } from 'yaml'
import { ModuleError } from '../errors.ts'
import {
  validateKubeadmConfig, type ClusterConfiguration, type ExtraArgs, type InitConfiguration, type JoinConfiguration,
  type KubeletConfiguration, type KubeProxyConfiguration,
} from './kubeadm-config.ts'
import { kubeadmApiVersion, vVersion, type KubeadmApiVersion, type KubeVersion } from './kubeadm-version.ts'

export interface KubeadmClusterModel {
  readonly version: KubeVersion
  /** `10.110.190.21:6443` */
  readonly controlPlaneEndpoint: string
  readonly podSubnet: string
  readonly serviceSubnet: string
  /** @default 'kubernetes' */
  readonly clusterName?: string
  readonly criSocket: string
  /** The first master's own address (kube-apiserver advertises it). */
  readonly advertiseAddress?: string
  /** @default 6443 */
  readonly bindPort?: number
  /** Extra names/addresses in the API server certificate (the endpoint's host is always added). */
  readonly certSANs?: readonly string[]
  readonly apiServerExtraArgs?: Readonly<Record<string, string>>
  readonly kubeletExtraArgs?: Readonly<Record<string, string>>
  /** kube-proxy mode; omitted: kubeadm's default (iptables). */
  readonly proxyMode?: 'iptables' | 'ipvs' | 'nftables'
  /** kube-proxy `conntrack.maxPerCore`; 0 leaves the kernel's table size alone. @default kube-proxy's (32768) */
  readonly proxyConntrackMaxPerCore?: number
  /** KubeletConfiguration settings beside the systemd cgroup driver (uploaded by init, read by every join). */
  readonly kubelet?: KubeletSettings
}

/** The KubeletConfiguration fields kubeplay lets an inventory set. */
export type KubeletSettings = Pick<KubeletConfiguration, 'imageGCHighThresholdPercent' | 'imageGCLowThresholdPercent' | 'evictionHard' | 'maxPods'>

/** A flag map in the shape of the API version: map (v1beta3) or sorted {name, value} list (v1beta4). */
export function extraArgs<V extends KubeadmApiVersion>(api: V, args: Readonly<Record<string, string>>): ExtraArgs<V> {
  const entries = Object.entries(args).sort(([a], [b]) => a.localeCompare(b))
  return (api === 'kubeadm.k8s.io/v1beta4'
    ? entries.map(([name, value]) => ({ name, value }))
    : Object.fromEntries(entries)) as ExtraArgs<V>
}

const hostOf = (endpoint: string): string => endpoint.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1')

/** The typed documents for `kubeadm init --config`. */
export function kubeadmInitDocuments(m: KubeadmClusterModel): [InitConfiguration, ClusterConfiguration, KubeletConfiguration, ...KubeProxyConfiguration[]] {
  const api = kubeadmApiVersion(m.version)
  const has = (o?: Readonly<Record<string, string>>): o is Readonly<Record<string, string>> => !!o && Object.keys(o).length > 0
  const init: InitConfiguration = {
    apiVersion: api,
    kind: 'InitConfiguration',
    nodeRegistration: { criSocket: m.criSocket, ...(has(m.kubeletExtraArgs) ? { kubeletExtraArgs: extraArgs(api, m.kubeletExtraArgs) } : {}) },
    ...(m.advertiseAddress ? { localAPIEndpoint: { advertiseAddress: m.advertiseAddress, bindPort: m.bindPort ?? 6443 } } : {}),
  }
  const sans = [...new Set([hostOf(m.controlPlaneEndpoint), ...(m.certSANs ?? [])])]
  const cluster: ClusterConfiguration = {
    apiVersion: api,
    kind: 'ClusterConfiguration',
    kubernetesVersion: vVersion(m.version),
    clusterName: m.clusterName ?? 'kubernetes',
    controlPlaneEndpoint: m.controlPlaneEndpoint,
    networking: { podSubnet: m.podSubnet, serviceSubnet: m.serviceSubnet, dnsDomain: 'cluster.local' },
    apiServer: { certSANs: sans, ...(has(m.apiServerExtraArgs) ? { extraArgs: extraArgs(api, m.apiServerExtraArgs) } : {}) },
  }
  const kubelet: KubeletConfiguration = { apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', cgroupDriver: 'systemd', ...m.kubelet }
  const proxy: KubeProxyConfiguration[] = m.proxyMode || m.proxyConntrackMaxPerCore !== undefined
    ? [{
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1', kind: 'KubeProxyConfiguration',
      ...(m.proxyMode ? { mode: m.proxyMode } : {}),
      clusterCIDR: m.podSubnet,
      ...(m.proxyConntrackMaxPerCore !== undefined ? { conntrack: { maxPerCore: m.proxyConntrackMaxPerCore, min: 0 } } : {}),
    }]
    : []
  return [init, cluster, kubelet, ...proxy]
}

const HEADER = '# Managed by kubeplay (kubernetes-master role): read by `kubeadm init --config` on the first master.\n'

/** The whole file, validated; a ModuleError lists every problem (a bug in the renderer, not user input). */
export function renderKubeadmConfig(m: KubeadmClusterModel): string {
  const text = HEADER + kubeadmInitDocuments(m).map((d) => stringify(d, { lineWidth: 0 })).join('---\n')
  const problems = validateKubeadmConfig(text)
  if (problems.length) throw new ModuleError('kubeadm-config', `rendered config for ${vVersion(m.version)} is invalid:\n${problems.join('\n')}`)
  return text
}

/**
 * A JoinConfiguration for a node (with a placeholder token: kubeplay joins with flags so the real
 * token never lands in a file). Kept typed and validated so the join flags and a config-file join
 * stay equivalent.
 */
export function kubeadmJoinDocument(m: Pick<KubeadmClusterModel, 'version' | 'controlPlaneEndpoint' | 'criSocket' | 'advertiseAddress' | 'bindPort'>,
  j: { token: string; caCertHashes: readonly string[]; controlPlane?: { certificateKey: string } }): JoinConfiguration {
  return {
    apiVersion: kubeadmApiVersion(m.version),
    kind: 'JoinConfiguration',
    nodeRegistration: { criSocket: m.criSocket },
    discovery: { bootstrapToken: { apiServerEndpoint: m.controlPlaneEndpoint, token: j.token, caCertHashes: j.caCertHashes } },
    ...(j.controlPlane ? {
      controlPlane: {
        certificateKey: j.controlPlane.certificateKey,
        ...(m.advertiseAddress ? { localAPIEndpoint: { advertiseAddress: m.advertiseAddress, bindPort: m.bindPort ?? 6443 } } : {}),
      },
    } : {}),
  }
}
