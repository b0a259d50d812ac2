/**
 * Which hosts a lab has and which groups they belong to. Pure: the same inputs always give the same
 * host names, addresses and groups.
 */
import { ConfigError } from '../errors.ts'
import { MAX_HOSTS } from './paths.ts'

export type Layout = 'flat' | 'seed001'
export const LAYOUTS: readonly Layout[] = ['flat', 'seed001']

export interface LayoutHost {
  readonly name: string
  /** Groups the host is directly in (not through children). */
  readonly groups: readonly string[]
}

export interface LayoutPlan {
  readonly layout: Layout
  readonly hosts: readonly LayoutHost[]
  /** Group name → direct hosts and child groups, in inventory order. */
  readonly groups: Readonly<Record<string, { readonly hosts?: readonly string[]; readonly children?: readonly string[] }>>
}

export function parseLayout(v: string): Layout {
  if ((LAYOUTS as readonly string[]).includes(v)) return v as Layout
  throw new ConfigError('lab', 'layout', LAYOUTS.join(' | '), JSON.stringify(v))
}

/** `flat`: N hosts in group `lab`. `seed001`: 7 hosts, haproxy + 3 masters + 3 workers (N is ignored). */
export function planLayout(layout: Layout, n?: number): LayoutPlan {
  if (layout === 'seed001') {
    if (n !== undefined && n !== 7) throw new ConfigError('lab', 'hosts', '7 (or nothing) for layout seed001', String(n))
    const names = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `lab${from + i}`)
    const masters = names(2, 4)
    const workers = names(5, 7)
    const groups = {
      haproxy: { hosts: ['lab1'] },
      masters: { hosts: masters },
      workers: { hosts: workers },
      'k8s-cluster': { children: ['masters', 'workers'] },
      nfs_server: { hosts: [masters[0]!] },
      nfs_clients: { hosts: workers },
    }
    const hosts = names(1, 7).map((name) => ({
      name,
      groups: Object.entries(groups).filter(([, g]) => 'hosts' in g && g.hosts.includes(name)).map(([gn]) => gn),
    }))
    return { layout, hosts, groups }
  }
  const count = n ?? 3
  if (!Number.isInteger(count) || count < 1 || count > MAX_HOSTS) {
    throw new ConfigError('lab', 'hosts', `an integer 1..${MAX_HOSTS}`, String(n))
  }
  const hosts = Array.from({ length: count }, (_, i) => ({ name: `lab${i + 1}`, groups: ['lab'] }))
  return { layout, hosts, groups: { lab: { hosts: hosts.map((h) => h.name) } } }
}
