/**
 * Ctrl-C, task timeouts and the remote heartbeat on lab hosts over SSH. Closing an SSH session does
 * not end a remote non-tty command (a `sleep` survives, re-parented to init), so every check here
 * looks on the hosts themselves: no process of ours left, no lock left.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT } from '../../lib/cli/args.ts'
import { runCli } from '../../lib/cli/main.ts'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { endRun, lockInfo, releaseCommand, takeLock } from '../../lib/engine/lock.ts'
import { play, playbook, task } from '../../lib/engine/task.ts'
import type { LabInfo } from '../../lib/lab/index.ts'
import { shell } from '../../lib/modules/shell.ts'
import { labConnect } from '../lab/connect.ts'
import { testLab } from '../lab/harness.ts'

const work = mkdtempSync(join(tmpdir(), 'kp-int-'))
const fixture = new URL('./fixtures/sleepy.ts', import.meta.url).pathname
let lab: LabInfo
const conns: Connection[] = []

test.before(async () => {
  lab = await testLab()
  for (let i = 0; i < lab.hosts.length; i++) conns.push(await labConnect(lab, i))
})
test.after(async () => {
  for (const c of conns) await c.exec(sh`pkill -f '^sleep 300[0-9]$'; rm -f /run/kubeplay.lock; true`).catch(() => {})
  await Promise.all(conns.map((c) => c.close()))
  rmSync(work, { recursive: true, force: true })
})

const onHosts = async (cmd: ReturnType<typeof sh>): Promise<string[]> => Promise.all(conns.map(async (c) => (await c.exec(cmd)).stdout.trim()))
const sleeping = (n: string) => onHosts(sh`pgrep -fx ${`sleep ${n}`} || true`)
const locks = () => onHosts(sh`cat /run/kubeplay.lock 2>/dev/null || true`)
const waitFor = async (what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) if (await ok()) return
  throw new Error(`timed out waiting for ${what}`)
}

/** Runs the sleepy playbook as its own process; `signals` are sent once every host sleeps. */
async function interruptedRun(seconds: string, args: string[], signals: number[]): Promise<{ code: number | null; out: string; ms: number; state: string }> {
  const state = mkdtempSync(join(work, 'state-'))
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, '-i', `lab:${lab.name}`, '--state-dir', state, ...args],
    { env: { ...process.env, KP_SLEEP: seconds, KP_MARK: `kp-${seconds}`, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (b) => { out += b })
  child.stderr.on('data', (b) => { out += b })
  const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)))
  await waitFor(`sleep ${seconds} on every host`, async () => (await sleeping(seconds)).every(Boolean))
  const t0 = Date.now()
  for (const delay of signals) {
    await new Promise((r) => setTimeout(r, delay))
    child.kill('SIGINT')
  }
  const code = await exited
  return { code, out, ms: Date.now() - t0, state }
}

function lastRun(state: string): { failedHosts: string[]; incompleteHosts?: string[]; aborted?: string; record: string } {
  return JSON.parse(readFileSync(join(state, 'last-run.json'), 'utf8'))
}

test('Ctrl-C: the grace period ends, in-flight commands are killed on every host, locks released, record written, exit 130', async () => {
  const r = await interruptedRun('3001', ['--interrupt-grace', '1s'], [0])
  assert.is(r.code, EXIT.interrupted, r.out)
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`)
  assert.match(r.out, 'interrupt: no new tasks')
  assert.equal(await sleeping('3001'), ['', '', ''], 'no remote sleep left')
  assert.equal(await locks(), ['', '', ''], 'no lock left')
  assert.equal(await onHosts(sh`test -e /tmp/kp-3001.after && echo ran || true`), ['', '', ''], 'no task started after the interrupt')
  const last = lastRun(r.state)
  assert.is(last.aborted, 'interrupted')
  assert.equal(last.failedHosts, lab.hosts.map((h) => h.name))
  const lines = readFileSync(last.record, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  const end = lines.at(-1)!
  assert.is(end.type, 'end')
  assert.is(end.interrupted, true)
  const killed = lines.filter((l) => l.type === 'task' && l.task === 'Sleep long')
  assert.is(killed.length, 3)
  for (const k of killed) assert.match(String(k.reason), 'interrupted: still running after the 1 s grace period')
  assert.match(r.out, /to retry the failed hosts: npx tsx \S+ -i lab:\S+ --state-dir \S+ --interrupt-grace 1s --retry/)
})

test('Ctrl-C: a command that ends within the grace period finishes normally; the hosts are unfinished and --retry picks them', async () => {
  const r = await interruptedRun('3', ['--interrupt-grace', '30s'], [0])
  assert.is(r.code, EXIT.interrupted, r.out)
  assert.ok(r.ms < 15_000, `took ${r.ms} ms`)
  const last = lastRun(r.state)
  assert.equal(last.failedHosts, [])
  assert.equal(last.incompleteHosts, lab.hosts.map((h) => h.name))
  const lines = readFileSync(last.record, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  assert.equal(lines.filter((l) => l.task === 'Sleep long').map((l) => l.status), ['changed', 'changed', 'changed'])
  assert.is(lines.filter((l) => l.task === 'After the sleep').length, 0)
  assert.match(r.out, /interrupted; to finish the hosts it did not complete: npx tsx \S+ -i lab:\S+ --state-dir \S+ --interrupt-grace 30s --retry/)
  assert.equal(await locks(), ['', '', ''])
  // The retry (in process, same state dir) reruns exactly those hosts to the end.
  const out: string[] = []
  const { sleepy } = await import('./fixtures/sleepy.ts')
  process.env.KP_SLEEP = '0'
  const code = await runCli(sleepy, ['-i', `lab:${lab.name}`, '--state-dir', r.state, '--retry'], { out: (l) => out.push(l), err: (l) => out.push(l) })
  delete process.env.KP_SLEEP
  assert.is(code, EXIT.ok, out.join('\n'))
  assert.match(out.join('\n'), `--retry: rerunning 3 host(s) of run `)
  assert.match(out.join('\n'), 'lab1 (unfinished)')
})

test('Ctrl-C twice: killed at once without waiting for the grace period', async () => {
  const r = await interruptedRun('3002', ['--interrupt-grace', '5m'], [0, 300])
  assert.is(r.code, EXIT.interrupted, r.out)
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`)
  assert.match(r.out, 'killing the commands in flight')
  assert.equal(await sleeping('3002'), ['', '', ''])
  assert.equal(await locks(), ['', '', ''])
})

test('--task-timeout: a hanging command fails its host with host and task named, is killed there, the others finish', async () => {
  const hang = playbook('hang', [play('p', { hosts: 'all', items: [
    task('Maybe hang', shell, (h) => ({ cmd: h.name === lab.hosts[0]!.name ? 'sleep 1000' : 'sleep 0.2' })),
    task('Then this', shell, { cmd: 'true' }),
  ] })])
  const out: string[] = []
  const t0 = Date.now()
  const code = await runCli(hang, ['-i', `lab:${lab.name}`, '--state-dir', join(work, 'hang'), '--task-timeout', '1s'], { out: (l) => out.push(l), err: (l) => out.push(l) })
  const text = out.join('\n')
  assert.is(code, EXIT.failed, text)
  assert.ok(Date.now() - t0 < 15_000, `took ${Date.now() - t0} ms`)
  const first = lab.hosts[0]!.name
  assert.match(text, new RegExp(`${first}\\s+failed\\s+Maybe hang .* — ${first}: timed out after 1000 ms: task 'Maybe hang'`))
  for (const h of lab.hosts.slice(1)) assert.match(text, new RegExp(`${h.name}\\s+: ok=0 changed=2 unreachable=0 failed=0`))
  assert.equal(await onHosts(sh`pgrep -fx 'sleep 1000' || true`), ['', '', ''], 'the hanging command was killed')
  assert.equal(await locks(), ['', '', ''])
})

test('heartbeat: the lock file is touched while the run lives; it stops with the session and on release', async () => {
  const c = await labConnect(lab, 0)
  const info = lockInfo('hb-test', 'hb', 120)
  try {
    const taken = await takeLock(c, info, { heartbeatS: 1 })
    assert.is(taken.kind, 'acquired')
    const pid = (taken as { heartbeat?: number }).heartbeat
    assert.ok(Number.isInteger(pid), `the heartbeat's pid is reported: ${JSON.stringify(taken)}`)
    const mtime = async () => Number((await conns[0]!.exec(sh`stat -c %Y /run/kubeplay.lock`)).stdout)
    const m0 = await mtime()
    await new Promise((r) => setTimeout(r, 2500))
    assert.ok((await mtime()) > m0, 'heartbeat touched the lock')
    const hb = sh`pgrep -f 'kubeplay-heartbeat:hb-test' || true`
    assert.ok((await conns[0]!.exec(hb)).stdout.trim(), 'heartbeat running')
    assert.match((await conns[0]!.exec(sh`cat /proc/${String(pid)}/cmdline | tr '\\0' ' '`)).stdout, 'kubeplay-heartbeat:hb-test', 'that pid is the heartbeat')
    await c.exec(releaseCommand('hb-test', {}, pid))
    await waitFor('the heartbeat to stop after release', async () => !(await conns[0]!.exec(hb)).stdout.trim(), 5000)
    assert.is((await conns[0]!.exec(sh`test -e /run/kubeplay.lock && echo yes || true`)).stdout.trim(), '')
    // A session that just goes away (controller crash): the heartbeat ends by itself, the lock stays and ages.
    const c2 = await labConnect(lab, 0)
    await takeLock(c2, lockInfo('hb-crash', 'hb', 120), { heartbeatS: 1 })
    await c2.close()
    await waitFor('the heartbeat to stop with its session', async () => !(await conns[0]!.exec(sh`pgrep -f 'kubeplay-heartbeat:hb-crash' || true`)).stdout.trim(), 5000)
    assert.match((await conns[0]!.exec(sh`cat /run/kubeplay.lock`)).stdout, '"runId":"hb-crash"')
  } finally {
    await conns[0]!.exec(sh`rm -f /run/kubeplay.lock`)
    await c.close()
    endRun('hb-test')
    endRun('hb-crash')
  }
})

test.run()
