import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseCacheAge, parseCandidates, parseDpkgStatus } from '../../lib/facts/dpkg.ts'

test('parseDpkgStatus: installed and trigger-pending count; config-files and half-installed do not', () => {
  const out = ['jq\t1.6-2.1\tii ', 'sl\t5.02-1\trc ', 'tree\t2.1.0-1\thi ', 'curl\t7.88\tiU ', 'x\t1\tiW ', ''].join('\n')
  assert.equal([...parseDpkgStatus(out)], [['jq', '1.6-2.1'], ['tree', '2.1.0-1'], ['x', '1']])
})

test('parseCandidates: (none) means no candidate', () => {
  const out = `jq:
  Installed: (none)
  Candidate: 1.6-2.1+deb12u1
  Version table:
     1.6-2.1+deb12u1 500
nosuch:
  Installed: (none)
  Candidate: (none)
`
  assert.equal([...parseCandidates(out)], [['jq', '1.6-2.1+deb12u1']])
})

test('parseCacheAge: newest stamp wins; no lists means never refreshed', () => {
  assert.is(parseCacheAge('1000\nstamp 900\nstamp 950\nlists 3\n'), 50)
  assert.is(parseCacheAge('1000\nstamp 900\nlists 0\n'), null)
  assert.is(parseCacheAge('1000\nlists 2\n'), null)
})

test.run()
