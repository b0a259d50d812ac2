import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LocalConnection } from '../../lib/connection/local.ts'
import { sh } from '../../lib/connection/quote.ts'
import { hostContext } from '../../lib/engine/adhoc.ts'
import { CommandError } from '../../lib/errors.ts'
import { fileContent } from '../../lib/facts/file-content.ts'
import { fileStat, fileTreeStat, normalizeMode } from '../../lib/facts/file-stat.ts'
import { fileText } from '../../lib/facts/file-text.ts'

const conn = new LocalConnection()
const host = () => hostContext(conn, { readOnly: true })
let dir = ''

test.before(async () => {
  dir = (await conn.exec(sh`mktemp -d /tmp/kp-facts-XXXXXX`)).stdout.trim()
})
test.after(async () => {
  await conn.exec(sh`rm -rf -- ${dir}`)
})

test('normalizeMode: four octal digits, or undefined', () => {
  const cases: [string, string | undefined][] = [['644', '0644'], ['0644', '0644'], ['2755', '2755'], ['02755', '2755'], ['0', undefined], ['0899', undefined], ['u+x', undefined], ['12345', undefined]]
  for (const [m, want] of cases) assert.is(normalizeMode(m), want, m)
})

test('fileStat: absent is null, an empty file is a file of size 0', async () => {
  assert.is(await host().fact(fileStat, `${dir}/missing`), null)
  await conn.exec(sh`: > ${dir}/empty && chmod 0640 ${dir}/empty && chown nobody:nogroup ${dir}/empty`)
  assert.equal(await host().fact(fileStat, `${dir}/empty`), { type: 'file', mode: '0640', owner: 'nobody', uid: 65534, group: 'nogroup', gid: 65534, size: 0 })
})

test('fileStat: directories, setgid modes and links (not followed, target exact)', async () => {
  const target = `${dir}/odd\ntarget 'x'`
  await conn.exec(sh`mkdir -m 2750 ${dir}/d && ln -s ${target} ${dir}/l && ln -s ${dir}/d ${dir}/dl`)
  const d = await host().fact(fileStat, `${dir}/d`)
  assert.equal([d?.type, d?.mode], ['directory', '2750'])
  const l = await host().fact(fileStat, `${dir}/l`)
  assert.equal([l?.type, l?.target], ['link', target], 'dangling link is still a link')
  assert.equal((await host().fact(fileStat, `${dir}/dl`))?.type, 'link')
})

test('fileContent: stat and exact bytes together; no content for non-files', async () => {
  const bytes = Buffer.from([0, 10, 10, 255, 13, 10])
  await conn.writeFile(`${dir}/bin`, bytes, { mode: '0600' })
  const c = await host().fact(fileContent, `${dir}/bin`)
  assert.ok(c?.content?.equals(bytes))
  assert.is(c?.stat.size, 6)
  assert.is((await host().fact(fileContent, `${dir}/d`))?.content, null)
  assert.is(await host().fact(fileContent, `${dir}/missing`), null)
})

test('fileText: content or null', async () => {
  await conn.writeFile(`${dir}/t`, 'a\nb\n')
  assert.is(await host().fact(fileText, `${dir}/t`), 'a\nb\n')
  assert.is(await host().fact(fileText, `${dir}/missing`), null)
})

test('fileTreeStat: tells whether anything below differs', async () => {
  await conn.exec(sh`mkdir -p ${dir}/tree/a && touch ${dir}/tree/a/f && chmod -R 0755 ${dir}/tree`)
  assert.is((await host().fact(fileTreeStat, { path: `${dir}/tree`, mode: '0755', owner: 'root' }))?.treeDiffers, false)
  await conn.exec(sh`chown nobody ${dir}/tree/a/f`)
  assert.is((await host().fact(fileTreeStat, { path: `${dir}/tree`, mode: '0755', owner: 'root' }))?.treeDiffers, true)
  assert.is(await host().fact(fileTreeStat, { path: `${dir}/nope`, owner: 'root' }), null)
})

test('a file that cannot be read is an error, not absent', async () => {
  // A regular file even for root: reading it fails (EIO), as a permission error would.
  const err = await host().fact(fileContent, '/proc/self/mem').then(() => null, (e: unknown) => e)
  assert.instance(err, CommandError)
})

test.run()
