import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseOsRelease } from '../../lib/facts/os-release.ts'

const cases: [string, string, { id: string; versionId: string; codename: string }][] = [
  ['debian 12', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n',
    { id: 'debian', versionId: '12', codename: 'bookworm' }],
  ['ubuntu 22.04', 'NAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=jammy\nVERSION_CODENAME=jammy\n',
    { id: 'ubuntu', versionId: '22.04', codename: 'jammy' }],
  ['codename only as UBUNTU_CODENAME', 'ID=ubuntu\nVERSION_ID="24.04"\nUBUNTU_CODENAME=noble\n', { id: 'ubuntu', versionId: '24.04', codename: 'noble' }],
]
for (const [label, text, want] of cases) {
  test(`parseOsRelease: ${label}`, () => {
    const r = parseOsRelease(text)
    assert.equal({ id: r.id, versionId: r.versionId, codename: r.codename }, want)
  })
}

test('parseOsRelease: ID_LIKE is a list, escapes in quoted values are undone', () => {
  const r = parseOsRelease('ID_LIKE="ubuntu debian"\nPRETTY_NAME="say \\"hi\\""\n')
  assert.equal(r.idLike, ['ubuntu', 'debian'])
  assert.is(r.prettyName, 'say "hi"')
})

test.run()
