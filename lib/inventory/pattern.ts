/**
 * Ansible host patterns: `all`, `web`, `web:db` (union), `web:&eu` (intersection), `web:!lab3`
 * (exclusion), `masters[0]`, `workers[1:3]`, `workers[-1]`, `lab*` (wildcard). Result keeps inventory order.
 */
import { ConfigError } from '../errors.ts'
import type { Inventory } from './types.ts'

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`)
}

export interface SelectOptions {
  /** Called for a name that is neither a host nor a group; when absent, such a name is a ConfigError. */
  readonly onUnknown?: (name: string) => void
}

function resolveTerm(inv: Inventory, term: string, where: string, o: SelectOptions): string[] {
  const m = /^(.+?)\[(-?\d+)(?::(-?\d*))?\]$/.exec(term)
  const base = m ? m[1]! : term
  let hosts: string[]
  if (base === 'all' || base === '*') hosts = [...inv.hosts.keys()]
  else if (inv.groups.has(base)) hosts = [...inv.groups.get(base)!.hosts]
  else if (inv.hosts.has(base)) hosts = [base]
  else if (/[*?]/.test(base)) {
    const re = globToRegExp(base)
    const set = new Set<string>()
    for (const h of inv.hosts.keys()) if (re.test(h)) set.add(h)
    for (const g of inv.groups.values()) if (re.test(g.name)) g.hosts.forEach((h) => set.add(h))
    hosts = [...inv.hosts.keys()].filter((h) => set.has(h))
  } else if (o.onUnknown) {
    o.onUnknown(base)
    return []
  } else {
    throw new ConfigError(where, base, `a host or group of ${inv.source}`, `'${base}', which is neither`)
  }
  if (!m) return hosts
  const at = (i: number): number => (i < 0 ? hosts.length + i : i)
  const start = at(Number(m[2]))
  if (m[3] === undefined) return hosts[start] === undefined ? [] : [hosts[start]!]
  const end = m[3] === '' ? hosts.length - 1 : at(Number(m[3]))
  return hosts.slice(start, end + 1)
}

/** Host names matched by `pattern` (string or list of terms), in inventory order. */
export function selectHosts(inv: Inventory, pattern: string | readonly string[], where = 'hosts', o: SelectOptions = {}): string[] {
  const split = (p: string): string[] => p.split(/[:,](?![^[]*\])/)
  const terms = (typeof pattern === 'string' ? split(pattern) : pattern.flatMap(split))
    .map((t) => t.trim())
    .filter(Boolean)
  const union = new Set<string>()
  const intersections: string[][] = []
  const exclusions = new Set<string>()
  for (const t of terms) {
    if (t.startsWith('&')) intersections.push(resolveTerm(inv, t.slice(1), where, o))
    else if (t.startsWith('!')) resolveTerm(inv, t.slice(1), where, o).forEach((h) => exclusions.add(h))
    else resolveTerm(inv, t, where, o).forEach((h) => union.add(h))
  }
  return [...inv.hosts.keys()].filter(
    (h) => union.has(h) && !exclusions.has(h) && intersections.every((set) => set.includes(h)),
  )
}
