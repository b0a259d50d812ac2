/**
 * One module on one connection, outside a playbook: `ansible -m` for scripts, and the harness the
 * module tests use (check → apply → check again must report no change).
 */
import type { Connection } from '../connection/types.ts'
import type { Inventory, Vars } from '../inventory/types.ts'
import { RunHosts } from './host.ts'
import type { ApplyOutcome, HostContext, Module, Plan } from './module.ts'

export interface AdhocResult<D> {
  readonly plan: Plan<D>
  /** Undefined when nothing was planned or in check mode. */
  readonly outcome?: ApplyOutcome | void
  readonly applied: boolean
}

function singleHostInventory(name: string, vars: Vars): Inventory {
  return {
    source: 'adhoc',
    hosts: new Map([[name, { name, vars, groups: ['all'], connection: { address: name, port: 22, user: 'root', become: false, connection: 'local' } }]]),
    groups: new Map([['all', { name: 'all', hosts: [name], children: [], vars: {} }]]),
  }
}

/** A HostContext over an open connection (for scripts and tests). */
export function hostContext(conn: Connection, opts: { checkMode?: boolean; vars?: Vars; inventory?: Inventory; readOnly?: boolean } = {}): HostContext {
  const inv = opts.inventory ?? singleHostInventory(conn.host, opts.vars ?? {})
  const hosts = new RunHosts(inv, async () => conn, opts.checkMode ?? false, () => undefined)
  return hosts.context(conn.host, conn, opts.vars ?? {}, opts.readOnly ?? false)
}

/** check, then apply if something differs (never in check mode). */
export async function runModule<P, D>(conn: Connection, module: Module<P, D>, params: P,
  opts: { checkMode?: boolean; vars?: Vars; inventory?: Inventory } = {}): Promise<AdhocResult<D>> {
  const ro = hostContext(conn, { ...opts, readOnly: true })
  const plan = await module.check(ro, params)
  if (!plan.changed || opts.checkMode) return { plan, applied: false }
  const outcome = await module.apply(hostContext(conn, opts), params, plan)
  return { plan, outcome, applied: true }
}
