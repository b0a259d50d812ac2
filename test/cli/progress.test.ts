import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { TaskResult } from '../../lib/engine/results.ts'
import { recapOf } from '../../lib/engine/results.ts'
import { consoleReporter } from '../../lib/cli/console.ts'
import { createProgress, fit, formatElapsed } from '../../lib/cli/progress.ts'

/** A fake terminal: applies the escape sequences the renderer uses and keeps what a user would see. */
function terminal(columns = 80, rows = 40) {
  const screen: string[] = []
  let row = 0
  const writes: string[] = []
  return {
    isTTY: true, columns, rows, writes, screen,
    write(chunk: string) {
      writes.push(chunk)
      // eslint-disable-next-line no-control-regex
      for (const tok of chunk.match(/\x1b\[\d*[A-Za-z]|\r|\n|[^\x1b\r\n]+/g) ?? []) {
        const m = /^\x1b\[(\d*)([A-Za-z])$/.exec(tok)
        if (m) {
          if (m[2] === 'A') row = Math.max(0, row - Number(m[1] || 1))
          else if (m[2] === 'J') screen.length = row
          // 'm' (colour) changes nothing a test looks at
        } else if (tok === '\n') row++
        else if (tok !== '\r') screen[row] = (screen[row] ?? '') + tok
      }
    },
    visible: () => screen.map((l) => l ?? ''),
  }
}

/** A clock and timers the test moves by hand. */
function fakeTime() {
  let now = 1_000_000
  let timers: { at: number; fn: () => void }[] = []
  return {
    now: () => now,
    schedule: (fn: () => void, ms: number) => {
      const t = { at: now + ms, fn }
      timers.push(t)
      return () => { timers = timers.filter((x) => x !== t) }
    },
    advance(ms: number) {
      now += ms
      for (const t of timers.filter((x) => x.at <= now)) { timers = timers.filter((x) => x !== t); t.fn() }
    },
    pending: () => timers.length,
  }
}

const res = (host: string, task: string, status: TaskResult['status'], extra: Partial<TaskResult> = {}): TaskResult =>
  ({ play: 'p', host, task, status, reason: `${task} reason`, startedAt: 0, durationMs: 5, ...extra })

test('formats elapsed time and cuts coloured parts to the width', () => {
  assert.is(formatElapsed(999), '0s')
  assert.is(formatElapsed(65_000), '1m05s')
  const plain = (_c: unknown, s: string) => s
  assert.is(fit([[null, 'abc'], ['red', 'defgh']], 5, plain), 'abcd…')
  assert.is(fit([[null, 'ab']], 5, plain), 'ab')
  assert.is(fit([[null, '😀😀😀😀😀😀']], 3, plain), '😀😀…')
})

test('shows one line per host with its task, counts and elapsed time', () => {
  const time = fakeTime()
  const p = createProgress({ stream: terminal(), color: false, now: time.now, schedule: time.schedule })
  p.play('base', ['m1', 'w1'])
  p.taskStart('m1', 'Install containerd')
  p.taskEnd(res('w1', 'Load modules', 'changed'))
  time.advance(3200)
  const f = p.frame()
  assert.match(f[0]!, /PLAY \[base\] 2 hosts · 3s/)
  assert.match(f[1]!, /m1 +ok=0 +changed=0 +failed=0 +▸ Install containerd 3s/)
  assert.match(f[2]!, /w1 +ok=0 +changed=1 +failed=0 +✓ Load modules/)
  p.taskEnd(res('m1', 'Install containerd', 'failed'))
  assert.match(p.frame()[1]!, /failed=1 +✗ failed: Install containerd/)
  p.stop()
})

test('redraws at most once per interval, in place, with the latest state', () => {
  const time = fakeTime()
  const term = terminal()
  const p = createProgress({ stream: term, color: false, now: time.now, schedule: time.schedule, intervalMs: 100, tickMs: 10_000 })
  p.play('base', ['m1', 'm2'])
  assert.is(term.writes.length, 1, 'the first event draws at once')
  for (let i = 0; i < 50; i++) p.taskStart(i % 2 ? 'm1' : 'm2', `task ${i}`)
  assert.is(term.writes.length, 1, 'events within the interval are coalesced')
  time.advance(100)
  assert.is(term.writes.length, 2)
  assert.ok(term.writes[1]!.startsWith('\r\x1b[3A\x1b[J'), 'moves up over the 3 drawn lines and clears')
  assert.equal(term.visible(), ['PLAY [base] 2 hosts · 0s', '  m1       ok=0   changed=0   failed=0   ▸ task 49 0s', '  m2       ok=0   changed=0   failed=0   ▸ task 48 0s'])
  p.stop()
  assert.equal(term.visible(), [], 'stop erases the block')
  assert.is(time.pending(), 0, 'stop cancels every timer')
})

test('a tick redraws without events so elapsed times move', () => {
  const time = fakeTime()
  const term = terminal()
  const p = createProgress({ stream: term, color: false, now: time.now, schedule: time.schedule, tickMs: 500 })
  p.play('base', ['m1'])
  p.taskStart('m1', 'Wait for API')
  time.advance(2000)
  assert.match(term.visible()[1]!, 'Wait for API 2s')
  p.stop()
})

test('log lines scroll above the block, which stays at the bottom', () => {
  const time = fakeTime()
  const term = terminal()
  const p = createProgress({ stream: term, color: false, now: time.now, schedule: time.schedule })
  p.play('base', ['m1'])
  p.log(['m1 failed: boom'])
  time.advance(100)
  p.log(['another line'])
  time.advance(100)
  assert.equal(term.visible().slice(0, 2), ['m1 failed: boom', 'another line'])
  assert.match(term.visible()[2]!, 'PLAY [base]')
  p.stop()
})

test('no line of the block is wider than the terminal; a tall block is capped to the screen', () => {
  const time = fakeTime()
  const term = terminal(40, 20)
  const p = createProgress({ stream: term, color: true, now: time.now, schedule: time.schedule })
  const hosts = Array.from({ length: 100 }, (_, i) => `node-${i}.cluster.example.internal`)
  p.play('a very long play name that does not fit', hosts)
  p.taskStart(hosts[99]!, 'A task with a title much longer than forty columns')
  p.taskEnd(res(hosts[50]!, 'x', 'failed'))
  time.advance(200)
  const seen = term.visible()
  // eslint-disable-next-line no-control-regex
  for (const l of seen) assert.ok(l.replace(/\x1b\[[\d;]*m/g, '').length < 40, `too wide: ${l}`)
  assert.ok(seen.length <= 18, `${seen.length} lines on a 20-row screen: the block must fit, or it cannot be redrawn in place`)
  assert.match(seen.join('\n'), 'node-50')
  assert.match(seen.join('\n'), 'node-99')
  assert.match(seen.at(-1)!, /… 84 more hosts/)
  p.stop()
})

test('live console: the run collapses to kept lines and the PLAY RECAP', () => {
  const time = fakeTime()
  const term = terminal(100)
  const r = consoleReporter({ verbose: 0, diff: false, live: true, color: false, stream: term, now: time.now, schedule: time.schedule })
  r.runStart?.({ runId: 'r1', playbook: 'site', checkMode: false, inventory: 'inv' })
  r.playStart?.('base', ['m1', 'm2'])
  const results = [res('m1', 'Ok task', 'ok'), res('m2', 'Changed task', 'changed'), res('m1', 'Broken task', 'failed')]
  for (const x of results) { r.taskStart?.(x.host, x.task); r.taskEnd?.(x); time.advance(50) }
  r.runEnd?.({ runId: 'r1', playbook: 'site', checkMode: false, startedAt: 0, durationMs: 1500, results, recap: recapOf(results), failedHosts: ['m1'], unreachableHosts: [] })
  const seen = term.visible().join('\n')
  assert.not.match(seen, '▸', 'the progress block is gone')
  assert.not.match(seen, /m1 +ok +Ok task/, 'ok tasks are not kept without -v')
  assert.match(seen, /m2 +changed +Changed task/)
  assert.match(seen, /m1 +failed +Broken task \(5 ms\) — Broken task reason/)
  assert.match(seen, /PLAY RECAP\nm1 +: ok=1 changed=0 unreachable=0 failed=1 skipped=0 ignored=0\nm2 +: ok=0 changed=1/)
})

test.run()
