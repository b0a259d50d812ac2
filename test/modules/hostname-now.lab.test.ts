/** hostnameNow on a lab host: the running hostname set without hostnamed, idempotent; a bad name fails before touching it. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { ModuleError } from '../../lib/errors.ts'
import { hostnameNow } from '../../lib/modules/hostname-now.ts'
import { proveIdempotent } from '../helpers/module.ts'
import { labHost } from '../lab/connect.ts'
import { expectError } from './env.ts'

let conn: Connection
let original = ''
const current = async (): Promise<string> => (await conn.exec(sh`hostname`)).stdout.trim()

test.before(async () => {
  conn = (await labHost(0)).conn
  original = await current()
})
test.after(async () => {
  await conn.exec(sh`hostname -- ${original}`)
  await conn.close()
})

test('sets the running hostname; check mode leaves it; a rerun changes nothing', async () => {
  await proveIdempotent(conn, hostnameNow, { name: 'kp-hostname-test' })
  assert.is(await current(), 'kp-hostname-test')
})

test('a name that is not an RFC 1123 host name fails and leaves the hostname', async () => {
  const before = await current()
  await expectError(runModule(conn, hostnameNow, { name: 'bad_name!' }), ModuleError, /expected an RFC 1123 host name, found 'bad_name!'/)
  assert.is(await current(), before)
})

test.run()
