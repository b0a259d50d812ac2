/**
 * Where each var came from: for every host, the file (or `command line (-e)`) that set each leaf of
 * its vars (`kubernetes.podSubnet` → `group_vars/k8s-cluster.yml`), so that a problem found after the
 * vars are merged still names the file to fix.
 */
import type { Inventory } from './types.ts'
import { isMapping } from '../schema/validate.ts'

/** Leaf path → file, for one vars object (a group's merged group_vars files, a host_vars file). */
export type Origins = Map<string, string>

const attached = new WeakMap<object, Origins>()

/** Pure: every leaf path of `vars` (mappings are walked; lists, secrets and scalars are leaves). */
export function leafPaths(vars: unknown, prefix = ''): string[] {
  if (!isMapping(vars)) return prefix ? [prefix] : []
  return Object.entries(vars).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k))
}

/** Records that every leaf of `vars` came from `file` (later calls override). */
export function noteOrigin(into: Origins, vars: unknown, file: string): Origins {
  for (const p of leafPaths(vars)) into.set(p, file)
  return into
}

/** Attaches per-leaf origins to a vars object, for resolve to read back. */
export function attachOrigins<T extends object>(vars: T, origins: Origins): T {
  attached.set(vars, origins)
  return vars
}

export function attachedOrigins(vars: object | undefined): Origins | undefined {
  return vars ? attached.get(vars) : undefined
}

/**
 * The file that set `path` on `host` (`kubernetes.podSubnet`); with `orParent`, for a setting nobody
 * set (a required one missing), the file that set most of its mapping (`kubernetes.*`), where it
 * belongs. Undefined when the vars say nothing about it.
 */
export function originOf(inv: Inventory, host: string | undefined, path: string, opts: { orParent?: boolean } = {}): string | undefined {
  const o = host ? inv.origins?.get(host) : undefined
  if (!o) return undefined
  const exact = o.get(path) ?? [...o].find(([p]) => p.startsWith(`${path}.`))?.[1]
  if (exact || !opts.orParent) return exact
  const parent = path.split('.').slice(0, -1).join('.')
  if (!parent) return undefined
  const counts = new Map<string, number>()
  for (const [p, f] of o) if (p.startsWith(`${parent}.`)) counts.set(f, (counts.get(f) ?? 0) + 1)
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0]
}
