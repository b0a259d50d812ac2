/** sysctl on a lab host: persisted lines compose in one file, runtime values read back with sysctl -n. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { ModuleError } from '../../lib/errors.ts'
import { kernelModule } from '../../lib/modules/kernel-module.ts'
import { sysctl } from '../../lib/modules/sysctl.ts'
import { proveIdempotent } from '../helpers/module.ts'
import { labHost } from '../lab/connect.ts'
import { expectError } from './env.ts'

const FILE = '/etc/sysctl.d/98-kp-test.conf'
let conn: Connection
let saved = ''
const out = async (cmd: ReturnType<typeof sh>) => (await conn.exec(cmd)).stdout.trim()

test.before(async () => {
  conn = (await labHost(0)).conn
  saved = await out(sh`sysctl -n net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables | tr '\n' ' '`)
  await conn.exec(sh`sysctl -q -w net.ipv4.ip_forward=0 net.bridge.bridge-nf-call-iptables=0`)
})
test.after(async () => {
  const [fwd, br] = saved.split(' ')
  await conn.exec(sh`rm -f ${FILE}; sysctl -q -w ${`net.ipv4.ip_forward=${fwd}`} ${`net.bridge.bridge-nf-call-iptables=${br}`}`)
  await conn.close()
})

test('net.ipv4.ip_forward: file line and runtime value', async () => {
  await proveIdempotent(conn, sysctl, { name: 'net.ipv4.ip_forward', value: 1, file: FILE }, { paths: [FILE] })
  assert.is(await out(sh`sysctl -n net.ipv4.ip_forward`), '1')
  assert.is(await out(sh`cat ${FILE}`), 'net.ipv4.ip_forward = 1')
})

test('br_netfilter loaded, then net.bridge.bridge-nf-call-iptables set in the same file: lines compose', async () => {
  await runModule(conn, kernelModule, { name: 'br_netfilter', persist: false })
  await proveIdempotent(conn, sysctl, { name: 'net.bridge.bridge-nf-call-iptables', value: '1', file: FILE }, { paths: [FILE] })
  assert.is(await out(sh`sysctl -n net.bridge.bridge-nf-call-iptables`), '1')
  assert.is(await out(sh`cat ${FILE}`), 'net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1')
})

test('the runtime value drifting is put back without touching the file', async () => {
  await conn.exec(sh`sysctl -q -w net.ipv4.ip_forward=0`)
  const r = await runModule(conn, sysctl, { name: 'net.ipv4.ip_forward', value: 1, file: FILE })
  assert.ok(r.plan.changed && !r.plan.diff)
  assert.is(await out(sh`sysctl -n net.ipv4.ip_forward`), '1')
})

test('multi-value keys compare word by word', async () => {
  const cur = await out(sh`sysctl -n net.ipv4.ip_local_port_range`)
  const r = await runModule(conn, sysctl, { name: 'net.ipv4.ip_local_port_range', value: cur.replace(/\s+/, '  '), file: FILE }, { checkMode: true })
  assert.ok(r.plan.changed && r.plan.data.write === null, 'only the file line is planned, not the runtime value')
})

test('a key the kernel does not have is a clear error, and nothing is written', async () => {
  await expectError(runModule(conn, sysctl, { name: 'net.kp.nosuch', value: 1, file: FILE }), ModuleError,
    /net\.kp\.nosuch: expected the running kernel to have this key, found none/)
  assert.not.match(await out(sh`cat ${FILE}`), 'nosuch')
})

test('absent removes only its own line', async () => {
  await proveIdempotent(conn, sysctl, { name: 'net.ipv4.ip_forward', value: 1, file: FILE, state: 'absent' }, { paths: [FILE] })
  assert.is(await out(sh`cat ${FILE}`), 'net.bridge.bridge-nf-call-iptables = 1')
})

test('a value the kernel refuses (read-only in the container) is an error, not an endless change', async () => {
  const key = 'net.netfilter.nf_conntrack_max'
  await runModule(conn, kernelModule, { name: 'nf_conntrack', persist: false })
  const before = await out(sh`sysctl -n ${key}`)
  const target = String(Number(before) + 4096)
  const writable = (await conn.exec(sh`test -w /proc/sys/net/netfilter/nf_conntrack_max`)).code === 0
  if (writable) {
    // A kernel that lets the container write it: then the module must simply converge.
    await proveIdempotent(conn, sysctl, { name: key, value: target, file: FILE, state: 'present' }, { paths: [FILE] })
    await conn.exec(sh`sysctl -q -w ${`${key}=${before}`}`)
    return
  }
  try {
    await runModule(conn, sysctl, { name: key, value: target, file: FILE })
    assert.unreachable('a refused write must fail')
  } catch (e) {
    assert.instance(e, ModuleError)
    assert.match((e as Error).message, `${key}: the kernel kept ${before} after sysctl -w ${target}`)
  }
})

test.run()
