/**
 * InventorySpec → Inventory: validate every setting, resolve group children transitively, merge vars
 * by precedence and fill connection defaults. Pure (the environment and the key-file check are
 * passed in), so every rule is unit-tested without a file system and never connects anywhere.
 *
 * Vars precedence, lowest first (Ansible's order):
 *   all < groups by depth (parents before children; same depth by name) < host
 * where each group's vars are its inline vars overridden by its group_vars files, and a host's are its
 * inline vars overridden by its host_vars files.
 * Connection settings, lowest first: `defaults` < ansible_* vars (after the precedence above) < the
 * host's own settings.
 */
import { ConfigError, ConfigErrors } from '../errors.ts'
import type { ConnectionSpec, Inventory, InventoryGroup, InventoryHost, InventorySpec, Vars } from './types.ts'
import { splitAnsibleVars } from './ansible-vars.ts'
import { overrideVars, wrapSecretVars } from './group-vars.ts'
import { attachedOrigins, noteOrigin, type Origins } from './origins.ts'
import { checkConnections, connectionFor } from './connections.ts'
import { isAddress, isPort } from '../schema/net.ts'
import * as v from '../schema/validate.ts'

const connectionShape = {
  address: v.optional(v.refine(v.string(), 'an IPv4/IPv6 address or host name', isAddress)),
  port: v.optional(v.custom('a port 1..65535', (p) => (isPort(p) ? p : { error: 'a port 1..65535' }))),
  user: v.optional(v.refine(v.string(), 'a non-empty user name', (s) => s.length > 0)),
  keyFile: v.optional(v.string()),
  passphrase: v.optional(v.secret('passphrase')),
  password: v.optional(v.secret('password')),
  agent: v.optional(v.union(v.boolean(), v.string())),
  become: v.optional(v.boolean()),
  becomePassword: v.optional(v.secret('becomePassword')),
  jump: v.optional(v.string()),
  hostKey: v.optional(v.string()),
  knownHosts: v.optional(v.string()),
  connection: v.optional(v.enumOf(['ssh', 'local'])),
}
const varsSchema = v.record(v.unknown())
export const connectionSchema = v.object(connectionShape, { strict: true })
export const hostSchema = v.object({ ...connectionShape, vars: v.optional(varsSchema) }, { strict: true })
export const groupSchema = v.object({
  hosts: v.optional(v.array(v.string())),
  children: v.optional(v.array(v.string())),
  vars: v.optional(varsSchema),
}, { strict: true })
const specSchema = v.object({
  hosts: v.record(v.unknown()),
  groups: v.optional(v.record(v.unknown())),
  vars: v.optional(varsSchema),
  defaults: v.optional(v.unknown()),
}, { strict: true })

export interface ResolveOptions {
  /** Name in error messages when it differs from `source` (the lab's inventory.json). @default source */
  readonly file?: string
  /** group_vars file contents per group name (already validated by the loader). */
  readonly groupVars?: Readonly<Record<string, Vars>>
  /** host_vars file contents per host name. */
  readonly hostVars?: Readonly<Record<string, Vars>>
  /** Base of relative key files (as Ansible: the directory kubeplay runs in). @default process.cwd() */
  readonly cwd?: string
  /** USER, HOME, SSH_AUTH_SOCK. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Why a key file cannot be used, or null. No check when absent (keeps this function pure). */
  readonly checkKeyFile?: (path: string) => string | null
}

/** Names of groups reachable through `children` form a cycle: report the path, drop the closing edge. */
function findCycles(children: Map<string, string[]>, file: string, errors: ConfigError[]): void {
  const state = new Map<string, 'open' | 'done'>()
  const visit = (g: string, path: string[]): void => {
    state.set(g, 'open')
    for (const c of [...(children.get(g) ?? [])]) {
      if (state.get(c) === 'open') {
        const cycle = [...path.slice(path.indexOf(c)), g, c]
        errors.push(new ConfigError(file, v.joinKey(v.joinKey('groups', g), 'children'), 'groups without a cycle',
          `cycle ${cycle.join(' → ')}`))
        children.set(g, children.get(g)!.filter((x) => x !== c))
      } else if (!state.has(c)) visit(c, [...path, g])
    }
    state.set(g, 'done')
  }
  for (const g of children.keys()) if (!state.has(g)) visit(g, [])
}

/** Validates and resolves; returns every problem instead of throwing. */
export function resolveInventory(spec: unknown, source: string, opts: ResolveOptions = {}): { inventory?: Inventory; errors: ConfigError[] } {
  const file = opts.file ?? source
  const env = opts.env ?? process.env
  const errors: ConfigError[] = []
  const top = v.validate(specSchema, spec, file)
  if (top.errors.length) errors.push(...top.errors)
  if (typeof spec !== 'object' || spec === null || typeof (spec as InventorySpec).hosts !== 'object' || (spec as InventorySpec).hosts === null) {
    return { errors }
  }
  const s = spec as InventorySpec
  const check = <T>(schema: v.Schema<T>, value: unknown, key: string): T | undefined => {
    const r = v.validate(schema, value, file, { key })
    errors.push(...r.errors)
    return r.value
  }
  const cleanVars = (vars: Vars | undefined, key: string): Vars =>
    vars && typeof vars === 'object' ? splitAnsibleVars(vars, file, (k) => v.joinKey(key, k), errors).clean : {}

  const hostNames = Object.keys(s.hosts)
  const hostSpecs = new Map(hostNames.map((h) => [h, check(hostSchema, s.hosts[h], v.joinKey('hosts', h)) ?? {}]))
  const defaults = s.defaults === undefined ? {} : check(connectionSchema, s.defaults, 'defaults') ?? {}
  const groupSpecs = new Map<string, { hosts: string[]; children: string[]; vars: Vars }>()
  for (const [g, raw] of Object.entries(s.groups ?? {})) {
    const key = v.joinKey('groups', g)
    if (g === 'all' || g === 'ungrouped') {
      errors.push(new ConfigError(file, key, "a group name other than 'all' (use the top-level vars) or 'ungrouped'", `'${g}'`))
      continue
    }
    if (s.hosts[g] !== undefined) errors.push(new ConfigError(file, key, 'a group name not used by a host', `'${g}', also a host`))
    const gs = check(groupSchema, raw, key) ?? {}
    const hosts = (gs.hosts ?? []).filter((h, i) => {
      if (s.hosts[h] !== undefined) return true
      errors.push(new ConfigError(file, v.joinKey(v.joinKey(key, 'hosts'), i), 'a host defined in hosts', `'${h}'`))
      return false
    })
    groupSpecs.set(g, { hosts: [...new Set(hosts)], children: [], vars: cleanVars(gs.vars, v.joinKey(key, 'vars')) })
  }
  const children = new Map<string, string[]>()
  for (const [g, raw] of Object.entries(s.groups ?? {})) {
    if (!groupSpecs.has(g)) continue
    const list = (raw as { children?: unknown }).children
    const kids = (Array.isArray(list) ? list : []).filter((c, i): c is string => {
      if (typeof c !== 'string') return false
      if (groupSpecs.has(c)) return true
      errors.push(new ConfigError(file, v.joinKey(v.joinKey(v.joinKey('groups', g), 'children'), i), 'a group defined in groups', `'${c}'`))
      return false
    })
    children.set(g, [...new Set(kids)])
  }
  findCycles(children, file, errors)

  // Depth orders vars precedence: a child group is deeper than each of its parents.
  const parents = new Map<string, string[]>([...groupSpecs.keys()].map((g) => [g, []]))
  for (const [g, kids] of children) for (const c of kids) parents.get(c)!.push(g)
  const depthMemo = new Map<string, number>()
  const depth = (g: string): number => {
    if (!depthMemo.has(g)) depthMemo.set(g, 1 + Math.max(0, ...parents.get(g)!.map(depth)))
    return depthMemo.get(g)!
  }
  const order = new Map(hostNames.map((h, i) => [h, i]))
  const memberMemo = new Map<string, Set<string>>()
  const members = (g: string): Set<string> => {
    if (!memberMemo.has(g)) {
      const set = new Set(groupSpecs.get(g)!.hosts)
      for (const c of children.get(g) ?? []) members(c).forEach((h) => set.add(h))
      memberMemo.set(g, set)
    }
    return memberMemo.get(g)!
  }
  const sortHosts = (set: Iterable<string>): string[] => [...set].sort((a, b) => order.get(a)! - order.get(b)!)
  const byDepth = [...groupSpecs.keys()].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0))

  // Every layer overrides the ones below mapping by mapping (a role's settings are one mapping).
  const groupVars = (g: string, inline: Vars): Vars => overrideVars(inline, opts.groupVars?.[g] ?? {})
  const allVars = groupVars('all', cleanVars(s.vars, 'vars'))
  const ungroupedVars = groupVars('ungrouped', {})
  const hosts = new Map<string, InventoryHost>()
  const origins = new Map<string, Origins>()
  // A layer's leaves come from its attached per-file origins (group_vars, host_vars), else the inventory file.
  const layerOrigins = (layer: Vars, fromFiles: Vars | undefined, into: Origins): void => {
    noteOrigin(into, layer, file)
    const o = attachedOrigins(fromFiles)
    if (o) for (const [p, f] of o) into.set(p, f)
  }
  const ungrouped: string[] = []
  for (const name of hostNames) {
    const hs = hostSpecs.get(name)!
    const direct = byDepth.filter((g) => members(g).has(name))
    if (direct.length === 0) ungrouped.push(name)
    const groups = ['all', ...(direct.length ? direct : ['ungrouped'])]
    const inline = cleanVars(hs.vars, v.joinKey(v.joinKey('hosts', name), 'vars'))
    const layers = [allVars, ...(direct.length ? direct.map((g) => groupVars(g, groupSpecs.get(g)!.vars)) : [ungroupedVars]),
      inline, opts.hostVars?.[name] ?? {}]
    const merged = splitAnsibleVars(layers.reduce<Vars>((a, b) => overrideVars(a, b), {}), file, String, null)
    const hostOrigins: Origins = new Map()
    layerOrigins(allVars, opts.groupVars?.all, hostOrigins)
    for (const g of direct) layerOrigins(groupVars(g, groupSpecs.get(g)!.vars), opts.groupVars?.[g], hostOrigins)
    layerOrigins(inline, undefined, hostOrigins)
    layerOrigins(opts.hostVars?.[name] ?? {}, opts.hostVars?.[name], hostOrigins)
    origins.set(name, hostOrigins)
    const { vars: _ignored, ...own } = hs
    const conn = connectionFor(name, { ...defaults, ...merged.conn, ...own }, env, opts.cwd ?? process.cwd())
    hosts.set(name, { name, connection: conn, vars: wrapSecretVars(merged.rest), groups })
  }
  checkConnections(hosts, file, opts.checkKeyFile, errors)

  const groups = new Map<string, InventoryGroup>()
  const roots = [...groupSpecs.keys()].filter((g) => parents.get(g)!.length === 0)
  groups.set('all', { name: 'all', hosts: hostNames, children: [...roots, 'ungrouped'], vars: wrapSecretVars(allVars) })
  groups.set('ungrouped', { name: 'ungrouped', hosts: ungrouped, children: [], vars: wrapSecretVars(ungroupedVars) })
  for (const [g, gs] of groupSpecs) {
    groups.set(g, { name: g, hosts: sortHosts(members(g)), children: children.get(g) ?? [], vars: wrapSecretVars(groupVars(g, gs.vars)) })
  }
  return errors.length ? { errors } : { inventory: { source, hosts, groups, origins }, errors }
}

/** Pure InventorySpec → Inventory; throws ConfigErrors listing every problem. */
export function inventoryFromSpec(spec: InventorySpec, source: string, opts: ResolveOptions = {}): Inventory {
  const r = resolveInventory(spec, source, opts)
  if (!r.inventory) throw new ConfigErrors(r.errors)
  return r.inventory
}

export type { ConnectionSpec }
