/**
 * Pure checks of MetalLB's address pools. Two layers:
 * - `poolProblems`: what the vars alone say (syntax, first ≤ last, pools overlapping each other,
 *   names, L2 advertisements naming unknown pools); run by the vars schema at inventory load.
 * - `validateMetallbConfig`: the same plus what needs the inventory (inside the node network, free
 *   of node addresses, outside the pod and service CIDRs); run by the role's first task.
 * Every problem is a ConfigError naming the file, the key, what was expected and what was found.
 */
import { ConfigError } from '../../lib/errors.ts'
import { formatIPv4, parseCidr, parseIPv4, parseRange, rangeContains, rangeProblem, rangesOverlap, type IPv4Range } from '../../lib/schema/net.ts'

export interface MetallbPool {
  readonly name: string
  /** `a.b.c.d-e.f.g.h` ranges or CIDRs. */
  readonly addresses: readonly string[]
  /** Hand out addresses to any LoadBalancer Service without asking. @default true (MetalLB's) */
  readonly autoAssign?: boolean
  /** Skip .0 and .255 addresses. @default false (MetalLB's) */
  readonly avoidBuggyIPs?: boolean
}

export interface MetallbL2 {
  readonly name: string
  /** Pool names announced over ARP/NDP. */
  readonly pools: readonly string[]
  /** Announce only on these node interfaces. @default every interface */
  readonly interfaces?: readonly string[]
}

export interface MetallbConfig {
  readonly pools: readonly MetallbPool[]
  /** @default one `default-l2-adv` advertising every pool */
  readonly l2?: readonly MetallbL2[]
}

export interface ClusterNetwork {
  /** Inventory host name → IPv4 address (DNS names are left out by the caller). */
  readonly nodeAddresses: Readonly<Record<string, string>>
  /** The network pools must lie in. @default the /24 of each node address */
  readonly nodeNetwork?: string
  readonly podSubnet: string
  readonly serviceSubnet: string
}

/** Kubernetes object names (DNS-1123 subdomain). */
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/

const q = (s: string): string => JSON.stringify(s)

/** Why `s` is not a pool range; singles out a reversed range, which rangeProblem lumps in. */
export function poolRangeProblem(s: string): string | null {
  const m = /^\s*([^-\s/]+)\s*-\s*([^-\s]+)\s*$/.exec(s)
  if (m) {
    const a = parseIPv4(m[1]!)
    const b = parseIPv4(m[2]!)
    if (a !== null && b !== null && a > b) return 'a range whose first address is not after its last'
  }
  return rangeProblem(s)
}

interface Located { key: string; text: string; range: IPv4Range }

/** Pure: problems visible from the vars alone. `prefix` is the vars key (`metallb`). */
export function poolProblems(cfg: MetallbConfig, file: string, prefix = 'metallb'): ConfigError[] {
  const errors: ConfigError[] = []
  const names = new Map<string, string>()
  const seen: Located[] = []
  cfg.pools.forEach((pool, i) => {
    const pk = `${prefix}.pools[${i}]`
    if (!NAME.test(pool.name)) errors.push(new ConfigError(file, `${pk}.name`, 'a Kubernetes object name (lower-case letters, digits, - and .)', q(pool.name)))
    const dup = names.get(pool.name)
    if (dup) errors.push(new ConfigError(file, `${pk}.name`, `a name no other pool uses (${dup} is ${q(pool.name)})`, q(pool.name)))
    else names.set(pool.name, `${pk}.name`)
    if (pool.addresses.length === 0) errors.push(new ConfigError(file, `${pk}.addresses`, 'at least one range or CIDR', 'an empty list'))
    pool.addresses.forEach((text, j) => {
      const key = `${pk}.addresses[${j}]`
      const problem = poolRangeProblem(text)
      if (problem) { errors.push(new ConfigError(file, key, problem, q(text))); return }
      const range = parseRange(text)!
      const other = seen.find((o) => rangesOverlap(o.range, range))
      if (other) errors.push(new ConfigError(file, key, `a range no other pool entry uses (it overlaps ${other.key} ${q(other.text)})`, q(text)))
      seen.push({ key, text, range })
    })
  })
  const l2 = cfg.l2 ?? []
  const l2names = new Set<string>()
  l2.forEach((adv, i) => {
    const ak = `${prefix}.l2[${i}]`
    if (!NAME.test(adv.name)) errors.push(new ConfigError(file, `${ak}.name`, 'a Kubernetes object name (lower-case letters, digits, - and .)', q(adv.name)))
    if (l2names.has(adv.name)) errors.push(new ConfigError(file, `${ak}.name`, 'a name no other L2 advertisement uses', q(adv.name)))
    l2names.add(adv.name)
    adv.pools.forEach((p, j) => {
      if (!names.has(p)) errors.push(new ConfigError(file, `${ak}.pools[${j}]`, `a pool name from ${prefix}.pools (${[...names.keys()].join(', ') || 'none defined'})`, q(p)))
    })
  })
  return errors
}

/** Pure: the /24 networks of the node addresses, deduplicated (`10.110.190.0/24`). */
export function nodeNetworks(nodeAddresses: Readonly<Record<string, string>>): string[] {
  const out = new Set<string>()
  for (const a of Object.values(nodeAddresses)) {
    const n = parseIPv4(a)
    if (n !== null) out.add(`${formatIPv4(Math.floor(n / 256) * 256)}/24`)
  }
  return [...out].sort()
}

/**
 * Pure: every problem of the MetalLB config in this cluster (empty: valid). Ranges must be valid
 * (first ≤ last), inside the node network, free of node addresses, outside the pod and service
 * CIDRs, and no two pool entries may overlap.
 */
export function validateMetallbConfig(cfg: MetallbConfig, net: ClusterNetwork, opts: { file?: string; prefix?: string } = {}): ConfigError[] {
  const file = opts.file ?? 'vars'
  const prefix = opts.prefix ?? 'metallb'
  const errors = poolProblems(cfg, file, prefix)
  const cidrs: Array<[string, string]> = [['pod subnet', net.podSubnet], ['service subnet', net.serviceSubnet]]
  for (const [what, c] of cidrs) {
    if (!parseCidr(c)?.canonical) errors.push(new ConfigError(file, `kubernetes.${what === 'pod subnet' ? 'podSubnet' : 'serviceSubnet'}`, 'an IPv4 CIDR with no host bits set', q(c)))
  }
  if (net.nodeNetwork !== undefined && !parseCidr(net.nodeNetwork)?.canonical) {
    errors.push(new ConfigError(file, `${prefix}.nodeNetwork`, 'an IPv4 CIDR with no host bits set', q(net.nodeNetwork)))
  }
  const networks = net.nodeNetwork !== undefined ? [net.nodeNetwork] : nodeNetworks(net.nodeAddresses)
  cfg.pools.forEach((pool, i) => pool.addresses.forEach((text, j) => {
    const range = parseRange(text)
    if (!range) return // reported by poolProblems
    const key = `${prefix}.pools[${i}].addresses[${j}]`
    if (networks.length && !networks.some((n) => rangeContains(n, range))) {
      const from = net.nodeNetwork !== undefined ? `${prefix}.nodeNetwork` : "the nodes' addresses"
      errors.push(new ConfigError(file, key, `a range inside the node network ${networks.join(' or ')} (from ${from})`, q(text)))
    }
    const nodes = Object.entries(net.nodeAddresses).filter(([, a]) => rangesOverlap(a, range))
    if (nodes.length) {
      errors.push(new ConfigError(file, key, 'a range free of node addresses', `${q(text)}, which holds ${nodes.map(([h, a]) => `${h} ${a}`).join(', ')}`))
    }
    for (const [what, c] of cidrs) {
      if (parseCidr(c)?.canonical && rangesOverlap(c, range)) {
        errors.push(new ConfigError(file, key, `a range outside the ${what} ${c}`, q(text)))
      }
    }
  }))
  return errors
}
