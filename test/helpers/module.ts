/**
 * Module test harness: the contract every module test proves on a host.
 * first run changes → second run reports no change; check mode reports the change and writes nothing.
 */
import * as assert from 'uvu/assert'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { runModule, type AdhocResult } from '../../lib/engine/adhoc.ts'
import type { Module } from '../../lib/engine/module.ts'
import type { Vars } from '../../lib/inventory/types.ts'

/** Byte-exact snapshot of paths (content, mode, owner, type; recursive for dirs). */
export async function snapshot(conn: Connection, paths: readonly string[]): Promise<string> {
  const r = await conn.exec(sh`for p in ${[...paths]}; do
    if [ -e "$p" ] || [ -L "$p" ]; then find "$p" -printf '%p %y %m %u %g %l\\n' | sort; find "$p" -type f -exec sha256sum {} + | sort; else echo "$p absent"; fi
  done`)
  return r.stdout
}

export interface IdempotenceProof<D> {
  readonly first: AdhocResult<D>
  readonly second: AdhocResult<D>
}

/**
 * Proves the module contract on `conn`: check mode plans a change and leaves `paths` byte-for-byte
 * unchanged; the real run changes; a second run and a second check report no change.
 */
export async function proveIdempotent<P, D>(conn: Connection, module: Module<P, D>, params: P,
  opts: { paths?: readonly string[]; vars?: Vars } = {}): Promise<IdempotenceProof<D>> {
  const paths = opts.paths ?? []
  const before = await snapshot(conn, paths)
  const dry = await runModule(conn, module, params, { checkMode: true, vars: opts.vars })
  assert.ok(dry.plan.changed, `check mode should plan a change: ${JSON.stringify(dry.plan)}`)
  assert.is(dry.applied, false)
  assert.is(await snapshot(conn, paths), before, 'check mode must not touch the host')
  const first = await runModule(conn, module, params, { vars: opts.vars })
  assert.ok(first.plan.changed && first.applied, 'first run should change')
  const second = await runModule(conn, module, params, { vars: opts.vars })
  assert.is(second.plan.changed, false, `second run should report no change: ${JSON.stringify(second.plan)}`)
  const again = await runModule(conn, module, params, { checkMode: true, vars: opts.vars })
  assert.is(again.plan.changed, false, 'check after apply should report no change')
  return { first, second }
}
