/**
 * Engine-semantics doubles: an in-memory inventory, a connector that never touches a network, and a
 * recording module whose check/apply outcomes are scripted per host.
 */
import type { Connection, ExecResult } from '../../lib/connection/types.ts'
import { ConnectError } from '../../lib/errors.ts'
import { change, defineModule, noChange, type HostContext } from '../../lib/engine/module.ts'
import type { Inventory, InventoryGroup, InventoryHost } from '../../lib/inventory/types.ts'

export function stubInventory(groups: Record<string, string[]>, vars: Record<string, Record<string, unknown>> = {}): Inventory {
  const hosts = new Map<string, InventoryHost>()
  const all = [...new Set(Object.values(groups).flat())]
  for (const h of all) {
    const memberOf = Object.keys(groups).filter((g) => groups[g]!.includes(h))
    hosts.set(h, { name: h, vars: vars[h] ?? {}, groups: ['all', ...memberOf],
      connection: { address: '127.0.0.1', port: 22, user: 'root', become: false, connection: 'local' } })
  }
  const gm = new Map<string, InventoryGroup>([['all', { name: 'all', hosts: all, children: [], vars: {} }]])
  for (const [g, hs] of Object.entries(groups)) gm.set(g, { name: g, hosts: hs, children: [], vars: {} })
  return { source: 'stub', hosts, groups: gm }
}

export interface Call { host: string; title: string; phase: 'check' | 'apply'; at: number }

export class Recorder {
  readonly calls: Call[] = []
  readonly connected: string[] = []
  active = 0
  maxActive = 0
  /** Hosts whose connection fails. */
  readonly down = new Set<string>()

  connector = async (h: InventoryHost): Promise<Connection> => {
    this.connected.push(h.name)
    if (this.down.has(h.name)) throw new ConnectError(h.name, 'unreachable', 'stub: host is down')
    const ok: ExecResult = { code: 0, stdout: '', stderr: '', stdoutBytes: Buffer.alloc(0) }
    return {
      host: h.name,
      exec: async () => ok,
      readFile: async () => null,
      writeFile: async () => undefined,
      close: async () => undefined,
    }
  }

  calledOn(title: string, phase: Call['phase'] = 'apply'): string[] {
    return this.calls.filter((c) => c.title === title && c.phase === phase).map((c) => c.host)
  }

  titles(host: string, phase: Call['phase'] = 'check'): string[] {
    return this.calls.filter((c) => c.host === host && c.phase === phase).map((c) => c.title)
  }
}

export interface StepParams {
  readonly title: string
  /** Hosts (or all with `true`) on which check reports a change. @default true */
  readonly change?: boolean | readonly string[]
  /** Hosts on which apply throws. */
  readonly failOn?: readonly string[]
  readonly delayMs?: number
  /** Try to write during check: must be refused. */
  readonly writeInCheck?: boolean
}

export function recordingModule(rec: Recorder) {
  const wants = (list: boolean | readonly string[] | undefined, host: string): boolean =>
    list === undefined ? true : typeof list === 'boolean' ? list : list.includes(host)
  return defineModule<StepParams>({
    name: 'step',
    async check(host: HostContext, p) {
      rec.calls.push({ host: host.name, title: p.title, phase: 'check', at: Date.now() })
      if (p.writeInCheck) await host.conn.writeFile('/tmp/x', 'x')
      return wants(p.change, host.name) ? change(`do ${p.title}`) : noChange(`${p.title} already done`)
    },
    async apply(host: HostContext, p) {
      rec.active++
      rec.maxActive = Math.max(rec.maxActive, rec.active)
      try {
        if (p.delayMs) await new Promise((r) => setTimeout(r, p.delayMs))
        rec.calls.push({ host: host.name, title: p.title, phase: 'apply', at: Date.now() })
        if (p.failOn?.includes(host.name)) throw new Error(`${p.title} failed on ${host.name}`)
      } finally {
        rec.active--
      }
    },
  })
}
