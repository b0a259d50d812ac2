import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync, statSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalConnection } from '../../lib/connection/local.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { download, planDownload } from '../../lib/modules/download.ts'

const sha = (s: string) => createHash('sha256').update(s).digest('hex')
const local = new LocalConnection()

test('planDownload: digest decides fetch; mode/owner alone only fix attrs', () => {
  const p = { url: 'file:///x', dest: '/d', sha256: 'A'.repeat(64) }
  assert.equal(planDownload(p, ''), { fetch: true, fixMode: false })
  assert.is(planDownload(p, `${'a'.repeat(64)} 644 root root`), null)
  assert.equal(planDownload({ ...p, mode: '0755' }, `${'a'.repeat(64)} 644 root root`), { fetch: false, fixMode: true })
  assert.equal(planDownload({ ...p, owner: 'nobody' }, `${'a'.repeat(64)} 644 root root`), { fetch: false, fixMode: true })
})

// file:// URLs on this machine: the same curl path as on a host, without a network
const dir = mkdtempSync(join(tmpdir(), "kp dl '$(x)"))
const src = join(dir, 'src file')
writeFileSync(src, 'payload\n')

test('download: fetches, verifies, sets mode; second run is a no-op', async () => {
  const dest = join(dir, 'sub dir', 'out $(x)')
  const p = { url: `file://${encodeURI(src)}`, dest, sha256: sha('payload\n'), mode: '0750' }
  const first = await runModule(local, download, p)
  assert.ok(first.applied)
  assert.is(readFileSync(dest, 'utf8'), 'payload\n')
  assert.is((statSync(dest).mode & 0o777).toString(8), '750')
  assert.is((await runModule(local, download, p)).plan.changed, false)
})

test('download: a digest mismatch names both digests and leaves dest untouched, no temp file left', async () => {
  const dest = join(dir, 'kept')
  writeFileSync(dest, 'old\n')
  try {
    await runModule(local, download, { url: `file://${encodeURI(src)}`, dest, sha256: sha('other'), mode: '0644' })
    assert.unreachable()
  } catch (e) {
    assert.match((e as Error).message, `sha256 expected ${sha('other')}, found ${sha('payload\n')}`)
    assert.match((e as Error).message, 'left untouched')
  }
  assert.is(readFileSync(dest, 'utf8'), 'old\n')
  assert.equal(readdirSync(dir).filter((f) => f.startsWith('.kubeplay')), [])
})

test('download: refuses a URL that is not http(s)/ftp/file', async () => {
  try { await runModule(local, download, { url: '-o /etc/passwd', dest: '/tmp/x', sha256: 'a'.repeat(64) }); assert.unreachable() }
  catch (e) { assert.match((e as Error).message, /url: expected an http\(s\):\/\/, ftp:\/\/ or file:\/\/ URL/) }
})

test.after(() => rmSync(dir, { recursive: true, force: true }))
test.run()
