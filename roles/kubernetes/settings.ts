/**
 * Settings shared by the kubernetes-master and kubernetes-worker roles (vars namespace `kubernetes`):
 * types, defaults, schema, and the pure step from settings + inventory to the cluster model (API
 * endpoint, subnets, first master). Every problem is a ConfigError naming its key, found before a
 * task changes anything.
 */
import type { PreflightContext } from '../../lib/engine/task.ts'
import { ConfigError, ConfigErrors } from '../../lib/errors.ts'
import { selectHosts } from '../../lib/inventory/pattern.ts'
import { originOf } from '../../lib/inventory/origins.ts'
import { isIPv4, parseIPv4, rangesOverlap } from '../../lib/schema/net.ts'
import { cidr } from '../../lib/schema/net-schemas.ts'
import type { Inventory, Vars } from '../../lib/inventory/types.ts'
import {
  array, boolean, custom, enumOf, int, object, optional, record, refine, string, union, validate, type Schema,
} from '../../lib/schema/validate.ts'
import type { KubeletSettings } from '../../lib/k8s/kubeadm-render.ts'
import { requireKubeVersion, type KubeVersion } from '../../lib/k8s/kubeadm-version.ts'
import { artifactsPreflightFor } from './artifacts.ts'

/** Where kubeadm, kubelet and kubectl come from. */
export type PackageSource =
  /** The upstream repository of the minor, `https://pkgs.k8s.io/core:/stable:/v1.31/deb/`, key pinned by `repoKeySha256`. */
  | 'pkgs.k8s.io'
  /** A mirror with the same layout (`<mirror>/Release.key` + flat suite `/`), for air-gapped sites. */
  | { readonly mirror: string; readonly keySha256: string }
  /** Already on the hosts (baked images, the lab's stand-ins): only checked, never installed. */
  | 'preinstalled'
  /**
   * The offline bundle built by `npm run bundle` (binaries, CNI plugins, image archives; no
   * repository or registry needed): read from `artifactsDir` on the controller, uploaded where the
   * hosts' sha256 differ, images imported into containerd.
   */
  | 'artifacts'

export interface KubernetesParams {
  /** Kubernetes release. @default '1.31.4' */
  readonly version: string
  /** Debian revision on pkgs.k8s.io: packages are pinned to `<version>-<revision>`. @default '1.1' */
  readonly packageRevision: string
  /**
   * Where kubeadm, kubelet, kubectl and the images come from. @default 'artifacts' (the offline
   * bundle built on the controller: the one source kubeplay ships no unverified digest for)
   */
  readonly packageSource: PackageSource
  /** The bundle directory on the controller, for packageSource 'artifacts'. @default /var/cache/kubeplay-bundle/v<version> */
  readonly artifactsDir?: string
  /** kube-proxy's `conntrack.maxPerCore` (0: leave the kernel's table size alone, for container nodes). @default kube-proxy's own */
  readonly kubeProxyConntrackMaxPerCore?: number
  /**
   * KubeletConfiguration settings for every node (kubeadm init uploads them; joins and upgrades read
   * them): image garbage collection and hard eviction thresholds, max pods. Read at init: changing
   * them on a running cluster is kubeadm's procedure (docs/roles/kubernetes.md). @default kubelet's own
   */
  readonly kubelet?: KubeletSettings
  /** sha256 of `https://pkgs.k8s.io/core:/stable:/v1.MINOR/deb/Release.key`. Required with 'pkgs.k8s.io'. @default none */
  readonly repoKeySha256?: string
  /** `host:port` every node reaches the API through. @default first host of `haproxyGroup`, port `apiPort` */
  readonly controlPlaneEndpoint?: string
  /** HAProxy's API port. @default 6443 */
  readonly apiPort: number
  /** @default 'haproxy' */
  readonly haproxyGroup: string
  /** The first host of this group initialises the cluster. @default 'masters' */
  readonly mastersGroup: string
  /** @default 'workers' */
  readonly workersGroup: string
  /** Pod network; Flannel's `Network` is set to it. @default '10.244.0.0/16' */
  readonly podSubnet: string
  /**
   * Service ClusterIPs. kubeadm's own default, 10.96.0.0/12, spans 10.96–10.111 and so contains
   * seed 001's LAN 10.110.190.0/24: ours is 10.96.0.0/16 (kube-dns stays 10.96.0.10). Overlaps
   * with nodes or pods are refused. @default '10.96.0.0/16'
   */
  readonly serviceSubnet: string
  /** @default 'kubernetes' */
  readonly clusterName: string
  /** @default 'unix:///run/containerd/containerd.sock' */
  readonly criSocket: string
  /** @default 'flannel' */
  readonly cni: 'flannel' | 'none'
  /** Another URL serving the pinned Flannel v0.28.9 manifest (a mirror, or file:// on the first master when air-gapped). @default the upstream URL */
  readonly flannelUrl?: string
  /** Who gets `~/.kube/config` (a copy of admin.conf) on every master. @default 'root' */
  readonly kubeconfigUser: string
  /** Extra API server certificate names. @default [] */
  readonly certSANs: readonly string[]
  /** Extra kube-apiserver flags. @default {} */
  readonly apiServerExtraArgs: Readonly<Record<string, string>>
  /** Lifetime of the join tokens kubeplay creates. @default '1h' */
  readonly tokenTtl: string
  /**
   * With packageSource 'preinstalled', the upgrade playbook runs this argv to put the target
   * release's tools in place (`{version}` → `1.32.0`); without it, it requires them preinstalled. @default none
   */
  readonly preinstalledUpgradeArgv?: readonly string[]
  /**
   * An even number of masters (2, 4) gives etcd no more fault tolerance than one fewer and splits
   * its votes evenly: refused unless acknowledged here. @default false
   */
  readonly evenMastersAcknowledged: boolean
}

export const kubernetesDefaults: KubernetesParams = {
  version: '1.31.4',
  packageRevision: '1.1',
  packageSource: 'artifacts',
  apiPort: 6443,
  haproxyGroup: 'haproxy',
  mastersGroup: 'masters',
  workersGroup: 'workers',
  podSubnet: '10.244.0.0/16',
  serviceSubnet: '10.96.0.0/16',
  clusterName: 'kubernetes',
  criSocket: 'unix:///run/containerd/containerd.sock',
  cni: 'flannel',
  kubeconfigUser: 'root',
  certSANs: [],
  apiServerExtraArgs: {},
  tokenTtl: '1h',
  evenMastersAcknowledged: false,
}

const SHA256 = /^[a-fA-F0-9]{64}$/
const EVICTION_SIGNALS = ['memory.available', 'nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree', 'pid.available']
const EVICTION_QUANTITY = /^(\d+(\.\d+)?%|\d+(Ki|Mi|Gi|Ti|k|M|G|T)?)$/
const group = (): Schema<string> => refine(string(), 'an inventory group name', (s) => /^[\w.-]+$/.test(s))

/** Flat vars of Ansible setups (the seeds', Kubespray's) → the kubernetes setting that holds them here. */
export const KUBERNETES_ANSIBLE_NAMES: Readonly<Record<string, string>> = {
  kube_version: 'version', kubernetes_version: 'version', k8s_version: 'version',
  pod_network_cidr: 'podSubnet', pod_subnet: 'podSubnet', kube_pods_subnet: 'podSubnet',
  service_cidr: 'serviceSubnet', service_subnet: 'serviceSubnet', kube_service_addresses: 'serviceSubnet',
  control_plane_endpoint: 'controlPlaneEndpoint', cri_socket: 'criSocket', cluster_name: 'clusterName',
}

export const kubernetesVarsSchema: Schema<Partial<KubernetesParams>> = object({
  version: optional(custom('a Kubernetes release like 1.31.4', (v) => (typeof v === 'string' && /^v?1\.\d+\.\d+$/.test(v) ? v.replace(/^v/, '')
    // `version: 1.30` in YAML is the number 1.3: say so rather than show 1.3.
    : { error: typeof v === 'number' ? 'a Kubernetes release like 1.31.4, quoted in YAML ("1.31.4"; an unquoted 1.30 is the number 1.3)' : 'a Kubernetes release like 1.31.4' }))),
  packageRevision: optional(refine(string(), "a Debian revision like '1.1'", (s) => /^[0-9][0-9A-Za-z.+~]*$/.test(s))),
  packageSource: optional(union(
    enumOf(['pkgs.k8s.io', 'preinstalled', 'artifacts']),
    object({ mirror: refine(string(), 'an http(s) URL', (s) => /^https?:\/\/\S+$/.test(s)), keySha256: refine(string(), '64 hex digits', (s) => SHA256.test(s)) }, { strict: true }),
  )),
  repoKeySha256: optional(refine(string(), '64 hex digits (sha256 of Release.key)', (s) => SHA256.test(s))),
  artifactsDir: optional(refine(string(), 'an absolute path on the controller', (s) => s.startsWith('/'))),
  kubeProxyConntrackMaxPerCore: optional(int({ min: 0, max: 1 << 24 })),
  kubelet: optional(refine(object({
    imageGCHighThresholdPercent: optional(int({ min: 0, max: 100 })),
    imageGCLowThresholdPercent: optional(int({ min: 0, max: 100 })),
    evictionHard: optional(refine(record(refine(string(), "a quantity like '10%' or '100Mi'", (q) => EVICTION_QUANTITY.test(q))),
      `signals among ${EVICTION_SIGNALS.join(', ')}`, (r) => Object.keys(r).every((k) => EVICTION_SIGNALS.includes(k)),
      (r) => Object.keys(r).filter((k) => !EVICTION_SIGNALS.includes(k)).map((k) => `'${k}'`).join(', '))),
    maxPods: optional(int({ min: 1, max: 10_000 })),
  }, { strict: true }), 'imageGCLowThresholdPercent below imageGCHighThresholdPercent (kubelet refuses to start otherwise)',
  (k) => k.imageGCLowThresholdPercent === undefined || k.imageGCLowThresholdPercent < (k.imageGCHighThresholdPercent ?? 85),
  (k) => `low ${k.imageGCLowThresholdPercent}, high ${k.imageGCHighThresholdPercent ?? '85 (kubelet\'s default)'}`)),
  controlPlaneEndpoint: optional(refine(string(), 'host:port with a port 1..65535', (s) => /^[\w.-]+:\d{1,5}$/.test(s) && Number(s.split(':').pop()) >= 1 && Number(s.split(':').pop()) <= 65535)),
  apiPort: optional(int({ min: 1, max: 65535 })),
  haproxyGroup: optional(group()),
  mastersGroup: optional(group()),
  workersGroup: optional(group()),
  podSubnet: optional(cidr()),
  serviceSubnet: optional(cidr()),
  clusterName: optional(refine(string(), 'a DNS label', (s) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s))),
  criSocket: optional(refine(string(), 'a unix:// socket path', (s) => /^unix:\/\/\/\S+$/.test(s))),
  cni: optional(enumOf(['flannel', 'none'])),
  flannelUrl: optional(refine(string(), 'an http(s):// or file:// URL', (s) => /^(https?|file):\/\/\S+$/.test(s))),
  kubeconfigUser: optional(refine(string(), 'a user name', (s) => /^[a-z_][a-z0-9_-]*$/.test(s))),
  certSANs: optional(array(string())),
  apiServerExtraArgs: optional(record(string())),
  tokenTtl: optional(refine(string(), "a duration like '1h' or '30m'", (s) => /^\d+(s|m|h)$/.test(s))),
  preinstalledUpgradeArgv: optional(array(string())),
  evenMastersAcknowledged: optional(boolean()),
}, { strict: true }) as Schema<Partial<KubernetesParams>>

/** Defaults < `kubernetes:` vars < playbook params, validated as a whole. */
export function mergeKubernetesSettings(fromVars: unknown, params: Partial<KubernetesParams>, where = 'kubernetes'): KubernetesParams {
  const r1 = validate(kubernetesVarsSchema, fromVars ?? {}, where, { key: 'kubernetes' })
  const r2 = validate(kubernetesVarsSchema, params, 'kubernetes params', { key: 'kubernetes' })
  const errors = [...r1.errors, ...r2.errors]
  if (errors.length) throw new ConfigErrors(errors)
  const defined = Object.fromEntries(Object.entries(r2.value ?? {}).filter(([, v]) => v !== undefined))
  return { ...kubernetesDefaults, ...(r1.value ?? {}), ...defined } as KubernetesParams
}

/** Everything the tasks need, resolved from settings + inventory. */
export interface ClusterModel {
  readonly s: KubernetesParams
  readonly version: KubeVersion
  readonly masters: readonly string[]
  readonly workers: readonly string[]
  /** Initialises the cluster; joins read the token and certificate key from it. */
  readonly firstMaster: string
  readonly controlPlaneEndpoint: string
  /** Inventory address of each host (IPv4 or name). */
  readonly addresses: Readonly<Record<string, string>>
}

function addressOf(inv: Inventory, host: string): string {
  return inv.hosts.get(host)?.connection.address ?? host
}

/** Pure: the model, or ConfigErrors with every problem (missing HAProxy with several masters, overlapping subnets…). */
export function clusterModel(s: KubernetesParams, inv: Inventory, where = inv.source): ClusterModel {
  const errors: ConfigError[] = []
  let version: KubeVersion | undefined
  try { version = requireKubeVersion(s.version, where, 'kubernetes.version') } catch (e) { errors.push(e as ConfigError) }
  const group = (g: string, key: string): string[] => {
    if (!inv.groups.has(g)) {
      const kubespray = KUBESPRAY_GROUPS[key]?.find((k) => inv.groups.has(k))
      errors.push(new ConfigError(where, `kubernetes.${key}`, kubespray
        ? `an inventory group: rename Kubespray's '${kubespray}' to '${g}', or set kubernetes.${key}: '${kubespray}'`
        : 'an inventory group', `'${g}', which does not exist`))
      return []
    }
    return selectHosts(inv, g)
  }
  const masters = group(s.mastersGroup, 'mastersGroup')
  // No workers group is a cluster of masters only, unless the workers sit in Kubespray's group.
  const workers = inv.groups.has(s.workersGroup) || KUBESPRAY_GROUPS.workersGroup!.some((k) => inv.groups.has(k)) ? group(s.workersGroup, 'workersGroup') : []
  if (inv.groups.has(s.mastersGroup) && masters.length === 0) errors.push(new ConfigError(where, `groups.${s.mastersGroup}`, 'at least one master', 'an empty group'))
  errors.push(...clusterShapeProblems(s, inv, masters, workers, where))
  let endpoint = s.controlPlaneEndpoint
  if (!endpoint) {
    const lb = inv.groups.get(s.haproxyGroup)?.hosts[0]
    if (lb) endpoint = `${addressOf(inv, lb)}:${s.apiPort}`
    else if (masters.length > 1) {
      errors.push(new ConfigError(where, `groups.${s.haproxyGroup}`,
        `a HAProxy host (the API endpoint of ${masters.length} masters) or kubernetes.controlPlaneEndpoint`,
        inv.groups.has(s.haproxyGroup) ? 'an empty group' : 'no such group (missing HAProxy host)'))
    } else if (masters.length === 1) endpoint = `${addressOf(inv, masters[0]!)}:6443`
  }
  if (s.packageSource === 'pkgs.k8s.io' && !s.repoKeySha256) {
    errors.push(new ConfigError(where, 'kubernetes.repoKeySha256',
      `the sha256 of the repository key (curl -fsSL https://pkgs.k8s.io/core:/stable:/v${version ? `${version.major}.${version.minor}` : '1.MINOR'}/deb/Release.key | sha256sum), or packageSource 'preinstalled' / { mirror, keySha256 }`, 'nothing'))
  }
  // Subnets: pods, services and every node address must be disjoint.
  if (rangesOverlap(s.podSubnet, s.serviceSubnet)) errors.push(new ConfigError(where, 'kubernetes.serviceSubnet', `a range disjoint from podSubnet ${s.podSubnet}`, s.serviceSubnet))
  const addresses: Record<string, string> = {}
  const lbHosts = inv.groups.get(s.haproxyGroup)?.hosts ?? []
  for (const h of [...new Set([...masters, ...workers, ...lbHosts])]) {
    const a = addressOf(inv, h)
    addresses[h] = a
    if (!isIPv4(a)) continue
    for (const [key, net] of [['podSubnet', s.podSubnet], ['serviceSubnet', s.serviceSubnet]] as const) {
      if (rangesOverlap(net, a)) {
        errors.push(new ConfigError(where, `kubernetes.${key}`, `a range that contains no node address (${h} is ${a})`, net))
      }
    }
  }
  const epHost = endpoint?.replace(/:\d+$/, '')
  if (epHost && isIPv4(epHost) && (rangesOverlap(s.podSubnet, epHost) || rangesOverlap(s.serviceSubnet, epHost))) {
    errors.push(new ConfigError(where, 'kubernetes.controlPlaneEndpoint', 'an address outside podSubnet and serviceSubnet', endpoint!))
  }
  if (errors.length) throw new ConfigErrors(dedupe(errors).map((e) => atOrigin(e, inv, masters[0] ?? [...inv.hosts.keys()][0], where)))
  return { s, version: version!, masters, workers, firstMaster: masters[0]!, controlPlaneEndpoint: endpoint!, addresses }
}

/**
 * Pure: one Kubernetes version on every node (host vars can set kubernetes.version per host), and
 * containerd's pause image pinned for the same minor when containerd.kubernetesVersion is set.
 */
function versionSkew(inv: Inventory, hosts: readonly string[], params: Partial<KubernetesParams>): ConfigError[] {
  const byVersion = new Map<string, string[]>()
  const errors: ConfigError[] = []
  for (const h of new Set(hosts)) {
    const vars = inv.hosts.get(h)?.vars ?? {}
    let s: KubernetesParams
    try { s = mergeKubernetesSettings(vars.kubernetes, params) } catch { continue }
    byVersion.set(s.version, [...(byVersion.get(s.version) ?? []), h])
    const c = vars.containerd as { kubernetesVersion?: unknown } | undefined
    const cv = typeof c?.kubernetesVersion === 'string' ? /^v?1\.(\d+)/.exec(c.kubernetesVersion)?.[1] : undefined
    if (cv !== undefined && `1.${cv}` !== s.version.split('.').slice(0, 2).join('.')) {
      errors.push(new ConfigError(inv.source, `hosts.${h}: containerd.kubernetesVersion`, `the minor of kubernetes.version ${s.version} (or leave it unset: the pause image follows kubernetes.version)`, JSON.stringify(c!.kubernetesVersion)))
    }
  }
  if (byVersion.size > 1) {
    errors.push(new ConfigError(inv.source, 'kubernetes.version', 'one version on every node (playbooks/upgrade.ts moves them together)',
      [...byVersion].map(([v, hs]) => `${v} on ${hs.join(', ')}`).join('; ')))
  }
  return errors
}

/** Kubespray's inventory group names, for the hint when kubeplay's are missing. */
const KUBESPRAY_GROUPS: Readonly<Record<string, readonly string[]>> = {
  mastersGroup: ['kube_control_plane', 'kube-master'], workersGroup: ['kube_node', 'kube-node'],
}

/** Pure: what Kubernetes would refuse or etcd would suffer, found from the inventory alone. */
function clusterShapeProblems(s: KubernetesParams, inv: Inventory, masters: readonly string[], workers: readonly string[], where: string): ConfigError[] {
  const errors: ConfigError[] = []
  // The node name is the host's name (its hostname): a DNS label as Kubernetes accepts it.
  for (const h of new Set([...masters, ...workers])) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(h) || h.length > 63) {
      errors.push(new ConfigError(where, `hosts.${h}`, 'a node name Kubernetes accepts: lowercase letters, digits and -, at most 63 characters, starting and ending with a letter or digit',
        `'${h}'${/[A-Z]/.test(h) ? ' (uppercase)' : h.includes('_') ? ' (underscore)' : h.length > 63 ? ` (${h.length} characters)` : ''}`))
    }
  }
  const both = masters.filter((h) => workers.includes(h))
  if (both.length) {
    errors.push(new ConfigError(where, `groups.${s.workersGroup}`, `no host of ${s.mastersGroup} (a master joins as a control plane; it runs workloads once untainted)`, `${both.join(', ')} in both`))
  }
  if (masters.length % 2 === 0 && masters.length > 0 && !s.evenMastersAcknowledged) {
    errors.push(new ConfigError(where, `groups.${s.mastersGroup}`,
      `an odd number of masters (etcd: ${masters.length} members tolerate no more failures than ${masters.length - 1}), or kubernetes.evenMastersAcknowledged: true`, `${masters.length}`))
  }
  const lbOnMaster = (inv.groups.get(s.haproxyGroup)?.hosts ?? []).filter((h) => masters.includes(h))
  if (lbOnMaster.length && s.apiPort === 6443) {
    errors.push(new ConfigError(where, `groups.${s.haproxyGroup}`, `a load balancer apart from the masters, or kubernetes.apiPort other than 6443 (kube-apiserver binds 6443 on ${lbOnMaster.join(', ')})`, `${lbOnMaster.join(', ')} in ${s.mastersGroup} too`))
  }
  return errors
}

/**
 * The error re-addressed to the file that set the setting it is about (group_vars/k8s-cluster.yml
 * rather than the inventory); a missing required setting, to the file holding the others.
 */
function atOrigin(e: ConfigError, inv: Inventory, host: string | undefined, where: string): ConfigError {
  if (e.file !== where || !e.key.startsWith('kubernetes.')) return e
  const file = originOf(inv, host, e.key, { orParent: e.found === 'nothing' })
  return file && file !== e.file ? new ConfigError(file, e.key, e.expected, e.found) : e
}

function dedupe(errors: ConfigError[]): ConfigError[] {
  const seen = new Set<string>()
  return errors.filter((e) => !seen.has(e.message) && seen.add(e.message))
}

/** The model as seen from a host's vars (each host may carry its own `kubernetes:` slice). */
export function modelFor(vars: Readonly<Vars>, inv: Inventory, params: Partial<KubernetesParams>): ClusterModel {
  return clusterModel(mergeKubernetesSettings(vars.kubernetes, params), inv)
}

/**
 * Static validation of a whole inventory (as the CLI would call before connecting): the model of
 * the first master's vars. Returns the errors rather than throwing, for a preflight hook.
 */
export function kubernetesPreflight(inv: Inventory, params: Partial<KubernetesParams> = {}, ctx: PreflightContext = {}): ConfigError[] {
  const masters = params.mastersGroup ?? kubernetesDefaults.mastersGroup
  const first = inv.groups.get(masters)?.hosts[0] ?? [...inv.hosts.keys()][0]
  const vars = first ? inv.hosts.get(first)?.vars ?? {} : {}
  try {
    const skew = versionSkew(inv, [...(inv.groups.get(masters)?.hosts ?? []), ...(inv.groups.get(params.workersGroup ?? kubernetesDefaults.workersGroup)?.hosts ?? [])], params)
    if (skew.length) return skew
    modelFor(vars, inv, params)
    // The bundle on this controller is environment, not input: --list-* does without it.
    return ctx.listOnly ? [] : artifactsPreflightFor(inv, (v) => mergeKubernetesSettings(v, params))
  } catch (e) {
    if (e instanceof ConfigErrors) return [...e.errors]
    if (e instanceof ConfigError) return [e]
    throw e
  }
}

export const ipv4OrUndefined = (a: string | undefined): string | undefined => (a && parseIPv4(a) !== null ? a : undefined)
