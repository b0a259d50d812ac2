/**
 * The prometheus role through the real engine over SSH on lab3, against the TEST STAND-IN kubectl
 * (no API server: it records calls and keeps applied manifests). Proves what is applied, in which
 * order, idempotence, and that the Grafana password never reaches the run's output.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connectorFor } from '../../lib/cli/main.ts'
import type { Connection } from '../../lib/connection/types.ts'
import type { RunResult } from '../../lib/engine/results.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import { playbook } from '../../lib/engine/task.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import { assertLabAddress } from '../../lib/lab/index.ts'
import { generatedSecret } from '../../lib/secrets.ts'
import { prometheusPlay } from '../../playbooks/install-prometheus.ts'
import { IMAGES, prometheus, type PrometheusParams } from '../../roles/prometheus/index.ts'
import { addonInventory, appliedObjects, cleanStandin, prepareStandin } from '../k8s/lab.ts'
import { labConnect } from '../lab/connect.ts'
import { testLab } from '../lab/harness.ts'
import { readStandinLog } from '../standin/install.ts'

let inv: Inventory
let conn: Connection
let stateDir: string
const savedStateDir = process.env.KUBEPLAY_STATE_DIR

// The inventory's kubernetes.packageSource is the default 'artifacts', whose bundle has no Grafana:
// an image of the user's is named, as a user of the bundle would, so that Grafana's part runs.
const GRAFANA = { images: { grafana: IMAGES.grafana, kubeStateMetrics: IMAGES.kubeStateMetrics } }

async function run(params?: Partial<PrometheusParams>, o: { checkMode?: boolean; tags?: string[] } = {}): Promise<RunResult> {
  const p = { ...prometheusPlay, items: [prometheus({ ...GRAFANA, ...params })] }
  return runPlaybook(playbook('install-prometheus', [p]), { inventory: inv, connector: connectorFor(inv, { hostKeyPolicy: 'strict' }), ...o })
}
const statuses = (r: RunResult, status: string): string[] => r.results.filter((x) => x.status === status).map((x) => `${x.task}: ${x.reason}`)

test.before(async () => {
  const lab = await testLab({ hosts: 3 })
  for (const h of lab.hosts) assertLabAddress(h.address)
  inv = await addonInventory(lab, 'prometheus lab test')
  conn = await labConnect(lab, 2)
  await prepareStandin(conn, { cluster: true })
  stateDir = mkdtempSync(join(tmpdir(), 'kp-prometheus-'))
  process.env.KUBEPLAY_STATE_DIR = stateDir // where the default Grafana password is generated
})

test.after(async () => {
  if (conn) { await cleanStandin(conn); await conn.close() }
  if (stateDir) rmSync(stateDir, { recursive: true, force: true })
  if (savedStateDir === undefined) delete process.env.KUBEPLAY_STATE_DIR
  else process.env.KUBEPLAY_STATE_DIR = savedStateDir
})

test('first run (the playbook\'s own play, masters[0]): namespace, Secret, stack; the generated password never shows', async () => {
  const r = await run()
  assert.equal(statuses(r, 'failed'), [])
  assert.equal(statuses(r, 'changed').map((x) => x.split(':')[0]), [
    'Create the monitoring namespace', 'Store the Grafana admin credentials in a Secret', 'Apply the monitoring stack'])
  assert.ok(r.results.every((x) => x.host === 'lab3'))
  const pw = generatedSecret('grafana_admin_password', stateDir).reveal()
  assert.ok(pw.length >= 20 && pw !== 'admin')
  const b64 = Buffer.from(pw).toString('base64')
  const dump = JSON.stringify(r)
  assert.not.ok(dump.includes(pw) || dump.includes(b64), 'the Grafana password leaked into the run result')
  const objs = await appliedObjects(conn)
  assert.is((objs.get('Secret/monitoring/grafana-admin')!.data as Record<string, string>)['admin-password'], b64)
  assert.is(((objs.get('Service/monitoring/prometheus-server')!.spec as { ports: Array<{ nodePort: number }> }).ports[0]!.nodePort), 30900)
  assert.is(((objs.get('Service/monitoring/grafana')!.spec as { ports: Array<{ nodePort: number }> }).ports[0]!.nodePort), 30300)
  for (const k of ['Deployment/monitoring/alertmanager', 'DaemonSet/monitoring/node-exporter', 'Deployment/monitoring/kube-state-metrics']) assert.ok(objs.has(k), k)
  const log = (await readStandinLog(conn)).filter((c) => c.tool === 'kubectl').map((c) => c.argv.join(' '))
  assert.ok(log.some((l) => l.includes('rollout status --watch=false deployment/grafana')), log.join('\n'))
})

test('second run changes nothing; check mode after convergence plans no apply', async () => {
  const r = await run()
  assert.equal(statuses(r, 'failed'), [])
  assert.equal(statuses(r, 'changed'), [])
  const c = await run(undefined, { checkMode: true })
  assert.equal(statuses(c, 'changed').filter((x) => !x.startsWith('Wait for')), [])
})

test('--tags prometheus-lb with loadBalancers on the converged host applies only the LoadBalancer Services', async () => {
  const r = await run({ loadBalancers: ['prometheus', 'grafana'] }, { tags: ['prometheus-lb'] })
  assert.equal(statuses(r, 'failed'), [])
  assert.equal(statuses(r, 'changed').map((x) => x.split(':')[0]), ['Apply the monitoring LoadBalancer Services'])
  const objs = await appliedObjects(conn)
  assert.is((objs.get('Service/monitoring/grafana-lb')!.spec as { type: string }).type, 'LoadBalancer')
  assert.ok(objs.has('Service/monitoring/prometheus-server-lb'))
  const again = await run({ loadBalancers: ['prometheus', 'grafana'] }, { tags: ['prometheus'] })
  assert.equal(statuses(again, 'changed'), [])
})

test.run()
