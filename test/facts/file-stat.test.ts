import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LocalConnection } from '../../lib/connection/local.ts'
import { sh } from '../../lib/connection/quote.ts'
import { hostContext } from '../../lib/engine/adhoc.ts'
import { CommandError } from '../../lib/errors.ts'
import { fileContent } from '../../lib/facts/file-content.ts'
import { fileReadahead, fileStat, fileTreeStat, normalizeMode } from '../../lib/facts/file-stat.ts'
import type { FactRead } from '../../lib/engine/module.ts'
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

/** Each read's value from the read-ahead command, beside the fact's own (undefined: left to the fact). */
async function ahead(reads: FactRead[]): Promise<{ ahead: unknown[]; own: unknown[] }> {
  const r = await conn.exec(fileReadahead.command(reads))
  const own = await Promise.all(reads.map(async ({ fact, arg }) => fact.parse(await conn.exec(fact.command(arg)), arg)))
  return { ahead: [...fileReadahead.parse(r, reads)], own }
}

test('fileReadahead: every path in one command, each value exactly what its fact gives', async () => {
  const odd = `${dir}/ra odd\n'$(x)'`
  await conn.exec(sh`mkdir -p ${dir}/ra && printf 'a\nb' > ${dir}/ra/t && : > ${dir}/ra/empty && chmod 0604 ${dir}/ra/empty`)
  await conn.writeFile(`${dir}/ra/bin`, Buffer.from([0, 10, 255, 0x5f, 0x5f, 13]), { mode: '0600' })
  await conn.writeFile(odd, 'x\n')
  await conn.exec(sh`ln -sfn ${dir}/ra/t ${dir}/ra/link && mkfifo ${dir}/ra/fifo && chown nobody ${dir}/ra/t`)
  const paths = ['t', 'empty', 'bin', 'link', 'fifo', 'missing', 'missing/below', '.'].map((n) => `${dir}/ra/${n}`).concat(odd)
  const reads: FactRead[] = paths.flatMap((p) => [{ fact: fileStat, arg: p }, { fact: fileContent, arg: p }])
  const { ahead: got, own } = await ahead(reads)
  reads.forEach((r, i) => {
    const what = `${r.fact.name} ${r.arg}`
    if (r.fact === fileStat && r.arg.endsWith('/link')) return assert.is(got[i], undefined, `${what}: a link's target is left to fileStat`)
    assert.equal(got[i], own[i], what)
  })
  assert.ok((got[reads.findIndex((r) => r.fact === fileContent && r.arg.endsWith('/bin'))] as { content: Buffer }).content.equals(Buffer.from([0, 10, 255, 0x5f, 0x5f, 13])))
})

test('fileReadahead: a part that does not add up is left to the facts', async () => {
  const reads: FactRead[] = [{ fact: fileStat, arg: `${dir}/ra/t` }, { fact: fileContent, arg: `${dir}/ra/t` }, { fact: fileContent, arg: '/proc/self/mem' }]
  const r = await conn.exec(fileReadahead.command(reads))
  // cat of /proc/self/mem fails: every content is unknown, the stats are known.
  const [st, c1, c2] = fileReadahead.parse(r, reads)
  assert.is((st as { type: string }).type, 'file')
  assert.equal([c1, c2], [undefined, undefined])
  // Bytes missing from the content part (a file shrank between stat and cat): unknown, never cut wrong.
  const ok = await conn.exec(fileReadahead.command(reads.slice(0, 2)))
  const short = Buffer.from(ok.stdoutBytes.toString('latin1').replace('a\nb\n__kubeplay_ahead__ 0\n', 'a\n__kubeplay_ahead__ 0\n'), 'latin1')
  assert.not.equal(short.length, ok.stdoutBytes.length, 'the test edited the output')
  assert.equal(fileReadahead.parse({ ...ok, stdout: short.toString('utf8'), stdoutBytes: short }, reads.slice(0, 2))[1], undefined)
  // A stat part with a record missing: nothing known at all.
  const cut = Buffer.from(ok.stdoutBytes.toString('latin1').replace(/^1\n(?:[^\n]*\n){7}/, '1\n'), 'latin1')
  assert.equal(fileReadahead.parse({ ...ok, stdout: cut.toString('utf8'), stdoutBytes: cut }, reads.slice(0, 2)), [undefined, undefined])
})

test.run()
