/** copy on a host: the module contract, attrs, validate, backup, secrets, binary and hostile values. */
import type { Test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../../lib/connection/quote.ts'
import { secret } from '../../../lib/secret.ts'
import { runModule } from '../../../lib/engine/adhoc.ts'
import { copy } from '../../../lib/modules/copy.ts'
import { CommandError, ModuleError } from '../../../lib/errors.ts'
import { proveIdempotent, snapshot } from '../../helpers/module.ts'
import { HOSTILE } from '../../connection/hostile.ts'
import { attrsOf, expectError, hostileName, pathIn, tempFilesIn, type EnvRef } from '../env.ts'

export function copySuite(test: Test, env: EnvRef): void {
  test('creates a file with content and mode, then reports no change', async () => {
    const e = env()
    const path = pathIn(e)
    const { first } = await proveIdempotent(e.conn, copy, { path, content: 'hello\n', mode: '0640' }, { paths: [path] })
    assert.ok(first.plan.changed && first.plan.diff)
    if (first.plan.changed) assert.equal(first.plan.diff, { path, before: null, after: 'hello\n' })
    assert.equal((await e.conn.readFile(path))?.toString(), 'hello\n')
    assert.is((await attrsOf(e, path)).mode, '0640')
  })

  test('updates differing content and shows before/after; keeps the old mode when none is given', async () => {
    const e = env()
    const path = pathIn(e)
    await e.conn.writeFile(path, 'old\n', { mode: '0600' })
    const { first } = await proveIdempotent(e.conn, copy, { path, content: 'new\n' }, { paths: [path] })
    if (first.plan.changed) assert.equal(first.plan.diff, { path, before: 'old\n', after: 'new\n' })
    assert.is((await attrsOf(e, path)).mode, '0600')
  })

  test('fixes only the mode of a file whose content matches, without rewriting it', async () => {
    const e = env()
    const path = pathIn(e)
    await e.conn.writeFile(path, 'same\n', { mode: '0644' })
    const inode = (await attrsOf(e, path)).inode
    const { first } = await proveIdempotent(e.conn, copy, { path, content: 'same\n', mode: '0600' }, { paths: [path] })
    assert.ok(first.plan.changed && /set mode 0600/.test(first.plan.summary))
    assert.ok(first.plan.changed && first.plan.diff === undefined, 'no content diff for an attrs-only change')
    const a = await attrsOf(e, path)
    assert.is(a.mode, '0600')
    assert.is(a.inode, inode, 'attrs-only change must not replace the file')
  })

  test('sets owner and group (by name), then reports no change', async () => {
    const e = env()
    const path = pathIn(e)
    await proveIdempotent(e.conn, copy, { path, content: 'x', owner: e.user, group: e.group }, { paths: [path] })
    const a = await attrsOf(e, path)
    assert.is(a.owner, e.user)
    assert.is(a.group, e.group)
    const back = await runModule(e.conn, copy, { path, content: 'x', owner: 'root', group: 'root' })
    assert.ok(back.plan.changed && /owner root, group root/.test(back.plan.summary))
    assert.is((await attrsOf(e, path)).owner, 'root')
  })

  test('a failing validate leaves the old file byte-for-byte and no temp file', async () => {
    const e = env()
    const path = pathIn(e)
    await e.conn.writeFile(path, 'good config\n', { mode: '0644' })
    const before = await snapshot(e.conn, [path])
    await expectError(runModule(e.conn, copy, { path, content: 'bad config\n', validate: 'grep -q good %s' }), CommandError, /validation failed/)
    assert.is(await snapshot(e.conn, [path]), before)
    assert.equal(await tempFilesIn(e), [])
    await proveIdempotent(e.conn, copy, { path, content: 'good config v2\n', validate: 'grep -q good %s' }, { paths: [path] })
  })

  test('backup keeps the replaced file next to it', async () => {
    const e = env()
    const dir = pathIn(e, 'backup')
    await e.conn.exec(sh`mkdir -- ${dir}`)
    const path = `${dir}/conf`
    await e.conn.writeFile(path, 'v1\n')
    const r = await runModule(e.conn, copy, { path, content: 'v2\n', backup: true })
    const bp = /backup: (.*)$/.exec(r.outcome?.output ?? '')?.[1]
    assert.ok(bp && bp.startsWith(`${path}.`) && bp.endsWith('~'), `backup path in output: ${r.outcome?.output}`)
    assert.is((await e.conn.readFile(bp))?.toString(), 'v1\n')
    assert.is((await e.conn.readFile(path))?.toString(), 'v2\n')
  })

  test('secret content reaches the file but never the plan', async () => {
    const e = env()
    const path = pathIn(e)
    await e.conn.writeFile(path, 'old token\n')
    const token = secret(`tok-${Math.random()}-s3cr3t`)
    const { first } = await proveIdempotent(e.conn, copy, { path, content: token, mode: '0600' }, { paths: [path] })
    assert.ok(first.plan.changed)
    const shown = JSON.stringify(first.plan)
    assert.not.ok(shown.includes(token.reveal()), 'secret in plan')
    assert.not.ok(shown.includes('old token'), 'old content of a secret file in plan')
    if (first.plan.changed) assert.is(first.plan.diff?.after, '***')
    assert.is((await e.conn.readFile(path))?.toString(), token.reveal())
  })

  test('text holding a secret: the diff shows the change with the secret masked, and an old secret in the same place masked too', async () => {
    const e = env()
    const path = pathIn(e)
    await e.conn.writeFile(path, 'maxconn 100\nstats auth admin:Old-rotated-pw-123\n')
    const pw = secret(`New-${Math.random()}-pw`)
    const content = `maxconn 200\nstats auth admin:${pw.reveal()}\n`
    const { first } = await proveIdempotent(e.conn, copy, { path, content }, { paths: [path] })
    assert.ok(first.plan.changed)
    const diff = first.plan.changed ? first.plan.diff! : null
    assert.is(diff?.before, 'maxconn 100\nstats auth admin:***\n')
    assert.is(diff?.after, 'maxconn 200\nstats auth admin:***\n')
    assert.not.ok(JSON.stringify(first.plan).includes('Old-rotated') || JSON.stringify(first.plan).includes(pw.reveal()))
  })

  test('binary content round-trips exactly and diffs as binary', async () => {
    const e = env()
    const path = pathIn(e)
    const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) % 256))
    const { first } = await proveIdempotent(e.conn, copy, { path, content: bytes }, { paths: [path] })
    if (first.plan.changed) assert.is(first.plan.diff?.after, '[binary: 512 bytes]')
    assert.ok((await e.conn.readFile(path))?.equals(bytes))
  })

  test('replaces a symlink with a file; refuses a directory', async () => {
    const e = env()
    const path = pathIn(e)
    const target = pathIn(e, 'target')
    await e.conn.writeFile(target, 'target\n')
    await e.conn.exec(sh`ln -s -- ${target} ${path}`)
    await proveIdempotent(e.conn, copy, { path, content: 'mine\n' }, { paths: [path, target] })
    assert.is((await e.conn.readFile(target))?.toString(), 'target\n', 'link target untouched')
    const dir = pathIn(e, 'dir')
    await e.conn.exec(sh`mkdir -- ${dir}`)
    await expectError(runModule(e.conn, copy, { path: dir, content: 'x' }), ModuleError, /expected a regular file or nothing, found a directory/)
  })

  test('hostile file names and contents round-trip exactly', async () => {
    const e = env()
    for (const [label, value] of HOSTILE) {
      const path = pathIn(e, hostileName(value))
      await proveIdempotent(e.conn, copy, { path, content: value }, { paths: [path] })
      assert.is((await e.conn.readFile(path))?.toString(), value, label)
    }
    const pwned = await e.conn.exec(sh`test -e /tmp/kp-pwned`)
    assert.is(pwned.code, 1, 'a hostile value was executed')
  })

  test('rejects bad params naming the key, expected and found', async () => {
    const e = env()
    const cases: [object, RegExp][] = [
      [{ path: 'rel/path', content: 'x' }, /path: expected an absolute path, found 'rel\/path'/],
      [{ path: pathIn(e), content: 'x', mode: '999' }, /mode: expected an octal string like '0644', found '999'/],
      [{ path: pathIn(e), content: 'x', mode: 'u+x' }, /mode: expected an octal string/],
      [{ path: pathIn(e), content: 'x', owner: 'a b' }, /owner: expected a user\/group name or numeric id, found 'a b'/],
      [{ path: pathIn(e), content: 'x', validate: '' }, /validate: expected a command/],
    ]
    for (const [params, re] of cases) {
      await expectError(runModule(e.conn, copy, params as never), ModuleError, re)
    }
  })
}
