import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LocalConnection } from '../../lib/connection/local.ts'
import { sh } from '../../lib/connection/quote.ts'
import { batchCommand, fileSection, parseBatch, readFileCommand } from '../../lib/facts/batch.ts'
import { HOSTILE } from '../connection/hostile.ts'

const local = new LocalConnection()

test('each command comes back as its own section with its exit code, stdout kept byte for byte', async () => {
  const r = await local.exec(batchCommand([sh`printf 'a\nb'`, sh`echo x; exit 3`, sh`printf ''`, sh`echo err >&2; printf 'tail\n\n'`]))
  assert.equal(parseBatch(r.stdout, 4), [
    { code: 0, out: 'a\nb' }, { code: 3, out: 'x\n' }, { code: 0, out: '' }, { code: 0, out: 'tail\n\n' },
  ])
})

test('a command ending in a comment or reading stdin does not break the batch', async () => {
  const r = await local.exec(batchCommand([sh`echo one # trailing comment`, sh`cat`]), { stdin: 'not for cat' })
  assert.equal(parseBatch(r.stdout, 2), [{ code: 0, out: 'one\n' }, { code: 0, out: '' }])
})

for (const [label, value] of HOSTILE) {
  test(`hostile output round-trips: ${label}`, async () => {
    const r = await local.exec(batchCommand([sh`printf '%s' ${value}`, sh`true`]))
    assert.equal(parseBatch(r.stdout, 2)[0], { code: 0, out: value })
  })
}

test('a section count mismatch is an error, not silently wrong data', () => {
  assert.throws(() => parseBatch('garbage', 1), /expected 1 sections, found 0/)
})

test('fileSection: absent file is null, present file its text', async () => {
  const r = await local.exec(batchCommand([readFileCommand('/nonexistent/kp'), readFileCommand('/etc/hostname')]))
  const [a, b] = parseBatch(r.stdout, 2)
  assert.is(fileSection(a!, '/nonexistent/kp'), null)
  assert.type(fileSection(b!, '/etc/hostname'), 'string')
})

test.run()
