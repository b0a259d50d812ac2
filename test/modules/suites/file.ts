/** file on a host: each state, attrs, recurse, links, refusals, hostile names. */
import type { Test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../../lib/connection/quote.ts'
import { runModule } from '../../../lib/engine/adhoc.ts'
import { ModuleError } from '../../../lib/errors.ts'
import { file } from '../../../lib/modules/file.ts'
import { proveIdempotent, snapshot } from '../../helpers/module.ts'
import { HOSTILE } from '../../connection/hostile.ts'
import { attrsOf, expectError, hostileName, pathIn, type EnvRef } from '../env.ts'

export function fileSuite(test: Test, env: EnvRef): void {
  test('directory: creates it (and parents) with mode and owner, then no change', async () => {
    const e = env()
    const top = pathIn(e, 'd')
    const path = `${top}/a/b`
    await proveIdempotent(e.conn, file, { path, state: 'directory' as const, mode: '0750', owner: e.user }, { paths: [top] })
    const a = await attrsOf(e, path)
    assert.equal([a.mode, a.owner], ['0750', e.user])
  })

  test('directory: changes only what differs on an existing one', async () => {
    const e = env()
    const path = pathIn(e, 'd')
    await e.conn.exec(sh`mkdir -m 0700 -- ${path}`)
    const { first } = await proveIdempotent(e.conn, file, { path, state: 'directory' as const, mode: '0755', group: e.group }, { paths: [path] })
    assert.ok(first.plan.changed && first.plan.summary === `set mode 0755, group ${e.group} on ${path}`, JSON.stringify(first.plan))
    const a = await attrsOf(e, path)
    assert.equal([a.mode, a.group], ['0755', e.group])
  })

  test('directory recurse: fixes owner and mode below, one differing file is enough to plan', async () => {
    const e = env()
    const path = pathIn(e, 'tree')
    await e.conn.exec(sh`mkdir -p -- ${path}/x/y && touch -- ${path}/x/y/f ${path}/g && chmod -R 0755 -- ${path}`)
    const params = { path, state: 'directory' as const, recurse: true, owner: e.user, mode: '0755' }
    await proveIdempotent(e.conn, file, params, { paths: [path] })
    assert.is((await attrsOf(e, `${path}/x/y/f`)).owner, e.user)
    await e.conn.exec(sh`chown root -- ${path}/x/y/f`)
    const again = await runModule(e.conn, file, params)
    assert.ok(again.plan.changed && again.applied)
    assert.is((await attrsOf(e, `${path}/x/y/f`)).owner, e.user)
  })

  test('absent: removes a directory tree, a file and a link (not its target); absent is no change', async () => {
    const e = env()
    const tree = pathIn(e, 'tree')
    const target = pathIn(e, 'target')
    const link = pathIn(e, 'link')
    await e.conn.exec(sh`mkdir -p -- ${tree}/x && touch -- ${tree}/x/f ${target} && ln -s -- ${target} ${link}`)
    for (const path of [tree, link]) {
      await proveIdempotent(e.conn, file, { path, state: 'absent' as const }, { paths: [path] })
      assert.ok((await e.conn.exec(sh`test -e ${path} || test -L ${path}`)).code !== 0, `${path} removed`)
    }
    assert.is((await e.conn.exec(sh`test -f ${target}`)).code, 0, 'link target kept')
  })

  test('touch: creates an empty file once; later runs leave timestamps alone', async () => {
    const e = env()
    const path = pathIn(e, 'marker')
    await proveIdempotent(e.conn, file, { path, state: 'touch' as const, mode: '0600' }, { paths: [path] })
    assert.is((await e.conn.readFile(path))?.length, 0)
    assert.is((await attrsOf(e, path)).mode, '0600')
  })

  test('file: sets attrs of an existing file; a missing one is an error', async () => {
    const e = env()
    const path = pathIn(e)
    await e.conn.writeFile(path, 'keep\n', { mode: '0644' })
    await proveIdempotent(e.conn, file, { path, mode: '0400' }, { paths: [path] })
    assert.is((await attrsOf(e, path)).mode, '0400')
    assert.is((await e.conn.readFile(path))?.toString(), 'keep\n')
    await expectError(runModule(e.conn, file, { path: `${path}.missing`, state: 'file' }), ModuleError, /expected an existing regular file \(state 'file' does not create one.*found nothing/)
  })

  test('link: creates, repoints and sets the link owner without touching the target', async () => {
    const e = env()
    const target = pathIn(e, 'target')
    const other = pathIn(e, 'other')
    const path = pathIn(e, 'link')
    await e.conn.exec(sh`touch -- ${target} ${other}`)
    await proveIdempotent(e.conn, file, { path, src: target }, { paths: [path] })
    const { first } = await proveIdempotent(e.conn, file, { path, src: other, owner: e.user }, { paths: [path] })
    assert.ok(first.plan.changed && first.plan.summary.startsWith(`repoint symlink ${path} from ${target} to ${other}`))
    assert.is((await e.conn.exec(sh`readlink -- ${path}`)).stdout, `${other}\n`)
    assert.is((await attrsOf(e, path)).owner, e.user)
    assert.is((await attrsOf(e, other)).owner, 'root', 'target owner untouched')
    await proveIdempotent(e.conn, file, { path: pathIn(e, 'rel'), src: '../relative target' }, { paths: [] })
  })

  test('link: refuses to replace a file or a directory; directory refuses a file', async () => {
    const e = env()
    const f = pathIn(e, 'f')
    await e.conn.writeFile(f, 'data\n')
    const before = await snapshot(e.conn, [f])
    await expectError(runModule(e.conn, file, { path: f, src: '/etc' }), ModuleError, /expected a symlink or nothing, found a regular file/)
    await expectError(runModule(e.conn, file, { path: f, state: 'directory' }), ModuleError, /expected a directory or nothing, found a regular file/)
    assert.is(await snapshot(e.conn, [f]), before)
  })

  test('rejects bad params naming the key, expected and found', async () => {
    const e = env()
    const p = pathIn(e)
    const cases: [object, RegExp][] = [
      [{ path: 'relative' }, /path: expected an absolute path, found 'relative'/],
      [{ path: p, state: 'present' }, /state: expected one of 'directory', 'file', 'link', 'absent', 'touch', found "present"/],
      [{ path: p, state: 'link' }, /src: expected the link target for state 'link', found undefined/],
      [{ path: p, state: 'directory', src: '/x' }, /src: expected only with state 'link', found it with state 'directory'/],
      [{ path: p, src: '/x', mode: '0777' }, /mode: expected no mode for a symlink/],
      [{ path: p, state: 'touch', recurse: true }, /recurse: expected only with state 'directory'/],
      [{ path: p, state: 'directory', mode: 755 }, /mode: expected an octal string like '0644', found 755/],
    ]
    for (const [params, re] of cases) await expectError(runModule(e.conn, file, params as never), ModuleError, re)
  })

  test('hostile names: directories, touch and links round-trip exactly', async () => {
    const e = env()
    for (const [label, value] of HOSTILE) {
      const name = hostileName(value)
      const dir = pathIn(e, name)
      await proveIdempotent(e.conn, file, { path: dir, state: 'directory' as const }, { paths: [dir] })
      await proveIdempotent(e.conn, file, { path: `${dir}/${name}f`, state: 'touch' as const }, { paths: [dir] })
      await proveIdempotent(e.conn, file, { path: `${dir}/${name}l`, src: value || 'x' }, { paths: [dir] })
      assert.is((await e.conn.exec(sh`readlink -- ${`${dir}/${name}l`}`)).stdout, `${value || 'x'}\n`, label)
    }
    assert.is((await e.conn.exec(sh`test -e /tmp/kp-pwned`)).code, 1, 'a hostile value was executed')
  })
}
