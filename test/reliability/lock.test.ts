/**
 * The run lock on a host (here: this machine through the local connection, the lock file in a temp
 * directory): atomic take, refusal naming the holder, expiry and stale take-over, --break-lock,
 * release only of our own lock (its heartbeat stopped by pid), check mode reading without writing;
 * and through the CLI, a second concurrent run refused per host with nothing left behind, a host's
 * lock released as soon as the run has nothing left for it.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT } from '../../lib/cli/args.ts'
import { runCli } from '../../lib/cli/main.ts'
import { LocalConnection } from '../../lib/connection/local.ts'
import { sh } from '../../lib/connection/quote.ts'
import { controllerId, endRun, lockInfo, releaseCommand, takeLock, type LockOptions } from '../../lib/engine/lock.ts'
import { play, playbook, task } from '../../lib/engine/task.ts'
import { shell } from '../../lib/modules/shell.ts'

const work = mkdtempSync(join(tmpdir(), "kp-lock it's $(x) "))
// The CLI tests' own shell commands quote paths naively: a plain directory for them.
const plain = mkdtempSync(join(tmpdir(), 'kp-lock-cli-'))
const conn = new LocalConnection({ host: 'node1' })
let n = 0
const fresh = (): LockOptions => ({ path: join(work, `l${++n}`, 'kubeplay.lock') })
const read = (o: LockOptions): Record<string, unknown> => JSON.parse(readFileSync(o.path!, 'utf8')) as Record<string, unknown>

async function heartbeatGone(runId: string): Promise<void> {
  const alive = (): boolean => readdirSync('/proc').some((pid) => {
    if (!/^\d+$/.test(pid)) return false
    try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`kubeplay-heartbeat:${runId}`) } catch { return false }
  })
  for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 50))
  assert.not.ok(alive(), `the heartbeat of ${runId} ended`)
}

test.after(() => {
  rmSync(work, { recursive: true, force: true })
  rmSync(plain, { recursive: true, force: true })
})

test('the first run takes the lock: one JSON line with run id, controller, pid, start and expiry', async () => {
  const o = fresh()
  const info = lockInfo('run-a', 'site', 120, new Date('2025-01-02T03:04:05Z'))
  const r = await takeLock(conn, info, o)
  assert.is(r.kind, 'acquired')
  assert.ok(Number.isInteger((r as { heartbeat?: number }).heartbeat), `the heartbeat's pid is reported: ${JSON.stringify(r)}`)
  assert.equal(read(o), { runId: 'run-a', controller: controllerId(), pid: process.pid, playbook: 'site', startedAt: '2025-01-02T03:04:05.000Z', expiresAfterS: 120 })
  endRun('run-a')
})

test('a second run is refused, told who holds the host, since when, and which run', async () => {
  const o = fresh()
  await takeLock(conn, lockInfo('run-a', 'site', 120, new Date('2025-01-02T03:04:05Z')), o)
  const r = await takeLock(conn, lockInfo('run-b', 'site', 120), o)
  assert.is(r.kind, 'refused')
  assert.match((r as { reason: string }).reason, `locked by ${controllerId()} (pid ${process.pid}) since 2025-01-02T03:04:05.000Z, run run-a (last heartbeat `)
  assert.match((r as { reason: string }).reason, '--break-lock')
  assert.is(read(o).runId, 'run-a', 'the holder keeps its lock')
  endRun('run-a')
})

test('an expired lock (no heartbeat for longer than its expiry) is taken over with a warning', async () => {
  const o = fresh()
  const oldRun = `run-old-${process.pid}`
  await takeLock(conn, { ...lockInfo(oldRun, 'site', 60), controller: 'ops@elsewhere', pid: 1 }, o)
  // A dead controller's heartbeat is gone: stop ours (the TERM a release sends), then backdate the lock.
  await conn.exec(sh`pkill -TERM -f ${`kubeplay-heartbeat:${oldRun} `}; true`)
  await heartbeatGone(oldRun)
  const old = Date.now() / 1000 - 3600
  utimesSync(o.path!, old, old)
  const r = await takeLock(conn, lockInfo('run-new', 'site', 60), o)
  assert.is(r.kind, 'acquired')
  assert.match((r as { warning: string }).warning, /took over the run lock \(expired: no heartbeat for 3\d{3} s \(limit 60 s\)\): it was locked by ops@elsewhere/)
  assert.is(read(o).runId, 'run-new')
  endRun(oldRun)
  endRun('run-new')
})

test("a lock left by an earlier run of this process, or by a dead process of this machine, is stale", async () => {
  const o = fresh()
  await takeLock(conn, lockInfo('run-done', 'site', 120), o)
  endRun('run-done')
  const r = await takeLock(conn, lockInfo('run-next', 'site', 120), o)
  assert.match((r as { warning: string }).warning, 'left by an earlier run of this process')
  const o2 = fresh()
  await takeLock(conn, { ...lockInfo('run-x', 'site', 120), pid: 2 ** 22 + 12345 }, o2).catch(() => undefined)
  const r2 = await takeLock(conn, lockInfo('run-y', 'site', 120), o2)
  assert.match((r2 as { warning: string }).warning, /its process \d+ on this machine is gone/)
  endRun('run-next'); endRun('run-x'); endRun('run-y')
})

test('--break-lock takes a live lock, with a warning naming the previous holder', async () => {
  const o = fresh()
  await takeLock(conn, { ...lockInfo('run-live', 'site', 120), controller: 'ops@elsewhere' }, o)
  const r = await takeLock(conn, lockInfo('run-force', 'site', 120), { ...o, breakLock: true })
  assert.is(r.kind, 'acquired')
  assert.match((r as { warning: string }).warning, 'broken with --break-lock')
  assert.is(read(o).runId, 'run-force')
  endRun('run-live'); endRun('run-force')
})

test("release stops this run's heartbeat by its pid, and no other run's", async () => {
  const mine = fresh()
  const theirs = fresh()
  const r = await takeLock(conn, lockInfo('run-pid-mine', 'site', 120), mine)
  await takeLock(conn, lockInfo('run-pid-theirs', 'site', 120), theirs)
  const pid = (r as { heartbeat?: number }).heartbeat!
  assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), 'kubeplay-heartbeat:run-pid-mine')
  // A pid that is not our heartbeat (here: another run's) is left alone.
  const other = readdirSync('/proc').find((p) => /^\d+$/.test(p) && (() => { try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('kubeplay-heartbeat:run-pid-theirs') } catch { return false } })())!
  await conn.exec(releaseCommand('run-pid-mine', theirs, Number(other)))
  assert.ok(existsSync(`/proc/${other}`), "another run's heartbeat lives on")
  await conn.exec(releaseCommand('run-pid-mine', mine, pid))
  assert.not.ok(existsSync(mine.path!))
  await heartbeatGone('run-pid-mine')
  await conn.exec(releaseCommand('run-pid-theirs', theirs))
  await heartbeatGone('run-pid-theirs')
  endRun('run-pid-mine')
  endRun('run-pid-theirs')
})

test('release removes only our own lock', async () => {
  const o = fresh()
  await takeLock(conn, { ...lockInfo('run-theirs', 'site', 120), controller: 'ops@elsewhere' }, o)
  await conn.exec(releaseCommand('run-mine', o))
  assert.ok(existsSync(o.path!), "someone else's lock stays")
  await conn.exec(releaseCommand('run-theirs', o))
  assert.not.ok(existsSync(o.path!))
  endRun('run-theirs')
})

test('a foreign or corrupt lock file is refused, not overwritten', async () => {
  const o = fresh()
  await conn.exec(sh`mkdir -p "$(dirname ${o.path!})" && echo garbage > ${o.path!}`)
  const r = await takeLock(conn, lockInfo('run-c', 'site', 120), o)
  assert.is(r.kind, 'refused')
  assert.match((r as { reason: string }).reason, 'locked by an unknown controller since an unknown time, run ?')
  assert.is(readFileSync(o.path!, 'utf8'), 'garbage\n')
  endRun('run-c')
})

test('check mode writes no lock, and warns when another run holds the host', async () => {
  const o = fresh()
  assert.equal(await takeLock(conn, lockInfo('run-check', 'site', 120), { ...o, checkMode: true }), { kind: 'read' })
  assert.not.ok(existsSync(o.path!))
  await takeLock(conn, { ...lockInfo('run-busy', 'site', 120), controller: 'ops@elsewhere' }, o)
  const r = await takeLock(conn, lockInfo('run-check2', 'site', 120), { ...o, checkMode: true })
  assert.is(r.kind, 'read')
  assert.match((r as { warning: string }).warning, 'another run is changing this host: locked by ops@elsewhere')
  assert.is(read(o).runId, 'run-busy')
  endRun('run-busy')
})

// Through the CLI: two runs at once on the same (local) host.
function pb(marker: string, sleepS: number) {
  return playbook('locked', [play('p', { hosts: 'all', items: [task('Work slowly', shell, { cmd: `sleep ${sleepS}; echo done >> '${marker}'` })] })])
}

test('CLI: a concurrent second run is refused for the host (exit 2, reason in output); no lock remains after either', async () => {
  const dir = mkdtempSync(join(plain, 'cli-'))
  const inv = join(dir, 'inv.json')
  writeFileSync(inv, JSON.stringify({ hosts: { node1: { connection: 'local' } } }))
  const state = join(dir, 'state')
  const outA: string[] = []
  const outB: string[] = []
  const a = runCli(pb(join(dir, 'marker'), 1.5), ['-i', inv, '--state-dir', state], { out: (l) => outA.push(l), err: (l) => outA.push(l) })
  await new Promise((r) => setTimeout(r, 500))
  const b = await runCli(pb(join(dir, 'marker'), 0), ['-i', inv, '--state-dir', state], { out: (l) => outB.push(l), err: (l) => outB.push(l) })
  assert.is(b, EXIT.failed, outB.join('\n'))
  assert.match(outB.join('\n'), /node1\s+failed\s+Take the run lock .* — locked by .* since .*, run \d{8}T\d{6}-[0-9a-f]{6}/)
  assert.is(await a, EXIT.ok, outA.join('\n'))
  assert.is(readFileSync(join(dir, 'marker'), 'utf8'), 'done\n', 'only the first run did the work')
  assert.not.ok(existsSync(join(state, 'locks', 'node1.lock')), 'lock released')
  // The refused run's retry, after the first finished, goes through.
  assert.is(await runCli(pb(join(dir, 'marker'), 0), ['-i', inv, '--state-dir', state, '--retry'], { out: () => {}, err: () => {} }), EXIT.ok)
  assert.not.ok(existsSync(join(state, 'locks', 'node1.lock')))
})

test("CLI: a host's lock is released once no later play has a task for it, while the run goes on", async () => {
  const dir = mkdtempSync(join(plain, 'early-'))
  const inv = join(dir, 'inv.json')
  writeFileSync(inv, JSON.stringify({ hosts: { node1: { connection: 'local' }, node2: { connection: 'local' } } }))
  const state = join(dir, 'state')
  const seen = join(dir, 'seen')
  const two = playbook('two', [
    play('first', { hosts: 'node1', items: [task('Work', shell, { cmd: 'true' })] }),
    play('second', { hosts: 'node2', items: [task('Look at the locks', shell, { cmd: `ls '${join(state, 'locks')}' > '${seen}'` })] }),
  ])
  const out: string[] = []
  assert.is(await runCli(two, ['-i', inv, '--state-dir', state], { out: (l) => out.push(l), err: (l) => out.push(l) }), EXIT.ok, out.join('\n'))
  assert.is(readFileSync(seen, 'utf8'), 'node2.lock\n', "node1's lock was gone during the second play; node2's held")
  assert.not.ok(existsSync(join(state, 'locks', 'node2.lock')), 'and node2 released at the end')
})

test('CLI: a failing run releases its lock too', async () => {
  const dir = mkdtempSync(join(plain, 'fail-'))
  const inv = join(dir, 'inv.json')
  writeFileSync(inv, JSON.stringify({ hosts: { node1: { connection: 'local' } } }))
  const bad = playbook('bad', [play('p', { hosts: 'all', items: [task('Fail', shell, { cmd: 'exit 3' })] })])
  assert.is(await runCli(bad, ['-i', inv, '--state-dir', join(dir, 's')], { out: () => {}, err: () => {} }), EXIT.failed)
  assert.not.ok(existsSync(join(dir, 's', 'locks', 'node1.lock')))
})

test.run()
