/**
 * The run loop's parts, each alone: serial batches and the abort policy (batches.ts), one task on one
 * host (task-runner.ts) and one host through a play (host-runner.ts) over a RunState, the state's
 * result, and the interrupt watch (interrupts.ts).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { batches, batchVerdict } from '../../lib/engine/batches.ts'
import { runHost } from '../../lib/engine/host-runner.ts'
import { watchInterrupts } from '../../lib/engine/interrupts.ts'
import { Batch, RunState } from '../../lib/engine/run-state.ts'
import { runTask } from '../../lib/engine/task-runner.ts'
import { flatten, handler, play, playbook, task } from '../../lib/engine/task.ts'
import { secret } from '../../lib/secret.ts'
import { Recorder, recordingModule, stubInventory } from '../helpers/stub.ts'

const inv = stubInventory({ all: ['a', 'b', 'c', 'd'] })

test('batches: counts, percentages, growing lists', () => {
  const hosts = ['h1', 'h2', 'h3', 'h4', 'h5']
  assert.equal(batches(hosts, undefined), [hosts])
  assert.equal(batches(hosts, 2), [['h1', 'h2'], ['h3', 'h4'], ['h5']])
  assert.equal(batches(hosts, '40%'), [['h1', 'h2'], ['h3', 'h4'], ['h5']])
  assert.equal(batches(hosts, [1, '50%']), [['h1'], ['h2', 'h3'], ['h4', 'h5']])
  assert.throws(() => batches(hosts, 0), /positive integer/)
})

test('batchVerdict: anyErrorsFatal, maxFailPercentage and a whole failed serial batch stop the run; else go on', () => {
  const p = play('p', { hosts: 'all', items: [] })
  assert.is(batchVerdict(p, ['a', 'b'], 1, undefined), undefined)
  assert.is(batchVerdict(p, ['a', 'b'], 1, "a failed 'x'"), "anyErrorsFatal: a failed 'x'")
  assert.match(batchVerdict(play('p', { hosts: 'all', items: [], maxFailPercentage: 40 }), ['a', 'b'], 1, undefined)!, '1 of 2 hosts failed, over maxFailPercentage 40')
  assert.is(batchVerdict(play('p', { hosts: 'all', items: [], maxFailPercentage: 50 }), ['a', 'b'], 1, undefined), undefined)
  assert.match(batchVerdict(play('p', { hosts: 'all', items: [], serial: 2 }), ['a', 'b'], 2, undefined)!, 'every host of a serial batch failed')
  assert.is(batchVerdict(p, ['a', 'b'], 2, undefined), undefined)
})

function state(checkMode = false) {
  const rec = new Recorder()
  const step = recordingModule(rec)
  const s = new RunState(playbook('pb', []), { inventory: inv, connector: rec.connector, checkMode })
  return { rec, step, s }
}

test('runTask: checks then applies; in check mode plans only; errors become masked failed results', async () => {
  const { rec, step, s } = state()
  const p = play('p', { hosts: 'all', items: [] })
  const conn = await s.hosts.connection('a')
  const ctx = s.hosts.context('a', conn, {}, false)
  const ro = s.hosts.context('a', conn, {}, true)
  const r = await runTask(s, task('t', step, { title: 't' }), ctx, ro, p)
  assert.is(r.status, 'changed')
  assert.equal(rec.titles('a', 'apply'), ['t'])
  const pw = secret('hunter2-very-secret')
  const f = await runTask(s, task('bad', step, { title: `bad ${pw.reveal()}`, failOn: ['a'] }), ctx, ro, p)
  assert.is(f.status, 'failed')
  assert.match(f.reason, 'bad *** failed')
  assert.not.match(f.reason, 'hunter2-very-secret')
  assert.is(s.inflight.size, 0)

  const c = state(true)
  const cconn = await c.s.hosts.connection('a')
  const planned = await runTask(c.s, task('t', c.step, { title: 't' }), c.s.hosts.context('a', cconn, {}, false), c.s.hosts.context('a', cconn, {}, true), p)
  assert.equal([planned.status, planned.planned], ['changed', true])
  assert.equal(c.rec.titles('a', 'apply'), [])
  await s.hosts.closeAll(); await c.s.hosts.closeAll()
})

test('runHost: tasks in order, handlers once at the end, a failure stops the host and marks it dead', async () => {
  const { rec, step, s } = state()
  const h = handler('restart', step, { title: 'restart' })
  const p = play('p', { hosts: 'all', items: [
    task('one', step, { title: 'one' }, { notify: [h] }),
    task('two', step, { title: 'two', failOn: ['b'] }, { notify: [h] }),
    task('three', step, { title: 'three' }),
  ] })
  const tasks = flatten(p)
  const b = new Batch()
  assert.ok(await runHost(s, 'a', p, tasks, b))
  assert.equal(rec.titles('a', 'apply'), ['one', 'two', 'three', 'restart'])
  assert.not.ok(await runHost(s, 'b', p, tasks, b))
  assert.equal(rec.titles('b', 'apply'), ['one', 'two'])
  assert.ok(s.dead.has('b'))
  const r = s.result([{ hosts: ['a', 'b'], tasks }])
  assert.equal(r.failedHosts, ['b'])
  assert.equal(r.incompleteHosts, ['a'], "'a' is not marked finished: the run loop does that")
  await s.hosts.closeAll()
})

test('interrupts: an abort marks the run interrupted; the watch stops cleanly', () => {
  const ac = new AbortController()
  const rec = new Recorder()
  const s = new RunState(playbook('pb', []), { inventory: inv, connector: rec.connector, signal: ac.signal, graceMs: 5 })
  const stop = watchInterrupts(s)
  assert.not.ok(s.interrupted())
  ac.abort()
  assert.ok(s.interrupted())
  assert.is(s.aborted, 'interrupted')
  stop()
})

test.run()
