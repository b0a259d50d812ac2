/**
 * The metallb role through the real engine over SSH on lab3, against the TEST STAND-IN kubectl
 * (test/standin: it records its calls and keeps every applied manifest by digest; no API server).
 * The pinned manifest is served from lab3 itself (file://, the reference copy): nothing is fetched
 * from the internet. Proves orchestration, idempotence and what would be applied, not MetalLB.
 */
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import { ConfigErrors } from '../../lib/errors.ts'
import * as assert from 'uvu/assert'
import { connectorFor } from '../../lib/cli/main.ts'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import type { RunResult } from '../../lib/engine/results.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import { play, playbook } from '../../lib/engine/task.ts'
import { METALLB_NATIVE, manifestPath } from '../../lib/k8s/manifests.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import { assertLabAddress, type LabInfo } from '../../lib/lab/index.ts'
import { metallb, type MetallbParams } from '../../roles/metallb/index.ts'
import { labConnect } from '../lab/connect.ts'
import { testLab } from '../lab/harness.ts'
import { readStandinLog } from '../standin/install.ts'
import { addonInventory, appliedObjects, cleanStandin, fakeCluster, prepareStandin } from '../k8s/lab.ts'
import { haveReference, withReference } from '../helpers/reference.ts'

/** The pinned manifest is the reference copy in ../shared: without it every test is skipped, with the reason. */
const T = (name: string, fn: () => Promise<void> | void): void => withReference(test, name, fn)

const FIXTURE = '/srv/kubeplay-fixtures/metallb-native-v0.14.8.yaml'
let net = '' // the lab's /24 prefix: `10.250.N`
let POOL = { name: 'default-pool', addresses: [''] }
let lab: LabInfo
let inv: Inventory
let conn: Connection

async function run(params: Partial<MetallbParams>, o: { checkMode?: boolean; tags?: string[] } = {}): Promise<RunResult> {
  const pb = playbook('install-metallb', [play('MetalLB', { hosts: 'masters[0]', items: [metallb({ manifestUrl: `file://${FIXTURE}`, ...params })] })])
  return runPlaybook(pb, { inventory: inv, connector: connectorFor(inv, { hostKeyPolicy: 'strict' }), checkMode: o.checkMode, tags: o.tags })
}

const statuses = (r: RunResult, status: string): string[] => r.results.filter((x) => x.status === status).map((x) => `${x.task}: ${x.reason}`)

test.before(async () => {
  if (!haveReference) return
  lab = await testLab({ hosts: 3 })
  for (const h of lab.hosts) assertLabAddress(h.address)
  inv = await addonInventory(lab, 'metallb lab test')
  net = inv.hosts.get('lab3')!.connection.address.split('.').slice(0, 3).join('.')
  POOL = { name: 'default-pool', addresses: [`${net}.200-${net}.210`] }
  conn = await labConnect(lab, 2)
  await prepareStandin(conn, { cluster: false })
  await conn.exec(sh`mkdir -p /srv/kubeplay-fixtures`)
  await conn.writeFile(FIXTURE, readFileSync(new URL('../../../shared/reference/metallb-v0.14.8/metallb-native.yaml', import.meta.url)))
})

test.after(async () => {
  if (!conn) return
  await cleanStandin(conn, ['/srv/kubeplay-fixtures'])
  await conn.close()
})

T('check mode before the cluster exists: every task plans, none fails, nothing is called or written', async () => {
  const r = await run({ pools: [POOL] }, { checkMode: true })
  assert.equal(statuses(r, 'failed'), [])
  const reasons = r.results.map((x) => `${x.task}: ${x.status}: ${x.reason}`)
  assert.ok(reasons.some((x) => x.includes('Apply the MetalLB address pools and L2 advertisements: changed: cluster not initialised yet (no /etc/kubernetes/admin.conf)')), reasons.join('\n'))
  assert.equal((await readStandinLog(conn)).filter((c) => c.tool === 'kubectl'), [])
  assert.is((await conn.exec(sh`[ -e ${manifestPath(METALLB_NATIVE)} ]`)).code, 1)
  await fakeCluster(conn)
})

T('first run: fetches the pinned manifest (sha256-checked), applies it, waits, applies the pool', async () => {
  const r = await run({ pools: [POOL] })
  assert.equal(statuses(r, 'failed'), [])
  assert.equal(statuses(r, 'changed').map((x) => x.split(':')[0]), ['Fetch metallb-native v0.14.8', 'Apply metallb-native v0.14.8', 'Apply the MetalLB address pools and L2 advertisements'])
  assert.is((await conn.exec(sh`sha256sum < ${manifestPath(METALLB_NATIVE)} | cut -d' ' -f1`)).stdout.trim(), METALLB_NATIVE.sha256)
  const objs = await appliedObjects(conn)
  assert.ok(objs.has('Deployment/metallb-system/controller') && objs.has('DaemonSet/metallb-system/speaker'), [...objs.keys()].join(' '))
  assert.equal((objs.get('IPAddressPool/metallb-system/default-pool')!.spec as { addresses: string[] }).addresses, [`${net}.200-${net}.210`])
  assert.equal((objs.get('L2Advertisement/metallb-system/default-l2-adv')!.spec as { ipAddressPools: string[] }).ipAddressPools, ['default-pool'])
  const calls = (await readStandinLog(conn)).filter((c) => c.tool === 'kubectl').map((c) => c.argv.join(' '))
  assert.ok(calls.includes('--kubeconfig=/etc/kubernetes/admin.conf apply --server-side --field-manager=kubeplay --force-conflicts -f /etc/kubeplay/manifests/metallb-native-v0.14.8.yaml'), calls.join('\n'))
  // The stand-in reports every condition met at once, so the one look of check (--timeout=0s) is
  // all that runs; against a real cluster that has just applied the manifest, apply waits 300 s.
  assert.ok(calls.includes('--kubeconfig=/etc/kubernetes/admin.conf -n metallb-system wait --for=condition=Available --timeout=0s deployment/controller'), calls.join('\n'))
  const iApply = calls.findIndex((c) => c.includes('apply') && c.includes('-f -'))
  const iWait = calls.findIndex((c) => c.includes('wait --for=condition=Available'))
  assert.ok(iWait >= 0 && iApply > iWait, 'the pools are applied after the controller is available')
})

T('second run changes nothing; check mode after convergence plans nothing', async () => {
  const r = await run({ pools: [POOL] })
  assert.equal(statuses(r, 'failed'), [])
  assert.equal(statuses(r, 'changed'), [])
  const c = await run({ pools: [POOL] }, { checkMode: true })
  assert.equal(statuses(c, 'changed'), [])
})

T('--tags metallb-pools alone on the converged host: reads the cluster, 0 changed; a new pool is applied alone', async () => {
  const r = await run({ pools: [POOL] }, { tags: ['metallb-pools'] })
  assert.equal(statuses(r, 'failed'), [])
  assert.equal(r.results.filter((x) => x.status !== 'skipped').map((x) => x.task), [
    'Check the MetalLB address pools against the cluster network', 'Wait for the MetalLB controller to be available', 'Apply the MetalLB address pools and L2 advertisements'])
  assert.equal(statuses(r, 'changed'), [])
  const more = await run({ pools: [POOL, { name: 'reserved', addresses: [`${net}.224/28`], autoAssign: false }] }, { tags: ['metallb-pools'] })
  assert.equal(statuses(more, 'changed').map((x) => x.split(':')[0]), ['Apply the MetalLB address pools and L2 advertisements'])
  const objs = await appliedObjects(conn)
  assert.equal(objs.get('IPAddressPool/metallb-system/reserved')!.spec, { addresses: [`${net}.224/28`], autoAssign: false })
  assert.equal((objs.get('L2Advertisement/metallb-system/default-l2-adv')!.spec as { ipAddressPools: string[] }).ipAddressPools, ['default-pool', 'reserved'])
  const all = await run({ pools: [POOL, { name: 'reserved', addresses: [`${net}.224/28`], autoAssign: false }] }, { tags: ['metallb'] })
  assert.equal(statuses(all, 'changed'), [])
})

T('a pool holding a node address is refused before connecting: nothing is applied', async () => {
  const before = (await readStandinLog(conn)).length
  const lab1 = inv.hosts.get('lab1')!.connection.address
  try {
    await run({ pools: [{ name: 'bad', addresses: [`${lab1}/32`] }] })
    assert.unreachable('the run must be refused')
  } catch (e) {
    assert.instance(e, ConfigErrors)
    assert.match((e as Error).message, `metallb lab test: metallb.pools[0].addresses[0]: expected a range free of node addresses, found "${lab1}/32", which holds lab1 ${lab1}`)
  }
  assert.is((await readStandinLog(conn)).length, before, 'no kubectl call')
})

test.run()
