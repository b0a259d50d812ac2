/**
 * The ingress-nginx role over SSH on lab3 against the TEST STAND-IN kubectl. No copy of the upstream
 * baremetal manifest exists here, so a small fixture stands in for it, served from lab3 (file://)
 * with its own sha256 (`manifestSha256`): proves the fetch/apply/patch/LB flow, not ingress-nginx.
 */
import { createHash } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connectorFor } from '../../lib/cli/main.ts'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import type { RunResult } from '../../lib/engine/results.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import { play, playbook } from '../../lib/engine/task.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import { assertLabAddress } from '../../lib/lab/index.ts'
import { ingressNginx, type IngressNginxParams } from '../../roles/ingress-nginx/index.ts'
import { addonInventory, appliedObjects, cleanStandin, prepareStandin } from '../k8s/lab.ts'
import { labConnect } from '../lab/connect.ts'
import { testLab } from '../lab/harness.ts'
import { readStandinLog } from '../standin/install.ts'

const FIXTURE = '/srv/kubeplay-fixtures/ingress-nginx-baremetal.yaml'
const MANIFEST = `apiVersion: v1
kind: Namespace
metadata:
  name: ingress-nginx
---
apiVersion: v1
kind: Service
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
spec:
  type: NodePort
  ports:
    - { name: http, port: 80, protocol: TCP, targetPort: http }
    - { name: https, port: 443, protocol: TCP, targetPort: https }
`
const SHA = createHash('sha256').update(MANIFEST).digest('hex')
let inv: Inventory
let conn: Connection

function run(params: Partial<IngressNginxParams> = {}, o: { tags?: string[] } = {}): Promise<RunResult> {
  const pb = playbook('ingress', [play('Ingress', { hosts: 'masters[0]', items: [ingressNginx({ manifestUrl: `file://${FIXTURE}`, manifestSha256: SHA, ...params })] })])
  return runPlaybook(pb, { inventory: inv, connector: connectorFor(inv, { hostKeyPolicy: 'strict' }), ...o })
}
const statuses = (r: RunResult, status: string): string[] => r.results.filter((x) => x.status === status).map((x) => `${x.task}: ${x.reason}`)

test.before(async () => {
  const lab = await testLab({ hosts: 3 })
  for (const h of lab.hosts) assertLabAddress(h.address)
  inv = await addonInventory(lab, 'ingress lab test')
  conn = await labConnect(lab, 2)
  await prepareStandin(conn, { cluster: true })
  await conn.exec(sh`mkdir -p /srv/kubeplay-fixtures`)
  await conn.writeFile(FIXTURE, MANIFEST)
})

test.after(async () => {
  if (conn) { await cleanStandin(conn, ['/srv/kubeplay-fixtures']); await conn.close() }
})

test('without a digest the first task fails before any kubectl call, saying how to get one', async () => {
  const pb = playbook('ingress', [play('Ingress', { hosts: 'masters[0]', items: [ingressNginx({ manifestUrl: `file://${FIXTURE}` })] })])
  const r = await runPlaybook(pb, { inventory: inv, connector: connectorFor(inv, { hostKeyPolicy: 'strict' }) })
  assert.equal(r.results.filter((x) => x.status === 'failed').map((x) => x.task), ['Check the ingress-nginx settings'])
  assert.match(r.results[0]!.reason, `expected the sha256 of file://${FIXTURE}`)
  assert.equal((await readStandinLog(conn)).filter((c) => c.tool === 'kubectl'), [])
})

test('first run: manifest fetched and applied, NodePorts pinned under their own field manager; second run 0 changed', async () => {
  const r = await run()
  assert.equal(statuses(r, 'failed'), [])
  assert.equal(statuses(r, 'changed').map((x) => x.split(':')[0]), [
    'Fetch ingress-nginx-baremetal controller-v1.12.1', 'Apply ingress-nginx-baremetal controller-v1.12.1', 'Pin the ingress controller NodePorts'])
  const log = (await readStandinLog(conn)).filter((c) => c.tool === 'kubectl').map((c) => c.argv.join(' '))
  assert.ok(log.includes('--kubeconfig=/etc/kubernetes/admin.conf apply --server-side --field-manager=kubeplay-ingress-nodeports --force-conflicts -f -'), log.join('\n'))
  const objs = await appliedObjects(conn)
  const ports = (objs.get('Service/ingress-nginx/ingress-nginx-controller')!.spec as { ports: Array<{ name: string; nodePort: number }> }).ports
  assert.equal(ports.map((p) => `${p.name}:${p.nodePort}`), ['http:32624', 'https:31316'])
  const again = await run()
  assert.equal(statuses(again, 'changed'), [])
})

test('--tags ingress-lb with loadBalancer on the converged host: only the LoadBalancer Service', async () => {
  const r = await run({ loadBalancer: true }, { tags: ['ingress-lb'] })
  assert.equal(statuses(r, 'failed'), [])
  assert.equal(statuses(r, 'changed').map((x) => x.split(':')[0]), ['Apply the ingress LoadBalancer Service'])
  assert.is(((await appliedObjects(conn)).get('Service/ingress-nginx/ingress-nginx-controller-lb')!.spec as { type: string }).type, 'LoadBalancer')
})

test.run()
