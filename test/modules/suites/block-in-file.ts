/** blockInFile on a host: the module contract over real files, create, mode, absent, hostile values. */
import type { Test } from 'uvu'
import * as assert from 'uvu/assert'
import { runModule } from '../../../lib/engine/adhoc.ts'
import { ModuleError } from '../../../lib/errors.ts'
import { blockInFile } from '../../../lib/modules/block-in-file.ts'
import { proveIdempotent } from '../../helpers/module.ts'
import { HOSTILE } from '../../connection/hostile.ts'
import { attrsOf, expectError, hostileName, pathIn, type EnvRef } from '../env.ts'

const B = '# BEGIN KUBEPLAY MANAGED BLOCK'
const E = '# END KUBEPLAY MANAGED BLOCK'

export function blockInFileSuite(test: Test, env: EnvRef): void {
  test('adds, then replaces, then removes a block; each step idempotent', async () => {
    const e = env()
    const path = pathIn(e, 'hosts')
    await e.conn.writeFile(path, '127.0.0.1 localhost\n', { mode: '0644' })
    await proveIdempotent(e.conn, blockInFile, { path, block: '10.0.0.1 a\n10.0.0.2 b\n' }, { paths: [path] })
    assert.is((await e.conn.readFile(path))?.toString(), `127.0.0.1 localhost\n${B}\n10.0.0.1 a\n10.0.0.2 b\n${E}\n`)
    const { first } = await proveIdempotent(e.conn, blockInFile, { path, block: '10.0.0.3 c' }, { paths: [path] })
    if (first.plan.changed) assert.is(first.plan.diff?.before, `127.0.0.1 localhost\n${B}\n10.0.0.1 a\n10.0.0.2 b\n${E}\n`)
    await proveIdempotent(e.conn, blockInFile, { path, block: '', state: 'absent' as const }, { paths: [path] })
    assert.is((await e.conn.readFile(path))?.toString(), '127.0.0.1 localhost\n')
  })

  test('a missing file is an error unless create is set; create applies mode and owner', async () => {
    const e = env()
    const path = pathIn(e, 'new')
    await expectError(runModule(e.conn, blockInFile, { path, block: 'x' }), ModuleError, /set create: true/)
    await proveIdempotent(e.conn, blockInFile, { path, block: 'x', create: true, mode: '0600', owner: e.user }, { paths: [path] })
    const a = await attrsOf(e, path)
    assert.is(a.mode, '0600')
    assert.is(a.owner, e.user)
    const r = await runModule(e.conn, blockInFile, { path: `${path}.missing`, block: 'x', state: 'absent' })
    assert.is(r.plan.changed, false)
  })

  test('hostile paths and blocks round-trip exactly', async () => {
    const e = env()
    for (const [label, value] of HOSTILE) {
      const path = pathIn(e, hostileName(value))
      const block = `${value.replace(/\n$/, '')}\nend`
      await proveIdempotent(e.conn, blockInFile, { path, block, create: true }, { paths: [path] })
      assert.is((await e.conn.readFile(path))?.toString(), `${B}\n${block}\n${E}\n`, label)
    }
  })
}
