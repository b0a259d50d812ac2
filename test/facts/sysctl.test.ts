import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { normalizeSysctlValue } from '../../lib/facts/sysctl.ts'

test('normalizeSysctlValue: tabs and runs of spaces compare equal to single spaces', () => {
  assert.is(normalizeSysctlValue('32768\t60999\n'), '32768 60999')
  assert.is(normalizeSysctlValue(1), '1')
  assert.is(normalizeSysctlValue('  1  '), '1')
})

test.run()
