import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalConnection } from '../../lib/connection/local.ts'
import { sh } from '../../lib/connection/quote.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { upload } from '../../lib/modules/upload.ts'
import { proveIdempotent } from '../helpers/module.ts'

const conn = new LocalConnection()
const dir = mkdtempSync(join(tmpdir(), 'kp-upload-'))
const src = join(dir, 'src.bin')
const bytes = Buffer.concat([Buffer.from([0, 1, 2, 255]), Buffer.alloc(300_000, 7)])
writeFileSync(src, bytes)
const sha256 = createHash('sha256').update(bytes).digest('hex')
test.after(() => rmSync(dir, { recursive: true, force: true }))

test('upload: sends a binary file once; a second run and --check see the same sha256', async () => {
  const path = join(dir, 'dest', 'tool')
  await conn.exec(sh`mkdir -p ${join(dir, 'dest')}`)
  const { first } = await proveIdempotent(conn, upload, { src, sha256, path, mode: '0755' }, { paths: [path] })
  assert.match(first.plan.changed ? first.plan.summary : '', /^create .*tool \(sha256 [a-f0-9]{12}…\)$/)
  const r = await conn.exec(sh`sha256sum ${path} | cut -c1-64; stat -c %a ${path}`)
  assert.is(r.stdout, `${sha256}\n755\n`)
})

test('upload: a changed file on the host is replaced; a mode change alone sends nothing', async () => {
  const path = join(dir, 'drift')
  await runModule(conn, upload, { src, sha256, path, mode: '0755' })
  await conn.exec(sh`printf x >> ${path}`)
  const fix = await runModule(conn, upload, { src, sha256, path, mode: '0755' })
  assert.ok(fix.plan.changed && fix.plan.summary.startsWith('replace'))
  await conn.exec(sh`chmod 0700 ${path}`)
  const mode = await runModule(conn, upload, { src, sha256, path, mode: '0755' })
  assert.ok(mode.plan.changed && mode.plan.summary.endsWith('set mode 0755'), JSON.stringify(mode.plan))
  assert.is((await conn.exec(sh`sha256sum ${path} | cut -c1-64`)).stdout.trim(), sha256)
})

test('upload: a source whose bytes do not match the sha256 never replaces the host file', async () => {
  const path = join(dir, 'guarded')
  await conn.exec(sh`printf old > ${path}`)
  const wrong = 'a'.repeat(64)
  const r = await runModule(conn, upload, { src, sha256: wrong, path }).catch((e: Error) => e)
  assert.instance(r, Error)
  assert.match(String(r), /validat/)
  assert.is((await conn.exec(sh`cat ${path}; ls -a ${dir} | grep -c kubeplay || true`)).stdout, 'old0\n', 'old file intact, no temp file left')
})

test('upload: bad params are refused before anything is read', async () => {
  for (const [p, re] of [
    [{ src, sha256: 'xyz', path: join(dir, 'x') }, /sha256: expected 64 lowercase hex digits, found 'xyz'/],
    [{ src, sha256, path: 'relative' }, /path: expected an absolute path/],
  ] as const) {
    const e = await runModule(conn, upload, p, { checkMode: true }).catch((x: Error) => x)
    assert.match(String(e), re)
  }
  await conn.exec(sh`mkdir -p ${join(dir, 'adir')}`)
  const e = await runModule(conn, upload, { src, sha256, path: join(dir, 'adir') }, { checkMode: true }).catch((x: Error) => x)
  assert.match(String(e), /expected a regular file, found a directory/)
})

test.run()
