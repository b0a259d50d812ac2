import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../lib/connection/quote.ts'
import { copy } from '../../lib/modules/copy.ts'
import { file } from '../../lib/modules/file.ts'
import { lineInFile } from '../../lib/modules/line-in-file.ts'
import { proveIdempotent } from '../helpers/module.ts'
import { labConnect } from '../lab/connect.ts'
import { testLab } from '../lab/harness.ts'
import { attrsOf, labEnv, pathIn } from './env.ts'
import { copySuite } from './suites/copy.ts'

const env = labEnv(test)
copySuite(test, env)

// Roles run as a sudo user: facts (stat + cat) and atomic writes must work through become too.
test('through sudo as the lab user: root-only files are read and written', async () => {
  const e = env()
  const conn = await labConnect(await testLab(), 0, { asUser: true })
  try {
    const dir = pathIn(e, 'root-only')
    await e.conn.exec(sh`mkdir -m 0700 -- ${dir}`)
    await proveIdempotent(conn, file, { path: `${dir}/sub`, state: 'directory' as const, mode: '0700' }, { paths: [dir] })
    const path = `${dir}/sub/secret.conf`
    await proveIdempotent(conn, copy, { path, content: 'a=1\n', mode: '0600' }, { paths: [dir] })
    await proveIdempotent(conn, lineInFile, { path, line: 'b=2' }, { paths: [dir] })
    assert.is((await e.conn.readFile(path))?.toString(), 'a=1\nb=2\n')
    assert.equal([(await attrsOf(e, path)).owner, (await attrsOf(e, path)).mode], ['root', '0600'])
  } finally {
    await conn.close()
  }
})

test.run()
