/** lineInFile on a host: the module contract over real files, create, mode, absent, hostile values. */
import type { Test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../../lib/connection/quote.ts'
import { runModule } from '../../../lib/engine/adhoc.ts'
import { ModuleError } from '../../../lib/errors.ts'
import { lineInFile } from '../../../lib/modules/line-in-file.ts'
import { proveIdempotent } from '../../helpers/module.ts'
import { HOSTILE } from '../../connection/hostile.ts'
import { attrsOf, expectError, hostileName, pathIn, type EnvRef } from '../env.ts'

export function lineInFileSuite(test: Test, env: EnvRef): void {
  test('sets a line by match, then reports no change', async () => {
    const e = env()
    const path = pathIn(e, 'sshd_config')
    await e.conn.writeFile(path, 'Port 22\n#PermitRootLogin yes\nUsePAM yes\n', { mode: '0600' })
    const p = { path, line: 'PermitRootLogin no', match: /^#?PermitRootLogin\b/ }
    const { first } = await proveIdempotent(e.conn, lineInFile, p, { paths: [path] })
    if (first.plan.changed) assert.equal(first.plan.diff?.after, 'Port 22\nPermitRootLogin no\nUsePAM yes\n')
    assert.is((await e.conn.readFile(path))?.toString(), 'Port 22\nPermitRootLogin no\nUsePAM yes\n')
    assert.is((await attrsOf(e, path)).mode, '0600', 'the mode of an edited file is kept')
  })

  test('a missing file is an error unless create is set; create applies the mode', async () => {
    const e = env()
    const path = pathIn(e, 'new')
    await expectError(runModule(e.conn, lineInFile, { path, line: 'a' }), ModuleError, /expected an existing file, found none \(set create: true/)
    await proveIdempotent(e.conn, lineInFile, { path, line: 'a', create: true, mode: '0640' }, { paths: [path] })
    assert.is((await e.conn.readFile(path))?.toString(), 'a\n')
    assert.is((await attrsOf(e, path)).mode, '0640')
  })

  test('absent removes lines; absent on a missing file is no change', async () => {
    const e = env()
    const path = pathIn(e, 'fstab')
    await e.conn.writeFile(path, 'proc /proc proc defaults 0 0\n/swap.img none swap sw 0 0\n')
    await proveIdempotent(e.conn, lineInFile, { path, match: /\sswap\s/, state: 'absent' as const }, { paths: [path] })
    assert.is((await e.conn.readFile(path))?.toString(), 'proc /proc proc defaults 0 0\n')
    const r = await runModule(e.conn, lineInFile, { path: `${path}.missing`, line: 'x', state: 'absent' })
    assert.is(r.plan.changed, false)
  })

  test('only the mode differs: changes the mode and not the content', async () => {
    const e = env()
    const path = pathIn(e)
    await e.conn.writeFile(path, 'a\n', { mode: '0644' })
    const { first } = await proveIdempotent(e.conn, lineInFile, { path, line: 'a', mode: '0600' }, { paths: [path] })
    assert.ok(first.plan.changed && /set mode 0600/.test(first.plan.summary))
    assert.is((await attrsOf(e, path)).mode, '0600')
  })

  test('refuses binary files and directories', async () => {
    const e = env()
    const bin = pathIn(e, 'bin')
    await e.conn.writeFile(bin, Buffer.from([0, 1, 2, 255]))
    await expectError(runModule(e.conn, lineInFile, { path: bin, line: 'a' }), ModuleError, /expected a UTF-8 text file, found binary content/)
    const dir = pathIn(e, 'dir')
    await e.conn.exec(sh`mkdir -- ${dir}`)
    await expectError(runModule(e.conn, lineInFile, { path: dir, line: 'a' }), ModuleError, /found a directory/)
  })

  test('hostile paths and lines round-trip exactly', async () => {
    const e = env()
    for (const [label, value] of HOSTILE) {
      const line = value.replace(/\n/g, ' ')
      if (line === '') continue
      const path = pathIn(e, hostileName(value))
      await e.conn.writeFile(path, 'first\n')
      await proveIdempotent(e.conn, lineInFile, { path, line }, { paths: [path] })
      assert.is((await e.conn.readFile(path))?.toString(), `first\n${line}\n`, label)
    }
  })
}
