/**
 * kubeadm init guarded by the real state, on a real control plane (kubernetes-mode lab, the
 * offline bundle): a fresh host initialises; an init whose last phases are missing is finished; the
 * leftovers of an init that never got a control plane up are reset and initialised again; a cluster
 * whose API is down is never reset. Runs on the real-cluster test's distro only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { changes, failures } from '../helpers/results.ts'
import { buildBundle } from '../../lib/bundle/build.ts'
import { connectorFor } from '../../lib/cli/main.ts'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { runRecorder } from '../../lib/engine/record.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import { play, playbook } from '../../lib/engine/task.ts'
import { loadInventory } from '../../lib/inventory/load.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import { labDown, labUp, type LabInfo } from '../../lib/lab/index.ts'
import { LAB_KUBELET } from '../../lib/lab/state.ts'
import { common, containerd, kubernetesMaster } from '../../roles/index.ts'
import { kubeadmInit } from '../../roles/kubernetes/init.ts'
import { KUBEADM_CONFIG } from '../../roles/kubernetes-master/index.ts'
import { labConnect } from '../lab/connect.ts'
import { clusterDistro } from '../lab/harness.ts'

const { distro: wanted, skip } = clusterDistro()
const name = `ki${process.pid}`.slice(0, 12)
const dir = mkdtempSync(join(tmpdir(), 'kp-init-'))
let lab: LabInfo
let inventory: Inventory
let conn: Connection

const pb = playbook('init', [play('One master', { hosts: 'masters', become: true, items: [common(), containerd(), kubernetesMaster({ cni: 'none' })] })])
const run = (checkMode = false) => runPlaybook(pb, { inventory, connector: connectorFor(inventory, { hostKeyPolicy: 'strict' }), checkMode, reporter: runRecorder(dir) })
const kubectl = async (args: string): Promise<{ code: number; out: string }> => {
  const r = await conn.exec(sh`kubectl --kubeconfig=/etc/kubernetes/admin.conf --request-timeout=10s ${args.split(' ')}`)
  return { code: r.code, out: r.stdout + r.stderr }
}
const init = (checkMode = false) => runModule(conn, kubeadmInit, { config: KUBEADM_CONFIG, apiWaitMs: 20_000 }, { checkMode })

if (skip) {
  test.skip(`kubeadm init state`, () => {})
  console.log(`  skipped: "kubeadm init state": ${skip}`)
} else {
  test.before(async () => {
    await buildBundle({ kubernetes: '1.31.4' })
    lab = await labUp({ name, hosts: 1, distro: wanted, kubernetes: true })
    const spec = JSON.parse((await import('node:fs')).readFileSync(lab.inventoryPath, 'utf8')) as { groups: unknown }
    spec.groups = { masters: { hosts: ['lab1'] }, 'k8s-cluster': { children: ['masters'] } }
    writeFileSync(join(dir, 'inventory.json'), JSON.stringify(spec))
    inventory = await loadInventory(join(dir, 'inventory.json'))
    conn = await labConnect(lab, 0)
  })
  test.after(async () => {
    await conn?.close().catch(() => {})
    await labDown({ name })
    rmSync(dir, { recursive: true, force: true })
  })

  test('a fresh host initialises; the rerun finds the cluster and changes nothing', async () => {
    const first = await run()
    assert.equal(failures(first), [])
    assert.ok(first.results.some((r) => r.task.startsWith('Initialise') && r.status === 'changed'))
    const second = await run()
    assert.equal(failures(second), [])
    assert.equal(changes(second), [])
    // The lab's kubelet settings reached the running kubelet through kubeadm's kubelet-config.
    const node = (await conn.exec(sh`hostname`)).stdout.trim()
    const configz = JSON.parse((await kubectl(`get --raw /api/v1/nodes/${node}/proxy/configz`)).out) as { kubeletconfig: Record<string, unknown> }
    assert.is(configz.kubeletconfig.imageGCHighThresholdPercent, LAB_KUBELET.imageGCHighThresholdPercent)
    assert.equal(configz.kubeletconfig.evictionHard, LAB_KUBELET.evictionHard)
  })

  test('an init whose last phases are missing is finished, not skipped', async () => {
    assert.is((await kubectl('-n kube-system delete daemonset kube-proxy')).code, 0)
    assert.is((await kubectl('-n kube-public delete configmap cluster-info')).code, 0)
    const plan = await init(true)
    assert.ok(plan.plan.changed)
    assert.match(plan.plan.changed ? plan.plan.summary : '', /finish kubeadm init \(missing configmap\/cluster-info, daemonset\.apps\/kube-proxy\)/)
    const r = await init()
    assert.ok(r.applied)
    assert.is((await kubectl('-n kube-public get configmap cluster-info -o name')).out.trim(), 'configmap/cluster-info')
    assert.is((await kubectl('-n kube-system get daemonset kube-proxy -o name')).out.trim(), 'daemonset.apps/kube-proxy')
    assert.is((await init(true)).plan.changed, false)
  })

  test('a cluster whose API is down is never reset: a clear error, etcd data kept', async () => {
    await conn.exec(sh`mv /etc/kubernetes/manifests/kube-apiserver.yaml /root/kube-apiserver.yaml`)
    try {
      for (let i = 0; i < 30 && (await kubectl('get --raw=/readyz')).code === 0; i++) await new Promise((r) => setTimeout(r, 2000))
      const e = await init().catch((x: Error) => x)
      assert.instance(e, Error)
      assert.match(String(e), /the API has not answered for 20 s, and etcd holds a cluster: not resetting it/)
      assert.is((await conn.exec(sh`test -d /var/lib/etcd/member && test -f /etc/kubernetes/admin.conf`)).code, 0, 'nothing removed')
    } finally {
      await conn.exec(sh`mv /root/kube-apiserver.yaml /etc/kubernetes/manifests/kube-apiserver.yaml`)
    }
    const back = await runModule(conn, kubeadmInit, { config: KUBEADM_CONFIG, apiWaitMs: 180_000 })
    assert.ok(back.applied && /came back/.test(String(back.outcome?.output)), JSON.stringify(back.outcome))
    assert.is((await init(true)).plan.changed, false)
  })

  test('leftovers of an init that never got a control plane up are reset and initialised again', async () => {
    // What a failed init leaves: certificates and kubeconfigs (admin.conf), no API, no etcd data.
    assert.is((await conn.exec(sh`kubeadm reset -f >/dev/null 2>&1 && kubeadm init phase certs all --config ${KUBEADM_CONFIG} >/dev/null && kubeadm init phase kubeconfig all --config ${KUBEADM_CONFIG} >/dev/null && test -f /etc/kubernetes/admin.conf`)).code, 0)
    const plan = await init(true)
    assert.match(plan.plan.changed ? plan.plan.summary : '', /the API does not answer/)
    const r = await init()
    assert.ok(r.applied)
    assert.is((await kubectl('get --raw=/readyz')).out.trim(), 'ok')
    // A new cluster has a new admin.conf: the operator's copy follows once, then nothing changes.
    const follow = await run()
    assert.equal(failures(follow), [])
    assert.equal(changes(follow).map((c) => c.replace(/:.*/, '')), ['lab1 Give the operator the admin kubeconfig'])
    const again = await run()
    assert.equal(failures(again), [])
    assert.equal(changes(again), [])
  })
}

test.run()
