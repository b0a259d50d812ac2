/**
 * The lab end to end: a 2-host lab under a unique name, reached over SSH with strict host keys, then
 * torn down without leftovers. Run: npx tsx test/lab/lab.test.ts (as root).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { assertLabAddress, labDown, labInfo, labUp, planLayout, sshArgs, type LabInfo } from '../../lib/lab/index.ts'
import { nftRuleset } from '../../lib/lab/net.ts'
import { bridgeName, inSubnet, validateName } from '../../lib/lab/paths.ts'

const NAME = `lt${process.pid}`
let lab: LabInfo | undefined
let supervisors: number[] = []

function ssh(host: string, command: string, opts: { user?: string; knownHosts?: string; input?: string } = {}) {
  const l = lab
  if (!l) throw new Error('lab not up')
  const h = l.hosts.find((x) => x.name === host)
  if (!h) throw new Error(`no host ${host}`)
  assertLabAddress(h.address)
  const args = sshArgs({ address: h.address, keyFile: l.keyPath, knownHosts: opts.knownHosts ?? l.knownHostsPath }, opts.user ?? 'root')
  const r = spawnSync('timeout', ['60', 'ssh', ...args, command], { input: opts.input ?? '', encoding: 'utf8' })
  return { code: r.status ?? 1, stdout: r.stdout.trim(), stderr: r.stderr.trim() }
}

test.after(async () => {
  await labDown({ name: NAME }) // idempotent: also runs when a test failed half-way
})

test('derived names fit Linux limits and stay distinct', () => {
  assert.is(bridgeName('kubeplay'), 'kp-kubeplay')
  const long = [bridgeName('beta-with-a-long-name'), bridgeName('beta-with-another-name')]
  for (const b of long) assert.ok(b.length <= 15, b)
  assert.is.not(long[0], long[1])
  assert.throws(() => validateName('base-x'))
  assert.throws(() => validateName('Bad Name'))
})

test('layouts: flat N in group lab; seed001 has the project groups', () => {
  assert.equal(planLayout('flat', 2).groups, { lab: { hosts: ['lab1', 'lab2'] } })
  const seed = planLayout('seed001')
  assert.equal(seed.hosts.map((h) => h.name), ['lab1', 'lab2', 'lab3', 'lab4', 'lab5', 'lab6', 'lab7'])
  assert.equal(seed.groups['k8s-cluster'], { children: ['masters', 'workers'] })
  assert.equal(seed.groups.nfs_server, { hosts: ['lab2'] })
  assert.equal(seed.hosts[4]!.groups, ['workers', 'nfs_clients'])
  assert.throws(() => planLayout('seed001', 3))
})

test('subnet check and nft rules: only the mirror on 80/443 leaves the bridge', () => {
  assert.ok(inSubnet('10.250.7.11', '10.250.7.0/24'))
  assert.not.ok(inSubnet('10.250.70.11', '10.250.7.0/24'))
  const rules = nftRuleset({ bridge: 'kp-x', subnet: '10.250.7.0/24', nftTable: 'kplab_x', mirrors: ['203.0.113.80'] })
  assert.match(rules, /iifname "kp-x" ip daddr \{ 203\.0\.113\.80 \} tcp dport \{ 80, 443 \} accept\n\s+iifname "kp-x" drop/)
  assert.match(rules, /ip saddr 10\.250\.7\.0\/24 ip daddr \{ 203\.0\.113\.80 \} oifname != "kp-x" masquerade/)
})

test('up boots two hosts and writes the client files', async () => {
  lab = await labUp({ name: NAME, hosts: 2 })
  supervisors = lab.hosts.map((h) => h.supervisorPid)
  assert.equal(lab.hosts.map((h) => h.name), ['lab1', 'lab2'])
  assert.ok(existsSync(lab.inventoryPath) && existsSync(lab.knownHostsPath) && existsSync(lab.becomePasswordPath))
  const inv = JSON.parse(readFileSync(lab.inventoryPath, 'utf8'))
  assert.equal(inv.hosts.lab1.address, lab.hosts[0]!.address)
  assert.equal(inv.hosts.lab1.user, 'root')
  assert.equal(inv.hosts.lab1.vars.lab_become_user, 'kp')
  assert.equal(inv.groups.lab.hosts, ['lab1', 'lab2'])
  const kh = readFileSync(lab.knownHostsPath, 'utf8')
  for (const h of lab.hosts) {
    assert.match(kh, new RegExp(`^${h.address.replace(/\./g, '\\.')} ssh-ed25519 AAAA`, 'm'))
    assert.match(kh, new RegExp(`^${h.name} ssh-ed25519 AAAA`, 'm'))
  }
  assert.equal(labInfo(NAME)?.subnet, lab.subnet)
})

test('strict host-key SSH works with the lab known_hosts and fails with an empty one', () => {
  assert.equal(ssh('lab1', 'true').code, 0)
  const dir = mkdtempSync(join(tmpdir(), 'kp-kh-'))
  try {
    const empty = join(dir, 'known_hosts')
    writeFileSync(empty, '')
    const r = ssh('lab1', 'true', { knownHosts: empty })
    assert.is.not(r.code, 0)
    assert.match(r.stderr, /Host key verification failed/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('hosts are named lab1/lab2 and systemd is running', () => {
  for (const h of ['lab1', 'lab2']) {
    assert.equal(ssh(h, 'hostname').stdout, h)
    assert.match(ssh(h, 'systemctl is-system-running').stdout, /^(running|degraded)$/)
  }
})

test('lab1 resolves and reaches lab2', () => {
  const r = ssh('lab1', 'getent hosts lab2 && ping -c1 -W2 lab2 >/dev/null && echo reached')
  assert.equal(r.code, 0, r.stderr)
  assert.ok(r.stdout.startsWith(lab!.hosts[1]!.address), r.stdout)
  assert.match(r.stdout, /reached$/)
})

test('kp can sudo with the become password and is refused with a wrong one', () => {
  const pw = readFileSync(lab!.becomePasswordPath, 'utf8').trim()
  const ok = ssh('lab2', "sudo -k -S -p '' id -u", { user: 'kp', input: `${pw}\n` })
  assert.equal(ok.stdout, '0', ok.stderr)
  const bad = ssh('lab2', "sudo -k -S -p '' id -u", { user: 'kp', input: 'wrong-password\n' })
  assert.is.not(bad.code, 0)
  assert.is.not(bad.stdout, '0')
})

test('apt-get update reaches the mirror', () => {
  const r = ssh('lab1', 'apt-get update -qq && echo apt-ok')
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /apt-ok$/)
})

test('up again with the same shape is a fast no-op', async () => {
  const t0 = Date.now()
  const again = await labUp({ name: NAME, hosts: 2 })
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`)
  assert.equal(again.hosts.map((h) => h.supervisorPid), supervisors)
})

test('down leaves no bridge, nft table, mount or process, and runs twice', async () => {
  const { bridge, nftTable, stateDir } = lab!
  await labDown({ name: NAME })
  assert.not.ok(existsSync(`/sys/class/net/${bridge}`), 'bridge gone')
  assert.equal(spawnSync('nft', ['list', 'table', 'ip', nftTable]).status === 0, false, 'nft table gone')
  assert.not.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(stateDir), 'no overlay mounts')
  for (const pid of supervisors) assert.not.ok(existsSync(`/proc/${pid}`), `supervisor ${pid} gone`)
  assert.not.ok(existsSync(stateDir), 'state dir removed')
  assert.is(labInfo(NAME), null)
  await labDown({ name: NAME })
  assert.throws(() => assertLabAddress(lab!.hosts[0]!.address))
})

test.run()
