/** sysctlNow on a lab host: runtime values written and read back; a key the container cannot write is a warning, not a change. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { ModuleError } from '../../lib/errors.ts'
import { kernelModule } from '../../lib/modules/kernel-module.ts'
import { sysctlNow } from '../../lib/modules/sysctl-now.ts'
import { proveIdempotent } from '../helpers/module.ts'
import { labHost } from '../lab/connect.ts'
import { expectError } from './env.ts'

let conn: Connection
let forward = ''
const out = async (cmd: ReturnType<typeof sh>) => (await conn.exec(cmd)).stdout.trim()

test.before(async () => {
  conn = (await labHost(0)).conn
  forward = await out(sh`sysctl -n net.ipv4.ip_forward`)
})
test.after(async () => {
  await conn.exec(sh`sysctl -q -w ${`net.ipv4.ip_forward=${forward}`}`)
  await conn.close()
})

test('writes two values at once, read back; check mode and a rerun change nothing', async () => {
  const want = forward === '1' ? 0 : 1
  await proveIdempotent(conn, sysctlNow, { values: { 'net.ipv4.ip_forward': want, 'net.ipv4.tcp_syncookies': 1 }, file: '/etc/sysctl.d/x.conf' })
  assert.is(await out(sh`cat /proc/sys/net/ipv4/ip_forward`), String(want))
})

test('a key the kernel lacks fails in a real run, naming the module to load', async () => {
  await expectError(runModule(conn, sysctlNow, { values: { 'net.bridge.kp-nosuch-key': 1 }, file: '/etc/sysctl.d/x.conf' }), ModuleError, /net\.bridge\.kp-nosuch-key: expected the running kernel to have these keys.*br_netfilter/)
})

test('a read-only key (nf_conntrack_max in a container) is left to the persisted file, with a warning', async () => {
  await runModule(conn, kernelModule, { name: 'nf_conntrack', persist: false })
  const writable = (await conn.exec(sh`test -w /proc/sys/net/netfilter/nf_conntrack_max`)).code === 0
  if (writable) return // this kernel lets the container write it: the first test's path covers it
  const now = Number(await out(sh`sysctl -n net.netfilter.nf_conntrack_max`))
  const r = await runModule(conn, sysctlNow, { values: { 'net.netfilter.nf_conntrack_max': now + 4096 }, file: '/etc/sysctl.d/x.conf' })
  assert.is(r.plan.changed, false)
  assert.match(r.plan.changed ? '' : r.plan.reason, '1 read-only here')
})

test.run()
