/**
 * The haproxy role's settings: types, defaults, schema, and the pure step from settings + inventory
 * to what the templates render (backends, keepalived peers). Every problem is found here, before a
 * task touches the host, and named by its key (`haproxy.mastersGroup`, `haproxy.keepalived.vip`).
 */
import { Secret } from '../../lib/secret.ts'
import { ConfigError, ModuleError } from '../../lib/errors.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import { isIPv4 } from '../../lib/schema/net.ts'
import {
  boolean, describe, enumOf, int, object, optional, record, refine, secretWord, string, validate,
} from '../../lib/schema/validate.ts'
import { isMapping as isPlainObject } from '../../lib/schema/validate.ts'

export interface HaproxyIngressParams {
  /** Forward 80/443 to the workers' ingress NodePorts. @default true */
  readonly enabled: boolean
  /** @default 80 */
  readonly httpPort: number
  /** @default 443 */
  readonly httpsPort: number
  /** The ingress controller's HTTP NodePort on every worker. @default 32624 */
  readonly httpNodePort: number
  /** The ingress controller's HTTPS NodePort on every worker. @default 31316 */
  readonly httpsNodePort: number
}

export interface HaproxyTimeouts {
  /** @default '5s' */
  readonly connect: string
  /** @default '30s' */
  readonly client: string
  /** @default '30s' */
  readonly server: string
  /** Idle time of an established TCP session (kubectl watches, logs -f). @default '1h' */
  readonly tunnel: string
  /** @default '10s' */
  readonly check: string
}

export interface KeepalivedParams {
  /** Run keepalived and float `vip` between the hosts of `peersGroup`. @default false */
  readonly enabled: boolean
  /** The virtual IPv4 address clients use. Required when enabled. @default none */
  readonly vip?: string
  /** Interface that carries the VIP (`eth0`). Required when enabled. @default none */
  readonly interface?: string
  /** VRRP virtual_router_id, unique on the LAN segment. @default 51 */
  readonly routerId: number
  /** The HAProxy hosts that share the VIP (unicast VRRP between them). @default 'haproxy' */
  readonly peersGroup: string
  /** Per-host priority; hosts not listed get 150, 140, … in `peersGroup` order. @default {} */
  readonly priorities: Readonly<Record<string, number>>
  /** VRRP PASS authentication, 1–8 characters (keepalived ignores the rest). Required when enabled. @default none */
  readonly authPass?: Secret
}

export interface HaproxyParams {
  /** Inventory group whose hosts run kube-apiserver. @default 'masters' */
  readonly mastersGroup: string
  /** Inventory group whose hosts expose the ingress NodePorts. @default 'workers' */
  readonly workersGroup: string
  /** Port HAProxy listens on for the Kubernetes API. @default 6443 */
  readonly apiPort: number
  /** kube-apiserver's port on the masters. @default 6443 */
  readonly apiServerPort: number
  /**
   * 'https': `GET /readyz` over TLS (anonymous, kubeadm's default RBAC), so an API server that
   * listens but has not synced its caches yet (it would answer Forbidden) gets no traffic;
   * 'tcp': a connect check only. @default 'https'
   */
  readonly apiHealthCheck: 'tcp' | 'https'
  /** HAProxy balance algorithm of every backend; HAProxy itself validates the name. @default 'roundrobin' */
  readonly balance: string
  /** @default 8404 */
  readonly statsPort: number
  /** @default '/stats' */
  readonly statsUri: string
  /** @default 'admin' */
  readonly statsUser: string
  /** Stats page password. Required: there is no default (never admin/admin); `generatedSecret('haproxy-stats')` in labs. @default none */
  readonly statsPassword?: Secret
  readonly ingress: HaproxyIngressParams
  readonly timeouts: HaproxyTimeouts
  readonly keepalived: KeepalivedParams
}

export const haproxyDefaults: HaproxyParams = {
  mastersGroup: 'masters',
  workersGroup: 'workers',
  apiPort: 6443,
  apiServerPort: 6443,
  apiHealthCheck: 'https',
  balance: 'roundrobin',
  statsPort: 8404,
  statsUri: '/stats',
  statsUser: 'admin',
  statsPassword: undefined,
  ingress: { enabled: true, httpPort: 80, httpsPort: 443, httpNodePort: 32624, httpsNodePort: 31316 },
  timeouts: { connect: '5s', client: '30s', server: '30s', tunnel: '1h', check: '10s' },
  keepalived: { enabled: false, routerId: 51, peersGroup: 'haproxy', priorities: {} },
}

const port = () => int({ min: 1, max: 65535 })
/** Kubernetes' default NodePort range (kube-apiserver --service-node-port-range). */
const nodePort = () => int({ min: 30000, max: 32767 })
const word = (expected: string, re: RegExp) => refine(string(), expected, (s) => re.test(s))
const groupName = () => word('an inventory group name', /^[A-Za-z0-9_][\w.-]*$/)
const time = () => word("an HAProxy time like '5s', '500ms', '1h'", /^\d+(us|ms|s|m|h|d)?$/)

const statsPassword = secretWord('haproxy.statsPassword',
  'a string or secret() of 8+ printable characters without spaces, quotes, #, $ or backslashes',
  (v) => v.length >= 8 && /^[!-~]+$/.test(v) && !/["'#$\\]/.test(v))
const authPass = secretWord('haproxy.keepalived.authPass',
  'a string or secret() of 6-8 printable characters without spaces, quotes, # or !',
  (v) => /^[!-~]{6,8}$/.test(v) && !/["'#!]/.test(v))

/** Flat vars of Ansible setups → the haproxy setting that holds them here. */
export const HAPROXY_ANSIBLE_NAMES: Readonly<Record<string, string>> = {
  haproxy_stats_user: 'statsUser', haproxy_stats_password: 'statsPassword', haproxy_stats_port: 'statsPort',
}

export const haproxyVarsSchema = object({
  mastersGroup: optional(groupName()),
  workersGroup: optional(groupName()),
  apiPort: optional(port()),
  apiServerPort: optional(port()),
  apiHealthCheck: optional(enumOf(['tcp', 'https'])),
  balance: optional(word('a balance algorithm like roundrobin or leastconn', /^[a-z][\w-]*(\([\w-]*\))?$/)),
  statsPort: optional(port()),
  statsUri: optional(word("a path like '/stats'", /^\/[\w./-]*$/)),
  statsUser: optional(word('a user name of letters, digits, . _ -', /^[\w.-]+$/)),
  statsPassword: optional(statsPassword),
  ingress: optional(object({
    enabled: optional(boolean()),
    httpPort: optional(port()),
    httpsPort: optional(port()),
    httpNodePort: optional(nodePort()),
    httpsNodePort: optional(nodePort()),
  }, { strict: true })),
  timeouts: optional(object({
    connect: optional(time()), client: optional(time()), server: optional(time()), tunnel: optional(time()), check: optional(time()),
  }, { strict: true })),
  keepalived: optional(object({
    enabled: optional(boolean()),
    vip: optional(refine(string(), 'an IPv4 address', isIPv4)),
    interface: optional(word('an interface name like eth0', /^[\w.@-]{1,15}$/)),
    routerId: optional(int({ min: 1, max: 255 })),
    peersGroup: optional(groupName()),
    priorities: optional(record(int({ min: 1, max: 254 }))),
    authPass: optional(authPass),
  }, { strict: true })),
}, { strict: true })

const NESTED = ['ingress', 'timeouts', 'keepalived'] as const

/**
 * defaults < vars (`haproxy:` in group/host vars) < params, merged one level deeper for the nested
 * groups, so vars can set one NodePort without restating the others. Then validated: plain strings
 * become Secrets, and every problem is one ModuleError naming each key.
 */
export function mergeHaproxySettings(fromVars: unknown, params: Partial<HaproxyParams>): HaproxyParams {
  const vars = isPlainObject(fromVars) ? fromVars : {}
  const given = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined))
  const merged: Record<string, unknown> = { ...haproxyDefaults, ...vars, ...given }
  for (const k of NESTED) {
    const layer = (o: Record<string, unknown>): Record<string, unknown> => (isPlainObject(o[k]) ? o[k] : {})
    merged[k] = { ...haproxyDefaults[k], ...layer(vars), ...layer(given) }
  }
  const r = validate(haproxyVarsSchema, merged, 'haproxy settings', { key: 'haproxy' })
  if (r.errors.length) throw new ModuleError('haproxy', r.errors.map((e) => `${e.key}: expected ${e.expected}, found ${e.found}`).join('; '))
  return r.value as unknown as HaproxyParams
}

export interface Server {
  readonly name: string
  /** `10.0.0.1:6443`, `[fd00::1]:6443` */
  readonly address: string
}

export interface KeepalivedModel {
  readonly state: 'MASTER' | 'BACKUP'
  readonly priority: number
  readonly interface: string
  readonly routerId: number
  readonly vip: string
  readonly self: string
  readonly peers: readonly string[]
  readonly authPass: Secret
}

/** What the templates render for one HAProxy host. */
export interface HaproxyModel {
  readonly host: string
  readonly s: HaproxyParams
  readonly masters: readonly Server[]
  readonly workersHttp: readonly Server[]
  readonly workersHttps: readonly Server[]
  readonly keepalived?: KeepalivedModel
}

const serverName = (h: string): string => h.replace(/[^\w.:-]/g, '_')
const hostPort = (addr: string, p: number): string => (addr.includes(':') ? `[${addr}]:${p}` : `${addr}:${p}`)

function groupHosts(inv: Inventory, key: string, group: string, why: string): string[] {
  const g = inv.groups.get(group)
  if (!g) throw new ModuleError('haproxy', `${key}: expected an inventory group with ${why}, found no group '${group}' in ${inv.source}`)
  if (g.hosts.length === 0) throw new ModuleError('haproxy', `${key}: expected ${why} in group '${group}', found an empty group`)
  return [...g.hosts]
}

const addressOf = (inv: Inventory, h: string): string => inv.hosts.get(h)?.connection.address ?? h

/** Pure: settings + inventory → the model for `host`; throws a ModuleError naming the key on any problem. */
export function haproxyModel(s: HaproxyParams, inv: Inventory, host: string): HaproxyModel {
  if (!s.statsPassword) {
    throw new ModuleError('haproxy', "haproxy.statsPassword: expected a secret for the stats page (e.g. generatedSecret('haproxy-stats')), found nothing: there is no default password")
  }
  const binds: [string, number][] = [['haproxy.apiPort', s.apiPort], ['haproxy.statsPort', s.statsPort]]
  if (s.ingress.enabled) binds.push(['haproxy.ingress.httpPort', s.ingress.httpPort], ['haproxy.ingress.httpsPort', s.ingress.httpsPort])
  for (const [i, [k, p]] of binds.entries()) {
    const clash = binds.slice(0, i).find(([, q]) => q === p)
    if (clash) throw new ModuleError('haproxy', `${k}: expected a port no other frontend binds, found ${p}, also ${clash[0]}`)
  }
  const masters = groupHosts(inv, 'haproxy.mastersGroup', s.mastersGroup, 'the Kubernetes API servers (masters)')
    .map((h) => ({ name: serverName(h), address: hostPort(addressOf(inv, h), s.apiServerPort) }))
  const workers = s.ingress.enabled ? groupHosts(inv, 'haproxy.workersGroup', s.workersGroup, 'the ingress workers (or set haproxy.ingress.enabled: false)') : []
  const on = (p: number) => workers.map((h) => ({ name: serverName(h), address: hostPort(addressOf(inv, h), p) }))
  return {
    host,
    s,
    masters,
    workersHttp: on(s.ingress.httpNodePort),
    workersHttps: on(s.ingress.httpsNodePort),
    keepalived: s.keepalived.enabled ? keepalivedModel(s.keepalived, inv, host) : undefined,
  }
}

function keepalivedModel(k: KeepalivedParams, inv: Inventory, host: string): KeepalivedModel {
  const need = (key: string, v: unknown, what: string): void => {
    if (v === undefined || v === '') throw new ModuleError('haproxy', `haproxy.keepalived.${key}: expected ${what} (keepalived is enabled), found nothing`)
  }
  need('vip', k.vip, 'the virtual IPv4 address')
  need('interface', k.interface, "the interface that carries the VIP (e.g. 'eth0')")
  need('authPass', k.authPass, 'a VRRP password of 1-8 characters')
  const peers = groupHosts(inv, 'haproxy.keepalived.peersGroup', k.peersGroup, 'the HAProxy hosts sharing the VIP')
  const index = peers.indexOf(host)
  if (index < 0) throw new ModuleError('haproxy', `haproxy.keepalived.peersGroup: expected this host (${host}) in group '${k.peersGroup}', found ${peers.join(', ')}`)
  for (const p of peers) {
    const a = addressOf(inv, p)
    if (!isIPv4(a)) throw new ModuleError('haproxy', `haproxy.keepalived.peersGroup: expected an IPv4 inventory address for ${p} (VRRP peers), found '${a}'`)
  }
  // The VIP floats between the peers: no host of the inventory may own it (a master, a worker too).
  const owner = [...inv.hosts.keys()].find((h) => addressOf(inv, h) === k.vip)
  if (owner) throw new ModuleError('haproxy', `haproxy.keepalived.vip: expected an address no host has, found ${k.vip}, the address of ${owner}`)
  const priority = k.priorities[host] ?? 150 - 10 * index
  if (!Number.isInteger(priority) || priority < 1 || priority > 254) {
    throw new ModuleError('haproxy', `haproxy.keepalived.priorities.${host}: expected an integer 1..254, found ${describe(priority)}`)
  }
  const top = Math.max(...peers.map((p, i) => k.priorities[p] ?? 150 - 10 * i))
  return {
    state: priority === top ? 'MASTER' : 'BACKUP',
    priority,
    interface: k.interface!,
    routerId: k.routerId,
    vip: k.vip!,
    self: addressOf(inv, host),
    peers: peers.filter((p) => p !== host).map((p) => addressOf(inv, p)),
    authPass: k.authPass!,
  }
}

/**
 * Where kubeadm's `controlPlaneEndpoint` points: the keepalived VIP when enabled, else the first
 * host of the HAProxy group. A missing HAProxy host is a ConfigError, found before any connection.
 */
export function apiEndpoint(inv: Inventory, opts: { group?: string; port?: number; vip?: string } = {}): string {
  const group = opts.group ?? 'haproxy'
  const port = opts.port ?? haproxyDefaults.apiPort
  if (opts.vip) return hostPort(opts.vip, port)
  const first = inv.groups.get(group)?.hosts[0]
  if (!first) {
    throw new ConfigError(inv.source, `groups.${group}`, 'at least one HAProxy host (the API endpoint)',
      inv.groups.has(group) ? 'an empty group' : 'no such group (missing HAProxy host)')
  }
  return hostPort(addressOf(inv, first), port)
}
