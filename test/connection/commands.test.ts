/**
 * The atomic write on this machine through /bin/sh, as every connection runs it: modes and owners
 * (created with their final mode or copied from the old file), the exact byte count, and nothing
 * left or followed on failure.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, chownSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { atomicWriteCommand } from '../../lib/connection/commands.ts'
import { LocalConnection } from '../../lib/connection/local.ts'

const conn = new LocalConnection()
const dir = mkdtempSync(join(tmpdir(), 'kp-write-'))
const mode = (p: string): string => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0')
const temps = (): string[] => readdirSync(dir).filter((f) => f.startsWith('.kubeplay.'))

test('new files: 0644 by default, the requested mode exactly (with or without execute and special bits)', async () => {
  for (const [name, want] of [['plain', undefined], ['secret', '0600'], ['ro', '0400'], ['exe', '0755'], ['setgid', '2750'], ['short', '644']] as const) {
    const p = join(dir, name)
    await conn.writeFile(p, `${name}\n`, want === undefined ? {} : { mode: want })
    assert.is(readFileSync(p, 'utf8'), `${name}\n`)
    assert.is(mode(p), want === undefined ? '0644' : want.padStart(4, '0'), name)
  }
  assert.equal(temps(), [])
})

test('a rewrite keeps the old mode and owner unless told otherwise', async () => {
  const p = join(dir, 'kept')
  writeFileSync(p, 'old')
  chownSync(p, 65534, 65534)
  await conn.exec(atomicWriteCommand(p, {}, 3), { stdin: 'new' }).then((r) => assert.is(r.code, 0, r.stderr))
  await conn.exec(atomicWriteCommand(p, {}, 0), { stdin: '' }).then((r) => assert.is(r.code, 0, r.stderr))
  const s = statSync(p)
  assert.equal([s.size, s.uid, mode(p)], [0, 65534, '0644'])
  await conn.writeFile(p, 'x', { mode: '0640' })
  assert.equal([statSync(p).uid, mode(p)], [65534, '0640'])
})

test('fewer bytes than announced (a connection lost mid-send): refused, target and directory untouched', async () => {
  const p = join(dir, 'target')
  writeFileSync(p, 'keep me')
  const r = await conn.exec(atomicWriteCommand(p, { mode: '0600' }, 10), { stdin: 'short' })
  assert.is.not(r.code, 0)
  assert.match(r.stderr, 'short write: expected 10 bytes')
  assert.is(readFileSync(p, 'utf8'), 'keep me')
  assert.equal(temps(), [])
})

test('a symlink in place of the target is replaced, never written through', async () => {
  const outside = join(dir, 'outside')
  writeFileSync(outside, 'untouched')
  const p = join(dir, 'link')
  symlinkSync(outside, p)
  await conn.writeFile(p, 'file now')
  assert.ok(lstatSync(p).isFile())
  assert.is(readFileSync(outside, 'utf8'), 'untouched')
})

test.after(() => rmSync(dir, { recursive: true, force: true }))

test.run()
