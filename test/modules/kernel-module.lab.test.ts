/** kernelModule on a lab host (modules are built into the lab kernel; modprobe works through a modules.builtin shim). */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { ModuleError } from '../../lib/errors.ts'
import { kernelModule } from '../../lib/modules/kernel-module.ts'
import { proveIdempotent } from '../helpers/module.ts'
import { labHost } from '../lab/connect.ts'
import { expectError } from './env.ts'

let conn: Connection
const out = async (cmd: ReturnType<typeof sh>) => (await conn.exec(cmd)).stdout.trim()

test.before(async () => {
  conn = (await labHost(0)).conn
  await conn.exec(sh`rm -f /etc/modules-load.d/br_netfilter.conf /etc/modules-load.d/overlay.conf`)
})
test.after(async () => {
  await conn.exec(sh`rm -f /etc/modules-load.d/br_netfilter.conf /etc/modules-load.d/overlay.conf`)
  await conn.close()
})

for (const name of ['br_netfilter', 'overlay']) {
  test(`${name}: loaded and persisted in /etc/modules-load.d`, async () => {
    await proveIdempotent(conn, kernelModule, { name }, { paths: [`/etc/modules-load.d/${name}.conf`] })
    assert.is(await out(sh`cat ${`/etc/modules-load.d/${name}.conf`}`), name)
    assert.is((await conn.exec(sh`modprobe -n -- ${name}`)).code, 0)
  })
}

test('absent removes the boot file (a built-in stays loaded)', async () => {
  await proveIdempotent(conn, kernelModule, { name: 'overlay', state: 'absent' }, { paths: ['/etc/modules-load.d/overlay.conf'] })
  assert.is(await out(sh`ls /etc/modules-load.d/`).then((s) => s.includes('overlay.conf')), false)
})

test('a module the kernel does not have fails naming it', async () => {
  await expectError(runModule(conn, kernelModule, { name: 'kp_nosuch_mod', persist: false }), ModuleError, /kp_nosuch_mod: modprobe failed \(exit 1\): .*kp_nosuch_mod/)
})

test.run()
