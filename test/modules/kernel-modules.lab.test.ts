/** kernelModules on a lab host: several modules as one task, each loaded and persisted by kernelModule. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { kernelModules } from '../../lib/modules/kernel-modules.ts'
import { proveIdempotent } from '../helpers/module.ts'
import { labHost } from '../lab/connect.ts'

let conn: Connection
const files = ['/etc/modules-load.d/br_netfilter.conf', '/etc/modules-load.d/overlay.conf']

test.before(async () => {
  conn = (await labHost(0)).conn
  await conn.exec(sh`rm -f ${files}`)
})
test.after(async () => {
  await conn.exec(sh`rm -f ${files}`)
  await conn.close()
})

test('br_netfilter and overlay in one task: both files written, a rerun and a check change nothing', async () => {
  const { first } = await proveIdempotent(conn, kernelModules, { names: ['br_netfilter', 'overlay'] }, { paths: files })
  assert.match(first.plan.changed ? first.plan.summary : '', 'br_netfilter')
  assert.match(first.plan.changed ? first.plan.summary : '', 'overlay')
  for (const f of files) assert.is((await conn.exec(sh`cat ${f}`)).stdout.trim(), f.replace(/^.*\/|\.conf$/g, ''))
})

test.run()
