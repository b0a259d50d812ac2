/**
 * The `kubeplay` command against booted lab hosts, through its real entry point (bin/kubeplay.mjs):
 * ping (ok, become with the right and a wrong sudo password, an unreachable host), shell (grouped and
 * one-line output, become, a failing command), inventory, and the exit codes. Only lab addresses and
 * a closed loopback port are contacted.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT } from '../../lib/cli/args.ts'
import { assertLabAddress, type LabInfo } from '../../lib/lab/index.ts'
import { testLab } from '../lab/harness.ts'

const root = new URL('../../', import.meta.url).pathname
const work = mkdtempSync(join(tmpdir(), 'kp-kubeplay-'))
let lab: LabInfo
let inv: string

async function kubeplay(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await promisify(execFile)(join(root, 'bin/kubeplay.mjs'), args, { cwd: work, timeout: 120_000 })
    return { code: 0, out: r.stdout + r.stderr }
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof x.code === 'number' ? x.code : -1, out: `${x.stdout ?? ''}${x.stderr ?? ''}` }
  }
}

test.before(async () => {
  lab = await testLab({ hosts: 3 })
  const [a, b, c] = lab.hosts
  for (const h of [a!, b!, c!]) assertLabAddress(h.address)
  const pw = readFileSync(lab.becomePasswordPath, 'utf8').trim()
  const conn = { keyFile: lab.keyPath, knownHosts: lab.knownHostsPath }
  inv = join(work, 'inventory.json')
  writeFileSync(inv, JSON.stringify({
    hosts: {
      [a!.name]: { address: a!.address, user: 'root', ...conn },
      [b!.name]: { address: b!.address, user: lab.becomeUser, become: true, becomePassword: 'not-the-password', ...conn },
      [c!.name]: { address: c!.address, user: lab.becomeUser, become: true, becomePassword: pw, ...conn },
      // Nothing listens on loopback port 1: refused at once.
      gone: { address: '127.0.0.1', port: 1, user: 'root', ...conn },
    },
    groups: { good: { hosts: [a!.name, c!.name] } },
  }))
})

test.after(() => rmSync(work, { recursive: true, force: true }))

test('ping: one line per host — ok as root (by login or by sudo), FAILED become on a wrong sudo password, UNREACHABLE; exit 3', async () => {
  const [a, b, c] = lab.hosts
  const r = await kubeplay('ping', '-i', inv)
  assert.is(r.code, EXIT.unreachable, r.out)
  const line = (h: string): string => r.out.split('\n').find((l) => l.startsWith(`${h} `)) ?? ''
  assert.match(line(a!.name), /ok \(root@.*, as root\)/)
  assert.match(line(b!.name), /FAILED: .*sudo-password-wrong: sudo as .* refused the become password/)
  assert.match(line(c!.name), new RegExp(`ok \\(${lab.becomeUser}@.*, as root\\)`))
  assert.match(line('gone'), /UNREACHABLE: /)
  assert.not.match(r.out, readFileSync(lab.becomePasswordPath, 'utf8').trim(), 'the sudo password never shows')
  const good = await kubeplay('ping', 'good', '-i', inv)
  assert.is(good.code, EXIT.ok, good.out)
})

test('shell: the command on every matched host, grouped per host; -b runs it as root; a failing command is exit 2', async () => {
  const [a, , c] = lab.hosts
  const r = await kubeplay('shell', 'good', '-i', inv, '-b', '--', 'id -un; hostname')
  assert.is(r.code, EXIT.ok, r.out)
  assert.match(r.out, `${a!.name} | ok >>\nroot\n${a!.name}`)
  assert.match(r.out, `${c!.name} | ok >>\nroot\n${c!.name}`)
  const one = await kubeplay('shell', 'good', '-i', inv, '--one-line', '--', 'echo x; exit 7')
  assert.is(one.code, EXIT.failed, one.out)
  assert.match(one.out, `${a!.name} | FAILED rc=7 | x`)
})

test('inventory --graph and --host read the inventory without contacting anything; bad input is exit 4', async () => {
  const g = await kubeplay('inventory', '-i', inv, '--graph')
  assert.is(g.code, EXIT.ok, g.out)
  assert.match(g.out, `@all:\n  |--@good:\n  |  |--${lab.hosts[0]!.name}`)
  const h = await kubeplay('inventory', '-i', inv, '--host', lab.hosts[1]!.name)
  assert.is(h.code, EXIT.ok, h.out)
  assert.ok(JSON.parse(h.out).groups.includes('all'))
  const bad = await kubeplay('ping', 'nosuchgroup', '-i', inv)
  assert.is(bad.code, EXIT.invalidInput, bad.out)
  assert.match(bad.out, 'invalid input, nothing was contacted')
  const unknown = await kubeplay('pong')
  assert.is(unknown.code, EXIT.invalidInput)
  assert.match(unknown.out, "expected a command: ping, shell, module, facts, inventory, report, vault, import, playbook, lab, completion (kubeplay --help), found 'pong'")
})

test('facts: what kubeplay reads of each lab host, as JSON; a module run ad hoc over SSH with -b; an unreachable host is exit 3', async () => {
  const [a, , c] = lab.hosts
  const r = await kubeplay('facts', 'good', '-i', inv)
  assert.is(r.code, EXIT.ok, r.out)
  const facts = JSON.parse(r.out) as Record<string, { hostname: string; arch: string; os: { id: string }; cpus: number; services: Record<string, string>; packages: Record<string, string> }>
  assert.equal(Object.keys(facts), [a!.name, c!.name])
  for (const f of Object.values(facts)) {
    assert.ok(['debian', 'ubuntu'].includes(f.os.id), f.os.id)
    assert.is(f.arch, 'x86_64')
    assert.ok(f.cpus >= 1)
    assert.ok(['not-found', 'inactive', 'active', 'failed'].includes(f.services.kubelet!), JSON.stringify(f.services))
  }
  assert.is(facts[a!.name]!.hostname, a!.name)
  const gone = await kubeplay('facts', 'gone', '-i', inv)
  assert.is(gone.code, EXIT.unreachable, gone.out)
  const dir = `/tmp/kubeplay-module-${process.pid}`
  const m = await kubeplay('module', c!.name, '-i', inv, '-b', '-m', 'file', '-a', `path=${dir} state=directory owner=root mode=0700`)
  assert.is(m.code, EXIT.ok, m.out)
  assert.match(m.out, /changed=1/)
  const check = await kubeplay('shell', c!.name, '-i', inv, '-b', '--', `stat -c '%U %a' ${dir}; rm -rf ${dir}`)
  assert.match(check.out, 'root 700')
})

test.run()
