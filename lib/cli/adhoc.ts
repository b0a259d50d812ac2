/** The ad-hoc commands: `kubeplay ping`, `shell`, `facts` and `inventory`, over the same inventory loading, host keys, forks and masking as playbooks. */
import { join } from 'node:path'
import PQueue from 'p-queue'
import { raw, sh } from '../connection/quote.ts'
import { mask } from '../secret.ts'
import type { Connection } from '../connection/types.ts'
import { ConfigError, ConnectError } from '../errors.ts'
import { loadInventory } from '../inventory/load.ts'
import { selectHosts } from '../inventory/pattern.ts'
import type { Inventory, InventoryHost } from '../inventory/types.ts'
import { vaultPassword } from '../vault.ts'
import { EXIT, valueAfter } from './args.ts'
import { connectorFor } from './main.ts'
import { gatherFacts } from './facts.ts'

export interface AdhocOptions {
  inventory: string
  pattern?: string
  become: boolean
  forks: number
  oneLine: boolean
  hostKeyPolicy: 'strict' | 'accept-new'
  vaultPasswordFile?: string
  list: boolean
  graph: boolean
  host?: string
  command: string[]
}

/** Pure: the options of ping/shell/inventory; ConfigError naming the flag on anything unknown. */
export function parseAdhocArgs(argv: readonly string[]): AdhocOptions {
  const o: AdhocOptions = { inventory: 'lab', become: false, forks: 50, oneLine: false, hostKeyPolicy: 'strict', list: false, graph: false, command: [] }
  const positional: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = (): string => valueAfter(argv, ++i, a)
    if (a === '--') { o.command = argv.slice(i + 1) as string[]; break }
    switch (a) {
      case '-i': case '--inventory': o.inventory = value(); break
      case '-b': case '--become': o.become = true; break
      case '-f': case '--forks': {
        const v = value()
        o.forks = Number(v)
        if (!Number.isInteger(o.forks) || o.forks < 1) throw new ConfigError('command line', a, 'a whole number ≥ 1', `'${v}'`)
        break
      }
      case '--one-line': o.oneLine = true; break
      case '--host-key-policy': {
        const v = value()
        if (v !== 'strict' && v !== 'accept-new') throw new ConfigError('command line', a, "'strict' or 'accept-new'", `'${v}'`)
        o.hostKeyPolicy = v
        break
      }
      case '--vault-password-file': o.vaultPasswordFile = value(); break
      case '--list': o.list = true; break
      case '--graph': o.graph = true; break
      case '--host': o.host = value(); break
      default:
        if (a.startsWith('-')) throw new ConfigError('command line', a, 'an option from kubeplay --help', `unknown option '${a}'`)
        positional.push(a)
    }
  }
  if (positional.length > 1) throw new ConfigError('command line', positional[1]!, 'one host pattern (put the command after --)', `'${positional.join(' ')}'`)
  o.pattern = positional[0]
  return o
}

export interface Io { readonly out: (l: string) => void; readonly err: (l: string) => void }

export async function inventoryOf(o: AdhocOptions): Promise<Inventory> {
  return loadInventory(o.inventory, { vaultPassword: vaultPassword(o.vaultPasswordFile) })
}

type Outcome<T> = T & { readonly code: number }

/**
 * The hosts `pattern` matches (none: a ConfigError before any connection), each connected with the
 * inventory's policy, `forks` at a time, `work` run on it and the connection closed. A host that
 * cannot be reached (or fails in `work`) gets `broken('UNREACHABLE' | 'FAILED', reason)`.
 */
export async function onEachHost<T>(o: AdhocOptions, pattern: string, work: (conn: Connection, host: InventoryHost, inv: Inventory) => Promise<Outcome<T>>,
  broken: (status: 'UNREACHABLE' | 'FAILED', why: string) => T): Promise<{ hosts: string[]; results: Map<string, Outcome<T>> }> {
  const inv = await inventoryOf(o)
  const hosts = selectHosts(inv, pattern, 'pattern')
  if (!hosts.length) throw new ConfigError(inv.source, 'pattern', 'a pattern matching hosts', `'${pattern}', which matches none`)
  const connect = connectorFor(inv, o)
  const results = await perHost(hosts, o.forks, async (h): Promise<Outcome<T>> => {
    const host = inv.hosts.get(h)!
    let conn: Connection
    try { conn = await connect(host) } catch (e) { return { ...broken('UNREACHABLE', reason(e)), code: EXIT.unreachable } }
    try {
      return await work(conn, host, inv)
    } catch (e) {
      return unreachable(e) ? { ...broken('UNREACHABLE', reason(e)), code: EXIT.unreachable } : { ...broken('FAILED', reason(e)), code: EXIT.failed }
    } finally { await conn.close().catch(() => {}) }
  })
  return { hosts, results }
}

/** One line per host, as `ansible -m ping` prints it. */
export async function ping(o: AdhocOptions, io: Io): Promise<number> {
  const { hosts, results } = await onEachHost(o, o.pattern ?? 'all', async (conn, host) => {
    const r = await conn.exec(sh`id -un`, { become: host.connection.become })
    if (r.code !== 0) return { code: EXIT.failed, line: `FAILED: ${host.connection.become ? 'become' : 'login shell'}: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}` }
    return { code: EXIT.ok, line: `ok (${host.connection.user}@${host.connection.address}${host.connection.connection === 'ssh' ? `:${host.connection.port}` : ''}, as ${r.stdout.trim()})` }
  }, (status, why) => ({ line: `${status}: ${why}` }))
  for (const [h, r] of results) io.out(mask(`${h.padEnd(Math.max(...hosts.map((x) => x.length)))}  ${r.line}`))
  return worst([...results.values()].map((r) => r.code))
}

/** The command on every host, output grouped per host (never interleaved), exit status per host. */
export async function shell(o: AdhocOptions, io: Io): Promise<number> {
  if (!o.pattern) throw new ConfigError('command line', 'PATTERN', 'a host pattern before -- (all, masters, lab2…)', 'nothing')
  if (!o.command.length) throw new ConfigError('command line', '--', 'the command after -- (kubeplay shell masters -- uptime)', 'nothing')
  // The words after -- are one shell command line, as `ansible -a` takes it.
  const cmd = sh`${raw(o.command.join(' '))}`
  const { results } = await onEachHost(o, o.pattern, async (conn) => {
    const r = await conn.exec(cmd, { become: o.become })
    const text = [r.stdout, r.stderr].map((t) => t.replace(/\n$/, '')).filter(Boolean).join('\n')
    return { code: r.code === 0 ? EXIT.ok : EXIT.failed, status: r.code === 0 ? 'ok' : `FAILED rc=${r.code}`, text }
  }, (status: string, text) => ({ status, text }))
  for (const [h, r] of results) {
    if (o.oneLine) io.out(mask(`${h} | ${r.status} | ${r.text.replace(/\n/g, '\\n')}`))
    else { io.out(mask(`${h} | ${r.status} >>`)); if (r.text) io.out(mask(r.text)) }
  }
  return worst([...results.values()].map((r) => r.code))
}

/** What kubeplay reads of each host, as one JSON object by host name (unreachable hosts: their error). */
export async function facts(o: AdhocOptions, io: Io): Promise<number> {
  const { results } = await onEachHost(o, o.pattern ?? 'all', async (conn, host, inv) => ({ code: EXIT.ok, value: await gatherFacts(conn, inv, host.name) as unknown }),
    (status, why) => ({ value: (status === 'UNREACHABLE' ? { unreachable: why } : { failed: why }) as unknown }))
  io.out(mask(JSON.stringify(Object.fromEntries([...results].map(([h, r]) => [h, r.value])), null, 2)))
  return worst([...results.values()].map((r) => r.code))
}

/** ansible-inventory: --list (JSON), --graph (tree), --host NAME (vars and where each came from). */
export async function inventory(o: AdhocOptions, io: Io): Promise<number> {
  const modes = [o.list, o.graph, o.host !== undefined].filter(Boolean).length
  if (modes !== 1) throw new ConfigError('command line', 'inventory', 'exactly one of --list, --graph, --host NAME', modes ? 'several' : 'none')
  const inv = await inventoryOf(o)
  if (o.list) {
    const groups = Object.fromEntries([...inv.groups.values()].map((g) => [g.name, {
      ...(g.name === 'all' ? {} : { hosts: g.hosts }), ...(g.children.length ? { children: g.children } : {}),
    }]))
    io.out(mask(JSON.stringify({ _meta: { hostvars: Object.fromEntries([...inv.hosts.values()].map((h) => [h.name, h.vars])) }, ...groups }, null, 2)))
  } else if (o.graph) {
    const lines = ['@all:']
    const walk = (g: string, depth: number): void => {
      const group = inv.groups.get(g)!
      for (const c of group.children) {
        lines.push(`${'  |'.repeat(depth)}--@${c}:`)
        walk(c, depth + 1)
      }
      const direct = group.hosts.filter((h) => !group.children.some((c) => inv.groups.get(c)?.hosts.includes(h)))
      if (g !== 'all') for (const h of direct) lines.push(`${'  |'.repeat(depth)}--${h}`)
    }
    walk('all', 1)
    io.out(lines.join('\n'))
  } else {
    const h = inv.hosts.get(o.host!)
    if (!h) throw new ConfigError(inv.source, '--host', 'a host of the inventory', `'${o.host}'`)
    const sources = Object.fromEntries([...(inv.origins?.get(h.name) ?? [])].sort(([a], [b]) => a.localeCompare(b)))
    io.out(mask(JSON.stringify({ vars: h.vars, groups: h.groups, sources }, null, 2)))
  }
  return EXIT.ok
}

export async function perHost<R>(hosts: readonly string[], forks: number, fn: (h: string) => Promise<R>): Promise<Map<string, R>> {
  const queue = new PQueue({ concurrency: forks })
  const out = new Map<string, R>()
  await Promise.all(hosts.map((h) => queue.add(async () => { out.set(h, await fn(h)) })))
  return new Map(hosts.map((h) => [h, out.get(h)!]))
}

export const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!

/** Could not reach or log in; a refused sudo (wrong become password) is a failure on a reached host, as in Ansible. */
export const unreachable = (e: unknown): boolean => e instanceof ConnectError && e.reason !== 'sudo-password-wrong' && e.reason !== 'sudo-required'

/** Unreachable wins over failed (nothing could be tried there), failed over ok. */
export function worst(codes: number[]): number {
  return codes.includes(EXIT.unreachable) ? EXIT.unreachable : codes.includes(EXIT.failed) ? EXIT.failed : EXIT.ok
}
