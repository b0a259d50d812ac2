/**
 * Faults on real (lab) hosts, each injected into one host of three in the middle of a run: sshd
 * killed, host rebooted, connection dropped during a file write, a command hanging past its
 * timeout, a wrong sudo password, a full disk on a write. For every one: the other hosts finish,
 * the faulty host has the right status, no file is half-written (old content byte for byte, no
 * `.kubeplay.*` temp file), the run record is complete, and after the fault is removed `--retry`
 * reruns only that host and a full run then changes nothing anywhere.
 *
 * Reboots and killed sshds are not something to do to a shared lab: this file brings up its own.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT } from '../../lib/cli/args.ts'
import { runCli } from '../../lib/cli/main.ts'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { play, playbook, task } from '../../lib/engine/task.ts'
import { labDown, labInfo, labUp, type LabInfo } from '../../lib/lab/index.ts'
import { copy } from '../../lib/modules/copy.ts'
import { shell } from '../../lib/modules/shell.ts'
import { labConnect } from '../lab/connect.ts'

const name = `rf${process.pid}`
const work = mkdtempSync(join(tmpdir(), 'kp-faults-'))
let lab: LabInfo
let hosts: string[]

interface Fault {
  /** A shell command run as the fault task on this host. */
  readonly cmd?: string
  /** A big write on this host (path, size in bytes). */
  readonly write?: { readonly path: string; readonly size: number }
}
const faults = new Map<string, Fault>()
const big = (n: number, seed: string): string => `${seed}\n`.repeat(Math.ceil(n / (seed.length + 1))).slice(0, n)

const pb = playbook('faults', [play('faulty', { hosts: 'all', items: [
  task('Write before', copy, (h) => ({ path: '/etc/kpf/before.conf', content: `before ${h.name}\n` })),
  task('Fault', shell, (h) => ({ cmd: faults.get(h.name)!.cmd! }), { when: (h) => !!faults.get(h.name)?.cmd }),
  task('Big write', copy, (h) => ({ path: faults.get(h.name)!.write!.path, content: big(faults.get(h.name)!.write!.size, 'new content line') }),
    { when: (h) => !!faults.get(h.name)?.write }),
  task('Write after', copy, (h) => ({ path: '/etc/kpf/after.conf', content: `after ${h.name}\n` })),
] })])

async function control(i: number): Promise<Connection> {
  return labConnect(lab, i)
}
async function onHost<T>(i: number, fn: (c: Connection) => Promise<T>): Promise<T> {
  const c = await control(i)
  try { return await fn(c) } finally { await c.close() }
}
const out = async (i: number, cmd: ReturnType<typeof sh>): Promise<string> => onHost(i, async (c) => (await c.exec(cmd)).stdout)

/** SSH on host i answers again (after a reboot or a killed sshd). */
async function waitSsh(i: number, ms = 120_000): Promise<void> {
  const end = Date.now() + ms
  for (;;) {
    try { await (await control(i)).close(); return } catch (e) {
      if (Date.now() > end) throw new Error(`${hosts[i]} did not come back: ${(e as Error).message}`)
      await new Promise((r) => setTimeout(r, 500))
    }
  }
}

/** Runs a command inside host i without SSH (through its container's namespaces). */
function inside(i: number, cmd: string): string {
  const nspawn = labInfo(name)!.hosts[i]!.nspawnPid
  const init = execFileSync('pgrep', ['-P', String(nspawn)], { encoding: 'utf8' }).trim().split('\n')[0]!
  return execFileSync('nsenter', ['-t', init, '-m', '-u', '-i', '-n', '-p', '--', 'sh', '-c', cmd], { encoding: 'utf8' })
}

async function cli(state: string, args: string[] = [], inv = `lab:${name}`): Promise<{ code: number; text: string }> {
  const lines: string[] = []
  const code = await runCli(pb, ['-i', inv, '--state-dir', state, ...args], { out: (l) => lines.push(l), err: (l) => lines.push(l) })
  return { code, text: lines.join('\n') }
}

const recapOf = (text: string, h: string): string => new RegExp(`^${h}\\s+: (.*)$`, 'm').exec(text)?.[1] ?? ''

interface Expect {
  readonly faulty: number
  readonly status: 'failed' | 'unreachable'
  /** Part of the faulty host's reason. */
  readonly reason: string | RegExp
  /** Files on the faulty host that must keep this exact content. */
  readonly intact?: Record<string, string>
  /** Directories that must hold no `.kubeplay.*` temp file. */
  readonly dirs?: readonly string[]
}

/** Run with the fault, check everything, remove the fault (`restore`), retry, converge. */
async function scenario(setup: () => Promise<void>, e: Expect, restore: () => Promise<void>, args: string[] = [], inv?: string): Promise<void> {
  const state = mkdtempSync(join(work, 'state-'))
  for (let i = 0; i < hosts.length; i++) await out(i, sh`rm -rf /etc/kpf && mkdir -p /etc/kpf && rm -f /run/kubeplay.lock`)
  await setup()
  const f = hosts[e.faulty]!
  let run: { code: number; text: string }
  try {
    run = await cli(state, args, inv)
  } finally {
    faults.clear()
    await restore()
  }
  // The faulty host: the right status and reason; the others: every task done.
  assert.is(run.code, e.status === 'failed' ? EXIT.failed : EXIT.unreachable, run.text)
  assert.match(run.text, new RegExp(`^${f}\\s+${e.status}\\s`, 'm'), run.text)
  assert.match(run.text, e.reason)
  for (const [i, h] of hosts.entries()) {
    if (i === e.faulty) continue
    assert.match(recapOf(run.text, h), /^ok=\d+ changed=2 unreachable=0 failed=0/, `${h}: ${recapOf(run.text, h)}`)
    assert.is(await out(i, sh`cat /etc/kpf/before.conf /etc/kpf/after.conf`), `before ${h}\nafter ${h}\n`)
  }
  // Nothing half-written: old content byte for byte, no temp file left.
  for (const [path, content] of Object.entries(e.intact ?? {})) {
    assert.is(await out(e.faulty, sh`cat ${path}`), content, `${path} on ${f} kept its old content`)
  }
  for (let i = 0; i < hosts.length; i++) {
    for (const d of ['/etc/kpf', ...(e.dirs ?? [])]) {
      assert.is(await out(i, sh`ls -A ${d} 2>/dev/null | grep '^\\.kubeplay\\.' || true`), '', `temp files in ${d} on ${hosts[i]}`)
    }
  }
  // The record: a start, every task result, an end naming the faulty host.
  const last = JSON.parse(readFileSync(join(state, 'last-run.json'), 'utf8')) as { record: string; failedHosts: string[]; unreachableHosts: string[] }
  assert.equal(e.status === 'failed' ? last.failedHosts : last.unreachableHosts, [f])
  const lines = readFileSync(last.record, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  assert.is(lines[0]!.type, 'run')
  assert.is(lines.at(-1)!.type, 'end')
  for (const h of hosts.filter((h) => h !== f)) assert.is(lines.filter((l) => l.type === 'task' && l.host === h).length, 4, `${h} tasks in the record`)
  assert.ok(lines.some((l) => l.type === 'task' && l.host === f && l.status === e.status))
  // Fault removed: --retry reruns only the faulty host, then nothing is left to change anywhere.
  const retry = await cli(state, ['--retry', ...args.filter((a) => a !== '--task-timeout' && !/^\d/.test(a))])
  assert.is(retry.code, EXIT.ok, retry.text)
  assert.match(retry.text, `--retry: rerunning 1 host(s) of run `)
  assert.match(retry.text, `${f} (${e.status})`)
  const again = await cli(state)
  assert.is(again.code, EXIT.ok, again.text)
  for (const h of hosts) assert.match(recapOf(again.text, h), /^ok=\d+ changed=0 unreachable=0 failed=0/, `${h} converged: ${recapOf(again.text, h)}`)
  for (let i = 0; i < hosts.length; i++) assert.is(await out(i, sh`cat /run/kubeplay.lock 2>/dev/null || true`), '', 'no lock left')
}

test.before(async () => {
  lab = await labUp({ name, hosts: 3, distro: 'debian12' })
  hosts = lab.hosts.map((h) => h.name)
})
test.after(async () => {
  rmSync(work, { recursive: true, force: true })
  await labDown({ name })
})

test('sshd killed mid-run: that host is unreachable, the others finish; back after sshd restarts', async () => {
  await scenario(async () => { faults.set(hosts[0]!, { cmd: 'pkill -KILL sshd' }) },
    { faulty: 0, status: 'unreachable', reason: /lab1\s+unreachable\s+Fault .*lab1: (closed|unreachable)/ },
    async () => {
      try { await waitSsh(0, 15_000) } catch { inside(0, 'systemctl restart ssh') }
      await waitSsh(0)
    })
})

test('host rebooted mid-run: unreachable, the others finish; the reboot also ended its lock', async () => {
  await scenario(async () => { faults.set(hosts[1]!, { cmd: 'systemctl reboot; sleep 60' }) },
    { faulty: 1, status: 'unreachable', reason: /lab2\s+unreachable\s+Fault .*lab2: (closed|unreachable)/ },
    async () => {
      await new Promise((r) => setTimeout(r, 3000))
      await waitSsh(1, 240_000)
    })
})

test('connection dropped during a file write: the target keeps its old content, no temp file', async () => {
  const old = 'old content, must survive\n'
  const i = 2
  // Slow the link to that host so the write is still on the wire when the session dies.
  const iflink = (await out(i, sh`cat /sys/class/net/host0/iflink`)).trim()
  const veth = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).split('\n').find((l) => l.startsWith(`${iflink}:`))!.split(':')[1]!.trim().split('@')[0]!
  let killer: Promise<string> | undefined
  await scenario(async () => {
    await out(i, sh`printf %s ${old} > /etc/kpf/big.conf`)
    faults.set(hosts[i]!, { write: { path: '/etc/kpf/big.conf', size: 900_000 } })
    execFileSync('tc', ['qdisc', 'add', 'dev', veth, 'root', 'tbf', 'rate', '2mbit', 'burst', '32kbit', 'latency', '5000ms'])
    // While the big write is on the (slowed) wire — ~5 s of it — kill every other SSH session of the host.
    const c = await control(i)
    killer = c.exec(sh`sleep 2.5; me=$(ps -o ppid= -p $$ | tr -d ' '); for p in $(pgrep -f 'sshd: root@notty'); do [ "$p" = "$me" ] || kill -KILL "$p"; done; echo killed`)
      .then((r) => r.stdout, (e: Error) => `killer failed: ${e.message}`).finally(() => c.close())
  }, { faulty: i, status: 'unreachable', reason: /lab3\s+unreachable\s+Big write .*lab3: (closed|unreachable)/, intact: { '/etc/kpf/big.conf': old } },
  async () => {
    try { execFileSync('tc', ['qdisc', 'del', 'dev', veth, 'root']) } catch { /* already gone */ }
    assert.match(await killer!, 'killed')
    await waitSsh(i)
  })
})

test('a command hanging past its timeout: failed with host and task named, killed on the host', async () => {
  await scenario(async () => { faults.set(hosts[0]!, { cmd: 'sleep 1001' }) },
    { faulty: 0, status: 'failed', reason: /lab1\s+failed\s+Fault .*lab1: timed out after 1500 ms: task 'Fault'/ },
    async () => {
      assert.is(await out(0, sh`pgrep -fx 'sleep 1001' || true`), '', 'the remote sleep was killed')
    }, ['--task-timeout', '1500ms'])
})

test('wrong sudo password: unreachable with the reason, never the password; fixed, the retry converges', async () => {
  const spec = JSON.parse(readFileSync(lab.inventoryPath, 'utf8')) as { hosts: Record<string, Record<string, unknown>> }
  const right = readFileSync(lab.becomePasswordPath, 'utf8').trim()
  const inv = (pw: string): string => {
    spec.hosts[hosts[1]!] = { ...spec.hosts[hosts[1]!], user: lab.becomeUser, become: true, becomePassword: pw }
    const p = join(work, 'sudo-inventory.json')
    writeFileSync(p, JSON.stringify(spec))
    return p
  }
  const path = inv('Wr0ng-sudo-pw')
  const state = mkdtempSync(join(work, 'state-'))
  for (let i = 0; i < hosts.length; i++) await out(i, sh`rm -rf /etc/kpf && mkdir -p /etc/kpf`)
  const run = await cli(state, [], path)
  assert.is(run.code, EXIT.unreachable, run.text)
  assert.match(run.text, /lab2\s+unreachable\s+Take the run lock .*lab2: sudo-password-wrong: sudo as kp refused the become password/)
  assert.not.match(run.text, 'Wr0ng-sudo-pw')
  for (const h of [hosts[0]!, hosts[2]!]) assert.match(recapOf(run.text, h), /changed=2 unreachable=0 failed=0/)
  assert.is(await out(1, sh`ls -A /etc/kpf`), '', 'nothing was done on lab2')
  inv(right)
  const retry = await cli(state, ['--retry'], path)
  assert.is(retry.code, EXIT.ok, retry.text)
  assert.match(retry.text, 'lab2 (unreachable)')
  const again = await cli(state, [], path)
  for (const h of hosts) assert.match(recapOf(again.text, h), /changed=0 unreachable=0 failed=0/)
})

test('full disk on a write: failed, the old file intact byte for byte, no temp file', async () => {
  const old = 'small old content\n'
  await scenario(async () => {
    await out(1, sh`mkdir -p /mnt/kpfull && mount -t tmpfs -o size=64k tmpfs /mnt/kpfull && printf %s ${old} > /mnt/kpfull/big.conf`)
    faults.set(hosts[1]!, { write: { path: '/mnt/kpfull/big.conf', size: 200_000 } })
  }, { faulty: 1, status: 'failed', reason: /lab2\s+failed\s+Big write [^\n]*write \/mnt\/kpfull\/big.conf[\s\S]*No space left on device/ },
  async () => {
    // Checked here, before the tmpfs goes: the old file byte for byte, nothing else beside it.
    assert.is(await out(1, sh`ls -A /mnt/kpfull`), 'big.conf\n', 'no temp file on the full disk')
    assert.is(await out(1, sh`cat /mnt/kpfull/big.conf`), old)
    await out(1, sh`umount /mnt/kpfull && rm -rf /mnt/kpfull && mkdir -p /mnt/kpfull`)
  })
})

test.run()
