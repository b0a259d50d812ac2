import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type Server } from 'node:net'
import { LocalConnection } from '../../lib/connection/local.ts'
import { sh } from '../../lib/connection/quote.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { TimeoutError } from '../../lib/errors.ts'
import { describeWait, probeCommand, waitFor } from '../../lib/modules/wait-for.ts'

const local = new LocalConnection()
const listen = (port = 0): Promise<Server> => new Promise((res) => { const s = createServer((c) => c.end()); s.listen(port, '127.0.0.1', () => res(s)) })
const portOf = (s: Server) => (s.address() as { port: number }).port
const close = (s: Server) => new Promise((r) => s.close(r))

test('describeWait names everything awaited', () => {
  assert.is(describeWait({ port: 6443, http: { url: 'http://127.0.0.1:10248/healthz' }, command: sh`test -e /x` }),
    'port 127.0.0.1:6443 and http://127.0.0.1:10248/healthz answering 200 and `test -e /x`')
})

test('probeCommand refuses nothing to wait for, bad ports and bad URLs', () => {
  assert.throws(() => probeCommand({}), /expected one of port, http or command/)
  assert.throws(() => probeCommand({ port: 70000 }), /port: expected 1-65535, found 70000/)
  assert.throws(() => probeCommand({ http: { url: 'ftp://x' } }), /http.url: expected an http\(s\):\/\/ URL/)
})

test('a listening port is already satisfied: check reports no change', async () => {
  const s = await listen()
  try {
    const r = await runModule(local, waitFor, { port: portOf(s), timeoutMs: 2000 })
    assert.is(r.plan.changed, false)
  } finally { await close(s) }
})

test('a port that opens during the wait: apply returns changed: false', async () => {
  const s = await listen()
  const port = portOf(s)
  await close(s)
  // Opened well after the check has looked (a loaded machine can take a second to get there).
  setTimeout(() => void listen(port).then((s2) => setTimeout(() => void close(s2), 5000)), 2500)
  const r = await runModule(local, waitFor, { port, timeoutMs: 10_000, intervalMs: 200 })
  assert.ok(r.plan.changed && r.applied)
  assert.equal(r.outcome, { changed: false })
})

test('a command that never succeeds times out with a TimeoutError naming it', async () => {
  const t0 = Date.now()
  try {
    await runModule(local, waitFor, { command: sh`test -e /nonexistent/kp-ready`, timeoutMs: 1000, intervalMs: 200 })
    assert.unreachable()
  } catch (e) {
    assert.instance(e, TimeoutError)
    assert.match((e as Error).message, 'waiting for `test -e /nonexistent/kp-ready`')
  }
  assert.ok(Date.now() - t0 < 4000)
})

test.run()
