import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { secret } from '../../lib/secret.ts'
import { consoleReporter, recapLines, useColor } from '../../lib/cli/console.ts'
import type { ConsoleOptions } from '../../lib/cli/console.ts'
import { recapOf, type RunResult, type TaskResult } from '../../lib/engine/results.ts'

const ANSI = /\x1b\[/ // eslint-disable-line no-control-regex

const res = (host: string, task: string, status: TaskResult['status'], extra: Partial<TaskResult> = {}): TaskResult =>
  ({ play: 'p', host, task, status, reason: `${task}: reason`, startedAt: 0, durationMs: 12, ...extra })

function run(o: Partial<ConsoleOptions>, results: TaskResult[], messages: [('info' | 'warn' | 'verbose'), string | null, string][] = []): string[] {
  const lines: string[] = []
  const r = consoleReporter({ verbose: 0, diff: false, write: (l) => lines.push(l), ...o })
  r.runStart?.({ runId: 'r1', playbook: 'site', checkMode: false, inventory: 'hosts.ini' })
  r.playStart?.('base', [...new Set(results.map((x) => x.host))])
  for (const x of results) { r.taskStart?.(x.host, x.task); r.taskEnd?.(x) }
  for (const [level, host, text] of messages) r.message?.(level, host, text)
  const result: RunResult = { runId: 'r1', playbook: 'site', checkMode: false, startedAt: 0, durationMs: 2500, results, recap: recapOf(results),
    failedHosts: results.filter((x) => x.status === 'failed' && !x.ignored).map((x) => x.host), unreachableHosts: [] }
  r.runEnd?.(result)
  return lines
}

const diffResult = res('master-1', 'Write config', 'changed', { diff: { path: '/etc/x.conf', before: 'a\nold\n', after: 'a\nnew\n' } })

test('plain mode: one line per finished task, in order, prefixed by host', () => {
  const lines = run({ color: false }, [res('master-1', 'A', 'ok'), res('w1', 'B', 'changed'), res('master-1', 'C', 'skipped'), res('w1', 'D', 'failed')])
  const tasks = lines.filter((l) => / \(12 ms\)/.test(l))
  assert.equal(tasks.map((l) => l.split(/\s+/).slice(0, 3).join(' ')), ['master-1 ok A', 'w1 changed B', 'master-1 skipped C', 'w1 failed D'])
  assert.ok(tasks.every((l) => /^(master-1|w1 {6}) /.test(l)), 'host column padded to the widest host')
  assert.match(tasks[3]!, '— D: reason')
  assert.not.match(tasks[0]!, 'reason', 'ok tasks show no reason without -v')
})

test('the recap has ansible-playbook’s shape', () => {
  const lines = run({ color: false }, [res('m1', 'A', 'ok'), res('m1', 'B', 'changed'), res('w1', 'C', 'failed', { ignored: true }), res('w1', 'D', 'skipped')])
  const at = lines.indexOf('PLAY RECAP')
  assert.ok(at > 0)
  assert.is(lines[at + 1], 'm1       : ok=1 changed=1 unreachable=0 failed=0 skipped=0 ignored=0')
  assert.is(lines[at + 2], 'w1       : ok=0 changed=0 unreachable=0 failed=0 skipped=1 ignored=1')
  for (const l of lines.slice(at + 1, at + 3)) assert.match(l, /^\S+ +: ok=\d+ changed=\d+ unreachable=\d+ failed=\d+ skipped=\d+ ignored=\d+$/)
  assert.match(lines.at(-1)!, 'changed: 1, hosts: 2, failed: 0, unreachable: 0, time: 2.5 s')
  assert.equal(recapLines({ ...({} as RunResult), recap: {}, results: [], failedHosts: [], unreachableHosts: [], durationMs: 0, checkMode: true }).at(-1),
    'planned changes: 0, hosts: 0, failed: 0, unreachable: 0, time: 0.0 s')
})

test('--diff prints the unified diff under the changed task, coloured only with colour on', () => {
  const plain = run({ color: false, diff: true }, [diffResult])
  const at = plain.findIndex((l) => l.includes('Write config'))
  assert.equal(plain.slice(at + 1, at + 7), ['    --- before: /etc/x.conf', '    +++ after: /etc/x.conf', '    @@ -1,2 +1,2 @@', '     a', '    -old', '    +new'])
  assert.not.ok(plain.some((l) => ANSI.test(l)))
  const coloured = run({ color: true, diff: true }, [diffResult])
  assert.ok(coloured.includes('    \x1b[31m-old\x1b[0m'))
  assert.ok(coloured.includes('    \x1b[32m+new\x1b[0m'))
  assert.not.ok(run({ color: false }, [diffResult]).some((l) => l.includes('+new')), 'no diff without --diff')
})

test('NO_COLOR and FORCE_COLOR decide colour (no-color.org; FORCE_COLOR wins, as in Node)', () => {
  const tty = { isTTY: true }
  const pipe = { isTTY: false }
  const cases: [typeof tty, NodeJS.ProcessEnv, boolean][] = [
    [tty, {}, true], [pipe, {}, false], [tty, { NO_COLOR: '1' }, false], [tty, { NO_COLOR: '' }, true],
    [tty, { TERM: 'dumb' }, false], [pipe, { FORCE_COLOR: '1' }, true], [tty, { FORCE_COLOR: '0' }, false],
    [tty, { NO_COLOR: '1', FORCE_COLOR: '1' }, true],
  ]
  for (const [stream, env, want] of cases) assert.is(useColor(stream, env), want, JSON.stringify({ stream, env }))
  // end to end: a terminal with NO_COLOR set prints no escape sequence at all
  const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR }
  process.env.NO_COLOR = '1'
  delete process.env.FORCE_COLOR
  try {
    const out: string[] = []
    const r = consoleReporter({ verbose: 1, diff: true, live: false, stream: { isTTY: true, write: (s: string) => out.push(s) } })
    r.runStart?.({ runId: 'r1', playbook: 'site', checkMode: false, inventory: 'i' })
    r.taskEnd?.(diffResult)
    r.message?.('warn', 'm1', 'careful')
    assert.ok(out.length > 5)
    assert.not.ok(out.some((s) => ANSI.test(s)))
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v
  }
})

test('-v shows verbose messages (commands, outputs) and ok reasons; without it they are hidden', () => {
  const msgs: [('verbose' | 'warn'), string, string][] = [['verbose', 'm1', '$ systemctl is-active kubelet\nactive'], ['warn', 'm1', 'clock skew']]
  const quiet = run({ color: false }, [res('m1', 'A', 'ok')], msgs)
  assert.not.ok(quiet.some((l) => l.includes('systemctl')))
  assert.ok(quiet.includes('m1       WARNING: clock skew'))
  const loud = run({ color: false, verbose: 1 }, [res('m1', 'A', 'ok')], msgs)
  assert.ok(loud.includes('m1       $ systemctl is-active kubelet'))
  assert.ok(loud.includes('m1       active'), 'every output line is prefixed by its host')
  assert.ok(loud.some((l) => l.includes('— A: reason')))
})

test('secrets are masked in task lines, diffs and messages', () => {
  const token = secret('hunter2-console')
  const raw = token.reveal()
  const lines = run({ color: false, diff: true, verbose: 1 }, [
    res('m1', 'Join', 'failed', { reason: `kubeadm join --token ${raw} failed` }),
    res('m2', 'Write', 'changed', { diff: { path: '/etc/k', before: null, after: `token: ${raw}\n` } }),
  ], [['verbose', 'm1', `$ echo ${raw}`]])
  const all = lines.join('\n')
  assert.not.ok(all.includes(raw))
  assert.match(all, 'kubeadm join --token *** failed')
  assert.match(all, '+token: ***')
  assert.match(all, 'm1       $ echo ***')
})

test('the rerun hint follows a failed run, not a clean one', () => {
  assert.match(run({ color: false, rerunHint: 'tsx site.ts --retry' }, [res('m1', 'A', 'failed')]).at(-1)!, 'to retry the failed hosts: tsx site.ts --retry')
  assert.not.ok(run({ color: false, rerunHint: 'tsx site.ts --retry' }, [res('m1', 'A', 'ok')]).some((l) => l.includes('--retry')))
})

test('live mode only on a terminal outside CI', () => {
  const saved = process.env.CI
  try {
    const out: string[] = []
    const stream = { isTTY: true, columns: 80, write: (s: string) => out.push(s) }
    process.env.CI = 'true'
    const r = consoleReporter({ verbose: 0, diff: false, color: false, stream })
    r.playStart?.('base', ['m1'])
    r.taskEnd?.(res('m1', 'A', 'ok'))
    assert.ok(out.some((s) => s.startsWith('m1       ok')), 'CI: plain lines')
    assert.not.ok(out.some((s) => s.includes('\x1b[')))
  } finally {
    if (saved === undefined) delete process.env.CI; else process.env.CI = saved
  }
})

test.run()
