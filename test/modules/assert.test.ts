/** assertion: the check-only step. A problem fails in check mode as in a real run; none reports `ok`; it never writes. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LocalConnection } from '../../lib/connection/local.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { ModuleError } from '../../lib/errors.ts'
import { assertion } from '../../lib/modules/assert.ts'

const conn = new LocalConnection()

test('no problem: ok with the given reason, nothing applied', async () => {
  for (const checkMode of [false, true]) {
    const r = await runModule(conn, assertion, { ok: 'settings resolved' }, { checkMode })
    assert.equal([r.plan.changed, r.applied], [false, false])
    assert.is(r.plan.changed ? '' : r.plan.reason, 'settings resolved')
  }
})

test('a problem fails the host, in check mode too, naming the host; the probe gets the host it reads', async () => {
  for (const checkMode of [false, true]) {
    const seen: string[] = []
    const err = await runModule(conn, assertion, {
      ok: 'unused',
      problem: async (h) => { seen.push(`${h.name} check=${h.checkMode}`); return 'expected 3 masters, found 2' },
    }, { checkMode }).then(() => null, (e: unknown) => e)
    assert.instance(err, ModuleError)
    assert.match((err as Error).message, `${conn.host}: expected 3 masters, found 2`)
    assert.equal(seen, [`${conn.host} check=${checkMode}`])
  }
})

test('a synchronous problem function works the same', async () => {
  const err = await runModule(conn, assertion, { ok: 'x', problem: () => 'not this host' }).then(() => null, (e: unknown) => e)
  assert.match(String((err as Error).message), 'not this host')
})

test.after(async () => { await conn.close() })
test.run()
