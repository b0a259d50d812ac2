import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LocalConnection } from '../../lib/connection/local.ts'
import { hostContext } from '../../lib/engine/adhoc.ts'
import { CAP, capabilityBoundingSet, hasCapability, parseCapBnd } from '../../lib/facts/capabilities.ts'

test('parseCapBnd / hasCapability: the bounding set as a mask, one bit per capability', () => {
  const full = parseCapBnd('Name:\tsh\nCapBnd:\t000001ffffffffff\nCapAmb:\t0\n')!
  const noSysResource = parseCapBnd('CapBnd:\t000001fffeffffff\n')!
  assert.ok(hasCapability(full, CAP.SYS_RESOURCE))
  assert.not.ok(hasCapability(noSysResource, CAP.SYS_RESOURCE))
  assert.ok(hasCapability(noSysResource, 21), 'CAP_SYS_ADMIN still there')
  assert.is(parseCapBnd('no such line'), null)
})

test('capabilityBoundingSet: read on a host (this machine)', async () => {
  const mask = await hostContext(new LocalConnection(), { readOnly: true }).fact(capabilityBoundingSet, undefined)
  assert.is(typeof mask, 'bigint')
  assert.ok(hasCapability(mask, 0), 'CAP_CHOWN')
})

test.run()
