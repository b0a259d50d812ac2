/**
 * SshConnection against loopback sshd daemons (test/lab/loopback-sshd.ts): the daemons run on this
 * machine, so files written over SSH are checked with node:fs directly.
 */
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejection } from '../helpers/results.ts'
import { fingerprint } from '../../lib/connection/known-hosts.ts'
import { sh } from '../../lib/connection/quote.ts'
import { secret } from '../../lib/secret.ts'
import { openSshClient } from '../../lib/connection/ssh-connect.ts'
import { connectSsh, JumpPool, type SshConnection } from '../../lib/connection/ssh.ts'
import { ConnectError, TimeoutError, type ConnectFailure } from '../../lib/errors.ts'
import { startLoopbackSshd, type LoopbackSshd } from '../lab/loopback-sshd.ts'
import { HOSTILE } from './hostile.ts'

let lab: LoopbackSshd
let conn: SshConnection
let work: string

test.before(async () => {
  lab = await startLoopbackSshd(3)
  conn = await connectSsh('lo1', lab.settings(0))
  work = join(lab.dir, 'work')
  mkdirSync(work)
})

test.after(async () => {
  await conn?.close()
  await lab?.stop()
})


/** Host #i's per-connection sshd processes once closing ones have exited (the count is stable). */
async function settledSessions(i: number): Promise<number> {
  let last = -1
  for (let stable = 0; stable < 3;) {
    await new Promise((r) => setTimeout(r, 50))
    const n = lab.sessions(i).length
    stable = n === last ? stable + 1 : 0
    last = n
  }
  return last
}

async function rejectsWith(p: Promise<unknown>, reason: ConnectFailure): Promise<ConnectError> {
  const e = await rejection(p)
  assert.instance(e, ConnectError, String(e))
  assert.is((e as ConnectError).reason, reason, e.message)
  return e as ConnectError
}

test('exec returns exit code, stdout and stderr', async () => {
  const r = await conn.exec(sh`echo out; echo err >&2; exit 3`)
  assert.equal({ ...r, stdoutBytes: undefined }, { code: 3, stdout: 'out\n', stderr: 'err\n', stdoutBytes: undefined })
})

test('stdout is binary-safe', async () => {
  const r = await conn.exec(sh`printf '\\000\\001\\377\\200\\n'`)
  assert.equal([...r.stdoutBytes], [0, 1, 255, 128, 10])
})

test('output without a trailing newline and large stderr alongside stdout', async () => {
  assert.is((await conn.exec(sh`printf abc`)).stdout, 'abc')
  const r = await conn.exec(sh`head -c 1000000 /dev/zero | tr '\\0' e >&2; head -c 1000000 /dev/zero | tr '\\0' o`)
  assert.is(r.stderr.length, 1_000_000)
  assert.is(r.stdout.length, 1_000_000)
})

test('200 sequential execs reuse one TCP connection and one shell', async () => {
  const before = lab.sessions(0)
  assert.is(before.length, 1)
  const t0 = performance.now()
  for (let i = 0; i < 200; i++) {
    const r = await conn.exec(sh`echo ${i}`)
    assert.is(r.stdout, `${i}\n`)
  }
  const perExec = (performance.now() - t0) / 200
  assert.equal(lab.sessions(0), before)

  // For comparison: a fresh exec channel per command on one connection (what node-ssh execCommand does).
  const { ssh, release } = await openSshClient('lo1-raw', lab.settings(0))
  const t1 = performance.now()
  for (let i = 0; i < 50; i++) await ssh.execCommand(`echo ${i}`)
  const perChannel = (performance.now() - t1) / 50
  ssh.dispose()
  release()
  console.log(`\n  persistent shell: ${perExec.toFixed(2)} ms/exec; fresh exec channel: ${perChannel.toFixed(2)} ms/exec`)
})

test('concurrent execs are serialized: no interleaved output, results in order', async () => {
  const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => conn.exec(sh`echo start-${i}; sleep 0.01; echo end-${i} >&2; echo end-${i}`)))
  rs.forEach((r, i) => {
    assert.is(r.stdout, `start-${i}\nend-${i}\n`)
    assert.is(r.stderr, `end-${i}\n`)
  })
})

test('stdin: string, Buffer, empty, and none (reads /dev/null)', async () => {
  assert.is((await conn.exec(sh`cat`, { stdin: 'a\nb' })).stdout, 'a\nb')
  const bytes = randomBytes(4096)
  assert.ok((await conn.exec(sh`cat`, { stdin: bytes })).stdoutBytes.equals(bytes))
  assert.is((await conn.exec(sh`cat`, { stdin: '' })).stdout, '')
  assert.is((await conn.exec(sh`cat; echo done`)).stdout, 'done\n')
})

test('env and cwd apply to one command only', async () => {
  const r = await conn.exec(sh`printf '%s|%s|' "$KP_A" "$KP_S"; pwd`, { env: { KP_A: "it's $(x)", KP_S: secret('kp-env-secret-value') }, cwd: '/tmp' })
  assert.is(r.stdout, "it's $(x)|kp-env-secret-value|/tmp\n")
  assert.is((await conn.exec(sh`printf '%s' "$KP_A"; pwd`)).stdout.includes('/tmp'), false)
  assert.match((await rejection(conn.exec(sh`true`, { env: { 'BAD NAME': 'x' } }))).message, /variable name/)
})

for (const [name, value] of HOSTILE) {
  test(`hostile value round-trips over SSH: ${name}`, async () => {
    const r = await conn.exec(sh`printf %s ${value}`)
    assert.is(r.stdout, value)
    assert.is((await conn.exec(sh`printf %s "$V"`, { env: { V: value } })).stdout, value)
  })
}

test('a hostile cwd works', async () => {
  const dir = join(work, "d i'r $(x) `y`")
  mkdirSync(dir)
  assert.is((await conn.exec(sh`pwd`, { cwd: dir })).stdout, `${dir}\n`)
  const missing = await conn.exec(sh`echo never`, { cwd: join(work, 'missing') })
  assert.is(missing.code, 1)
})

test('exit, syntax errors, cd and exec in a command do not kill the session', async () => {
  assert.is((await conn.exec(sh`exit 7`)).code, 7)
  const syntax = await conn.exec(sh`if then (`)
  assert.is.not(syntax.code, 0)
  assert.is((await conn.exec(sh`cd /; exec true`)).code, 0)
  assert.is((await conn.exec(sh`echo alive`)).stdout, 'alive\n')
  assert.is(await settledSessions(0), 1)
})

test('a background job does not hold the session', async () => {
  const t0 = Date.now()
  assert.is((await conn.exec(sh`sleep 2 & echo started`)).stdout, 'started\n')
  assert.ok(Date.now() - t0 < 1500)
})

test('timeoutMs: TimeoutError with the masked command, process killed, next exec works', async () => {
  const t0 = Date.now()
  const secs = (29 + Math.random()).toFixed(6) // unique, to find this very process afterwards
  const e = await rejection(conn.exec(sh`sleep ${secs}; echo ${secret('timeout-secret')}`, { timeoutMs: 500 }))
  assert.instance(e, TimeoutError)
  assert.ok(e.message.includes(`sleep ${secs}; echo ***`), e.message)
  assert.not.match(e.message, /timeout-secret/)
  assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`)
  assert.is((await conn.exec(sh`echo after`)).stdout, 'after\n')
  assert.is((await conn.exec(sh`ps -eo args | grep -c ${`^sleep ${secs}$`} || true`)).stdout, '0\n')
})

test('timeoutMs: if the remote timeout fails, the controller gives up, and the shell is reopened', async () => {
  const bin = join(work, 'fakebin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'timeout'), '#!/bin/sh\nexec sleep 4\n', { mode: 0o755 }) // ignores the limit
  const t0 = Date.now()
  const e = await rejection(conn.exec(sh`true`, { timeoutMs: 300, env: { PATH: `${bin}:/usr/bin:/bin` } }))
  assert.instance(e, TimeoutError)
  assert.ok(Date.now() - t0 < 4000, `took ${Date.now() - t0} ms`)
  assert.is((await conn.exec(sh`echo reopened`)).stdout, 'reopened\n')
  assert.is(await settledSessions(0), 1)
})

test('timeoutMs that is not reached changes nothing', async () => {
  const r = await conn.exec(sh`echo quick; exit 4`, { timeoutMs: 5000 })
  assert.is(r.code, 4)
  assert.is(r.stdout, 'quick\n')
})

test('readFile: absent → null, 5 MB binary exact', async () => {
  assert.is(await conn.readFile(join(work, 'absent')), null)
  const data = randomBytes(5 * 1024 * 1024)
  writeFileSync(join(work, 'big.bin'), data)
  const t0 = performance.now()
  const got = await conn.readFile(join(work, 'big.bin'))
  console.log(`\n  readFile 5 MB: ${(performance.now() - t0).toFixed(0)} ms`)
  assert.ok(got?.equals(data))
})

test('writeFile: small and 5 MB (temp-file stdin path) arrive exact', async () => {
  const small = Buffer.from('x=1\n')
  await conn.writeFile(join(work, 'small.conf'), small)
  assert.ok(readFileSync(join(work, 'small.conf')).equals(small))
  const medium = randomBytes(1000 * 1024) // just under the here-document limit
  let t0 = performance.now()
  await conn.writeFile(join(work, 'medium.bin'), medium)
  console.log(`\n  writeFile 1000 KiB (here-document): ${(performance.now() - t0).toFixed(0)} ms`)
  assert.ok(readFileSync(join(work, 'medium.bin')).equals(medium))
  const big = randomBytes(5 * 1024 * 1024 + 7)
  t0 = performance.now()
  await conn.writeFile(join(work, 'big-up.bin'), big)
  console.log(`\n  writeFile 5 MB: ${(performance.now() - t0).toFixed(0)} ms`)
  assert.ok(readFileSync(join(work, 'big-up.bin')).equals(big))
  // Another test process on this machine may be uploading at this moment: its file goes away too.
  const leftovers = () => readdirSync('/tmp').filter((f) => f.startsWith('.kubeplay-stdin.')).length
  for (let i = 0; i < 20 && leftovers() > 0; i++) await new Promise((r) => setTimeout(r, 100))
  assert.is(leftovers(), 0)
})

test('writeFile is atomic with mode; a failing validate leaves the old file and no temp file', async () => {
  const path = join(work, 'app.conf')
  await conn.writeFile(path, 'old\n', { mode: '0640' })
  assert.is(statSync(path).mode & 0o777, 0o640)
  await conn.writeFile(path, 'new\n', { mode: '0600' })
  assert.is(readFileSync(path, 'utf8'), 'new\n')
  assert.is(statSync(path).mode & 0o777, 0o600)
  assert.match((await rejection(conn.writeFile(path, 'bad\n', { validate: 'grep -q good %s' }))).message, /validation failed/)
  assert.is(readFileSync(path, 'utf8'), 'new\n')
  assert.equal(readdirSync(work).filter((f) => f.startsWith('.kubeplay.')), [])
  await conn.writeFile(path, 'good\n', { validate: 'grep -q good %s' })
  assert.is(readFileSync(path, 'utf8'), 'good\n')
})

test('become as root login is a no-op', async () => {
  assert.is((await conn.exec(sh`id -u`, { become: true })).stdout, '0\n')
})

test('host key: unknown host refused', async () => {
  const empty = join(lab.dir, 'empty_known_hosts')
  writeFileSync(empty, '')
  const e = await rejectsWith(connectSsh('lo2', lab.settings(1, { knownHosts: empty })), 'host-key-unknown')
  assert.match(e.message, fingerprint(lab.hosts[1]!.hostKey.split(' ')[1]!))
})

test('host key: changed key refused with both fingerprints', async () => {
  const h = lab.hosts[1]!
  const other = lab.hosts[2]!.hostKey
  const file = join(lab.dir, 'wrong_known_hosts')
  writeFileSync(file, `[${h.address}]:${h.port} ${other}\n`)
  const e = await rejectsWith(connectSsh('lo2', lab.settings(1, { knownHosts: file })), 'host-key-changed')
  assert.match(e.message, fingerprint(h.hostKey.split(' ')[1]!))
  assert.match(e.message, fingerprint(other.split(' ')[1]!))
  // accept-new never overrides a changed key
  await rejectsWith(connectSsh('lo2', lab.settings(1, { knownHosts: file }), { hostKeyPolicy: 'accept-new' }), 'host-key-changed')
})

test('host key: a @revoked key is refused', async () => {
  const h = lab.hosts[1]!
  const file = join(lab.dir, 'revoked_known_hosts')
  writeFileSync(file, `[${h.address}]:${h.port} ${h.hostKey}\n@revoked * ${h.hostKey}\n`)
  await rejectsWith(connectSsh('lo2', lab.settings(1, { knownHosts: file })), 'host-key-changed')
})

test('host key: accept-new records the key (file 0600) and the next strict connect works', async () => {
  const file = join(lab.dir, 'new', 'known_hosts')
  const c = await connectSsh('lo2', lab.settings(1, { knownHosts: file }), { hostKeyPolicy: 'accept-new' })
  await c.close()
  const h = lab.hosts[1]!
  assert.is(readFileSync(file, 'utf8'), `[${h.address}]:${h.port} ${h.hostKey}\n`)
  assert.is(statSync(file).mode & 0o777, 0o600)
  const again = await connectSsh('lo2', lab.settings(1, { knownHosts: file }))
  assert.is((await again.exec(sh`echo ok`)).stdout, 'ok\n')
  await again.close()
})

test('host key: a pinned hostKey is used instead of known_hosts', async () => {
  const empty = join(lab.dir, 'empty_known_hosts')
  const c = await connectSsh('lo2', lab.settings(1, { knownHosts: empty, hostKey: `${lab.hosts[1]!.hostKey} comment` }))
  await c.close()
  await rejectsWith(connectSsh('lo2', lab.settings(1, { hostKey: lab.hosts[2]!.hostKey })), 'host-key-changed')
})

test('auth: a key the host does not know → auth-refused', async () => {
  const key = join(lab.dir, 'stranger')
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key])
  await rejectsWith(connectSsh('lo2', lab.settings(1, { keyFile: key })), 'auth-refused')
})

test('auth: an encrypted key with its passphrase works; without it → auth-refused', async () => {
  const key = join(lab.dir, 'locked')
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'kp pass phrase', '-f', key])
  writeFileSync(join(lab.hosts[1]!.dir, 'authorized_keys'), readFileSync(`${key}.pub`), { flag: 'a' })
  const c = await connectSsh('lo2', lab.settings(1, { keyFile: key, passphrase: secret('kp pass phrase') }))
  await c.close()
  await rejectsWith(connectSsh('lo2', lab.settings(1, { keyFile: key })), 'auth-refused')
})

test('auth: ssh-agent holding the key works; an empty agent → auth-refused', async () => {
  const sock = join(lab.dir, 'agent.sock')
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' })
  try {
    for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50))
    const withoutKey = lab.settings(1, { agent: sock })
    await rejectsWith(connectSsh('lo2', { ...withoutKey, keyFile: undefined }), 'auth-refused')
    execFileSync('ssh-add', ['-q', lab.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' })
    const c = await connectSsh('lo2', { ...withoutKey, keyFile: undefined })
    assert.is((await c.exec(sh`echo via-agent`)).stdout, 'via-agent\n')
    await c.close()
  } finally {
    agent.kill()
  }
})

test('unreachable: a closed port on 127.0.0.1 fails fast', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)) })
  })
  const t0 = Date.now()
  await rejectsWith(connectSsh('closed', lab.settings(0, { address: '127.0.0.1', port })), 'unreachable')
  assert.ok(Date.now() - t0 < 2000)
})

test('timeout: a server that never speaks SSH → timeout after connectTimeoutMs', async () => {
  const sockets: import('node:net').Socket[] = []
  const server: Server = createServer((s) => sockets.push(s))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  const t0 = Date.now()
  try {
    await rejectsWith(connectSsh('mute', lab.settings(0, { address: '127.0.0.1', port }), { connectTimeoutMs: 400 }), 'timeout')
    assert.ok(Date.now() - t0 < 3000)
  } finally {
    for (const s of sockets) s.destroy()
    server.close()
  }
})

test('session death: killing the sshd session rejects the pending exec and later ones, no hang', async () => {
  const c = await connectSsh('lo2', lab.settings(1))
  const pending = c.exec(sh`sleep 30`)
  const queued = c.exec(sh`echo queued`)
  await new Promise((r) => setTimeout(r, 300))
  const t0 = Date.now()
  lab.killSessions(1)
  await rejectsWith(pending, 'closed')
  await rejectsWith(queued, 'closed')
  await rejectsWith(c.exec(sh`echo later`), 'closed')
  assert.ok(Date.now() - t0 < 3000)
  await c.close()
})

test('close is idempotent and later execs reject with ConnectError closed', async () => {
  const c = await connectSsh('lo2', lab.settings(1))
  await c.close()
  await c.close()
  await rejectsWith(c.exec(sh`true`), 'closed')
})

test('jump host: reach lo3 through lo2 (inventory name and user@address:port)', async () => {
  const before = await settledSessions(1)
  const viaName = await connectSsh('lo3', lab.settings(2, { jump: 'lo2' }), { resolveJump: (n) => (n === 'lo2' ? lab.settings(1) : undefined) })
  assert.is((await viaName.exec(sh`echo through`)).stdout, 'through\n')
  assert.is(lab.sessions(1).length, before + 1)
  await viaName.close()
  const h = lab.hosts[1]!
  const viaSpec = await connectSsh('lo3', lab.settings(2, { jump: `root@${h.address}:${h.port}` }))
  assert.is((await viaSpec.exec(sh`echo spec`)).stdout, 'spec\n')
  await viaSpec.close()
})

test('jump host: a JumpPool shares one bastion connection between hosts', async () => {
  const jumpPool = new JumpPool()
  const opts = { resolveJump: () => lab.settings(1), jumpPool }
  const before = await settledSessions(1)
  const [a, b] = await Promise.all([connectSsh('lo3', lab.settings(2, { jump: 'lo2' }), opts), connectSsh('lo1', lab.settings(0, { jump: 'lo2' }), opts)])
  assert.is(lab.sessions(1).length, before + 1)
  assert.equal([(await a.exec(sh`echo a`)).stdout, (await b.exec(sh`echo b`)).stdout], ['a\n', 'b\n'])
  await a.close()
  await b.close()
})

test('jump host: an unreachable target behind the bastion → unreachable', async () => {
  await rejectsWith(connectSsh('nowhere', lab.settings(2, { port: 1, jump: 'lo2' }), { resolveJump: () => lab.settings(1) }), 'unreachable')
})

test('no temp files or stray shells left behind', async () => {
  assert.not.ok(existsSync('/tmp/kp-pwned'))
  assert.is(await settledSessions(0), 1)
})

test('cleanup of work dir', () => rmSync(work, { recursive: true, force: true }))

test.run()
