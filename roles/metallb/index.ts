/**
 * MetalLB in L2 mode (seed 001): the pinned native manifest applied from the first master, the
 * controller awaited, then the address pools and L2 advertisements rendered from typed vars. The
 * pools are checked twice before anything is applied: by the vars schema at inventory load (what
 * the vars alone say) and by the first task against the inventory (node network, node addresses,
 * pod and service CIDRs). Every task reads the cluster, never an earlier task's output, so
 * `--tags metallb-pools` alone works on a converged cluster.
 */
import { kubernetesDefaults } from '../kubernetes/settings.ts'
import { addonFromBundle, addonImages, addonKube } from '../kubernetes/addon.ts'
import { settingsBundleFile } from '../kubernetes/artifacts.ts'
import { upload } from '../../lib/modules/upload.ts'
import type { HostContext } from '../../lib/engine/module.ts'
import { role, task, type Role } from '../../lib/engine/task.ts'
import { defineSettings } from '../../lib/engine/vars.ts'
import type { Inventory, Vars } from '../../lib/inventory/types.ts'
import { assertion } from '../../lib/modules/assert.ts'
import { applyManifest, fetchManifest, manifestPath, METALLB_NATIVE } from '../../lib/k8s/manifests.ts'
import { isIPv4 } from '../../lib/schema/net.ts'
import { array, boolean, INVALID, int, object, optional, refine, string, validate, type Schema } from '../../lib/schema/validate.ts'
import { ADMIN_KUBECONFIG, kubectl, kubectlWait } from '../../lib/modules/kubectl.ts'
import { checkRendered, renderMetallbConfig, renderMetallbObjects } from './render.ts'
import { poolProblems, validateMetallbConfig, type ClusterNetwork, type MetallbL2, type MetallbPool } from './validate.ts'

export { renderMetallbConfig, renderMetallbObjects, l2Of } from './render.ts'
export { validateMetallbConfig, poolProblems, nodeNetworks, type MetallbPool, type MetallbL2, type MetallbConfig, type ClusterNetwork } from './validate.ts'

export interface MetallbParams {
  /** Address pools. Empty: MetalLB is installed and no pool is configured yet (seed 001 waits for its range). @default [] */
  readonly pools: readonly MetallbPool[]
  /** L2 advertisements. @default one `default-l2-adv` for every pool */
  readonly l2?: readonly MetallbL2[]
  /** Network the pools must lie in. @default the /24 of each inventory host's address */
  readonly nodeNetwork?: string
  /** @default 'metallb-system' (the native manifest's namespace) */
  readonly namespace: string
  /** A mirror serving the same bytes as the pinned URL (the sha256 still applies). */
  readonly manifestUrl?: string
  /** Another digest, with `manifestUrl`, for a patched manifest of your own. */
  readonly manifestSha256?: string
  /** @default '/etc/kubernetes/admin.conf' */
  readonly kubeconfig: string
  /** How long to wait for the controller Deployment. @default 300 */
  readonly waitTimeoutSeconds: number
}

export const metallbDefaults: MetallbParams = {
  pools: [],
  namespace: 'metallb-system',
  kubeconfig: ADMIN_KUBECONFIG,
  waitTimeoutSeconds: 300,
}

/** kubeadm's defaults, used when the kubernetes role's vars do not say. */
/** The kubernetes roles' defaults: MetalLB must avoid exactly the subnets the cluster gets. */
export const DEFAULT_POD_SUBNET = kubernetesDefaults.podSubnet
export const DEFAULT_SERVICE_SUBNET = kubernetesDefaults.serviceSubnet

const shape = object({
  pools: optional(array(object({
    name: string(),
    addresses: array(string()),
    autoAssign: optional(boolean()),
    avoidBuggyIPs: optional(boolean()),
  }, { strict: true }))),
  l2: optional(array(object({
    name: string(),
    pools: array(string()),
    interfaces: optional(array(string())),
  }, { strict: true }))),
  nodeNetwork: optional(string()),
  namespace: optional(string()),
  manifestUrl: optional(refine(string(), 'an http(s):// or file:// URL', (u) => /^(https?|file):\/\/\S+$/.test(u))),
  manifestSha256: optional(refine(string(), '64 hex digits', (s) => /^[0-9a-fA-F]{64}$/.test(s))),
  kubeconfig: optional(refine(string(), 'an absolute path', (p) => p.startsWith('/'))),
  waitTimeoutSeconds: optional(int({ min: 1 })),
}, { strict: true })

/** The `metallb:` vars: types, then every pool problem the vars alone show (ranges, overlaps, names). */
export const metallbVarsSchema: Schema<Partial<MetallbParams>> = {
  expected: shape.expected,
  check(v, key, ctx) {
    const r = shape.check(v, key, ctx)
    if (r === INVALID) return r
    if (r.pools) ctx.errors.push(...poolProblems({ pools: r.pools, l2: r.l2 }, ctx.file, key || 'metallb'))
    return r as Partial<MetallbParams>
  },
}

/** Pure: pod/service subnets from the kubernetes role's vars, node addresses from the inventory. */
export function clusterNetwork(inventory: Inventory, vars: Readonly<Vars>, nodeNetwork?: string): ClusterNetwork {
  const k = (vars.kubernetes ?? {}) as { podSubnet?: unknown; serviceSubnet?: unknown }
  const nodeAddresses: Record<string, string> = {}
  for (const [name, h] of inventory.hosts) if (isIPv4(h.connection.address)) nodeAddresses[name] = h.connection.address
  return {
    nodeAddresses,
    nodeNetwork,
    podSubnet: typeof k.podSubnet === 'string' ? k.podSubnet : DEFAULT_POD_SUBNET,
    serviceSubnet: typeof k.serviceSubnet === 'string' ? k.serviceSubnet : DEFAULT_SERVICE_SUBNET,
  }
}

/** The bundle's copy of the manifest (its sha256 is checked against METALLB_NATIVE's by the builder). */
const BUNDLE_MANIFEST = 'manifests/metallb-native.yaml'

/**
 * MetalLB's images on a node, from the offline bundle (kubernetes.packageSource 'artifacts'; with
 * a registry, the kubelet pulls them): run on every node, since the speaker is a DaemonSet and the
 * controller may be scheduled on any worker.
 */
export function metallbImages(): Role {
  return addonImages('metallb-images', [
    ['Import the MetalLB controller image', 'metallbController'],
    ['Import the MetalLB speaker image', 'metallbSpeaker'],
  ], { roleTags: ['kubernetes', 'metallb'], taskTags: ['metallb-install'] })
}

const SETTINGS = defineSettings({ key: 'metallb', schema: metallbVarsSchema, defaults: metallbDefaults, ansibleNames: { metallb_ip_range: 'pools', metallb_ip_pool: 'pools', metallb_addresses: 'pools' } })

export function metallb(params: Partial<MetallbParams> = {}): Role {
  const given = SETTINGS.params(params, 'metallb()')
  const s = (h: HostContext): MetallbParams => SETTINGS.of(h, given)
  const install = { tags: ['metallb-install'] }
  const hasPools = { when: (h: HostContext) => s(h).pools.length > 0, whenReason: 'metallb.pools is empty (no address range yet)' }

  return role('metallb', [
    // The pools were checked before any connection (preflight below): this step reports them.
    task('Check the MetalLB address pools against the cluster network', assertion, (h) => ({
      ok: `MetalLB pools (${s(h).pools.map((x) => x.addresses.join(', ')).join('; ') || 'none'}): valid`,
    }), { tags: ['metallb-install', 'metallb-pools'] }),
    fetchManifest(METALLB_NATIVE, (h) => ({ url: s(h).manifestUrl, sha256: s(h).manifestSha256 }),
      { ...install, when: (h) => !addonFromBundle(h), whenReason: "the manifest comes from the bundle (kubernetes.packageSource 'artifacts')" }),
    task(`Upload ${METALLB_NATIVE.name} ${METALLB_NATIVE.version} from the bundle`, upload, (h) => ({
      ...settingsBundleFile(addonKube(h), BUNDLE_MANIFEST), path: manifestPath(METALLB_NATIVE), mode: '0644', owner: 'root', group: 'root',
    }), { ...install, when: addonFromBundle, whenReason: "kubernetes.packageSource is not 'artifacts'" }),
    applyManifest(METALLB_NATIVE, (h) => ({ kubeconfig: s(h).kubeconfig }), install),
    task('Wait for the MetalLB controller to be available', kubectlWait, (h) => ({
      resource: 'deployment/controller', for: 'condition=Available', namespace: s(h).namespace,
      timeoutSeconds: s(h).waitTimeoutSeconds, kubeconfig: s(h).kubeconfig,
    }), { tags: ['metallb-install', 'metallb-pools'] }),
    // Available is not enough: the pools pass MetalLB's validating webhook, which serves a little
    // later (its certificate is made and injected by the controller once it runs).
    task('Apply the MetalLB address pools and L2 advertisements', kubectl, (h) => ({
      manifest: renderMetallbConfig({ pools: s(h).pools, l2: s(h).l2 }, s(h).namespace), kubeconfig: s(h).kubeconfig,
      webhookWaitSeconds: s(h).waitTimeoutSeconds,
    }), { tags: ['metallb-pools'], ...hasPools }),
  ], {
    tags: ['kubernetes'], vars: SETTINGS.vars,
    // Before anything is contacted: ranges inside the node network, clear of node, pod and service
    // addresses, and the rendered objects valid against MetalLB's CRD schemas.
    preflight: (inventory, hosts) => {
      const vars = inventory.hosts.get(hosts[0]!)?.vars ?? {}
      // The vars' own shape first (a script may load an inventory without the CLI's validation).
      const shaped = validate(metallbVarsSchema, vars.metallb ?? {}, inventory.source, { key: 'metallb' })
      if (shaped.errors.length) return shaped.errors
      const p = SETTINGS.fromVars(vars, given)
      const cfg = { pools: p.pools, l2: p.l2 }
      return [...validateMetallbConfig(cfg, clusterNetwork(inventory, vars, p.nodeNetwork), { file: inventory.source }), ...checkRendered(renderMetallbObjects(cfg, p.namespace))]
    },
  })
}
