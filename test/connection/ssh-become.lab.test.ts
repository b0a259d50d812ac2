/**
 * become (sudo) over SSH against the test lab: booted Debian hosts where `kp` logs in by key and
 * needs its password for sudo. Root logs in by key. Only lab addresses are contacted.
 */
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejection } from '../helpers/results.ts'
import { sh } from '../../lib/connection/quote.ts'
import { secret, type Secret } from '../../lib/secret.ts'
import { connectSsh, type SshConnection } from '../../lib/connection/ssh.ts'
import type { ResolvedConnection } from '../../lib/inventory/types.ts'
import { ConnectError, TimeoutError, type ConnectFailure } from '../../lib/errors.ts'
import { assertLabAddress, type LabInfo } from '../../lib/lab/index.ts'
import { testLab } from '../lab/harness.ts'

let lab: LabInfo
let password: Secret
let kp: SshConnection
const opened: SshConnection[] = []

function settings(extra: Partial<ResolvedConnection> = {}): ResolvedConnection {
  const h = lab.hosts[0]!
  assertLabAddress(h.address)
  return { address: h.address, port: 22, user: lab.becomeUser, keyFile: lab.keyPath, knownHosts: lab.knownHostsPath, become: true, becomePassword: password, connection: 'ssh', ...extra }
}

async function open(extra: Partial<ResolvedConnection> = {}): Promise<SshConnection> {
  const c = await connectSsh(lab.hosts[0]!.name, settings(extra))
  opened.push(c)
  return c
}


async function rejectsWith(p: Promise<unknown>, reason: ConnectFailure): Promise<ConnectError> {
  const e = await rejection(p)
  assert.instance(e, ConnectError, String(e))
  assert.is((e as ConnectError).reason, reason, e.message)
  return e as ConnectError
}

test.before(async () => {
  lab = await testLab()
  password = secret(readFileSync(lab.becomePasswordPath, 'utf8').trim(), 'become password')
  kp = await open()
})

test.after(async () => {
  for (const c of opened) await c.close()
})

test('root login by key: uid 0, become is a no-op', async () => {
  const root = await open({ user: 'root', become: false, becomePassword: undefined })
  assert.is((await root.exec(sh`id -u`)).stdout, '0\n')
  assert.is((await root.exec(sh`id -u`, { become: true })).stdout, '0\n')
})

test('become with the password: root by default, the login user with become: false', async () => {
  assert.is((await kp.exec(sh`id -un`)).stdout, 'root\n')
  assert.is((await kp.exec(sh`id -un`, { become: false })).stdout, `${lab.becomeUser}\n`)
  const noDefault = await open({ become: false })
  assert.is((await noDefault.exec(sh`id -un`)).stdout, `${lab.becomeUser}\n`)
  assert.is((await noDefault.exec(sh`id -un`, { become: true })).stdout, 'root\n')
})

test('the root shell is opened once and reused', async () => {
  const ppid = async () => (await kp.exec(sh`echo $PPID`)).stdout
  const first = await ppid()
  const t0 = performance.now()
  for (let i = 0; i < 100; i++) assert.is(await ppid(), first)
  console.log(`\n  become exec on a lab host: ${((performance.now() - t0) / 100).toFixed(2)} ms/exec`)
})

test('become: exit codes, stdin, env, cwd, hostile values', async () => {
  assert.is((await kp.exec(sh`exit 5`)).code, 5)
  assert.is((await kp.exec(sh`cat`, { stdin: "it's\n$(x)" })).stdout, "it's\n$(x)")
  assert.is((await kp.exec(sh`printf %s "$X"; pwd`, { env: { X: 'a b' }, cwd: '/root' })).stdout, 'a b/root\n')
})

test('become: readFile and writeFile as root, including large content', async () => {
  assert.ok(await kp.readFile('/etc/shadow'))
  assert.is((await kp.exec(sh`cat /etc/shadow`, { become: false })).code, 1)
  await kp.writeFile('/root/kp-become.conf', 'x=1\n', { mode: '0600' })
  assert.is((await kp.exec(sh`stat -c '%U %a' /root/kp-become.conf`)).stdout, 'root 600\n')
  const big = Buffer.alloc(3 * 1024 * 1024, 'kubeplay ')
  await kp.writeFile('/root/kp-big.bin', big)
  assert.ok((await kp.readFile('/root/kp-big.bin'))?.equals(big))
  await kp.exec(sh`rm -f /root/kp-become.conf /root/kp-big.bin`)
})

test('become: timeout kills the command and the root shell stays usable', async () => {
  const e = await rejection(kp.exec(sh`sleep 30`, { timeoutMs: 500 }))
  assert.instance(e, TimeoutError)
  assert.is((await kp.exec(sh`id -u`)).stdout, '0\n')
})

test('wrong become password → sudo-password-wrong; the password is never shown; non-become still works', async () => {
  const c = await open({ becomePassword: secret('definitely-wrong-pw') })
  const t0 = Date.now()
  const e = await rejectsWith(c.exec(sh`id -u`), 'sudo-password-wrong')
  assert.ok(Date.now() - t0 < 15_000)
  assert.not.match(e.message, /definitely-wrong-pw/)
  assert.is((await c.exec(sh`id -un`, { become: false })).stdout, `${lab.becomeUser}\n`)
  await rejectsWith(c.exec(sh`id -u`), 'sudo-password-wrong') // stays failed: no sudo lockout by retrying
})

test('no become password where sudo needs one → sudo-required', async () => {
  const c = await open({ becomePassword: undefined })
  await rejectsWith(c.exec(sh`id -u`), 'sudo-required')
  assert.is((await c.exec(sh`echo fine`, { become: false })).stdout, 'fine\n')
})

test.run()
