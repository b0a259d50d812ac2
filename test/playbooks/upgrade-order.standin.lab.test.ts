/**
 * UPGRADE ORDER WITH TEST STAND-INS (test/standin: kubeadm, kubectl, kubelet, etcdctl, crictl as one
 * python script that logs its argv). This is not proof that an upgrade works — nothing of
 * Kubernetes runs here. It pins the orchestration of playbooks/upgrade.ts only: first master
 * `upgrade apply`, other masters `upgrade node` one at a time, workers drain → upgrade → uncordon
 * per batch, and an idempotent rerun. The real upgrade on a real cluster (1.30.14 → 1.31.4) is the
 * next step of the day-2 issue; this file goes away with it. Every other Kubernetes role and
 * playbook is proven on the real cluster (test/playbooks/cluster.lab.test.ts).
 *
 * Own lab `k8s<pid>` (torn down in `after`), or KUBEPLAY_K8S_LAB=<name> to reuse a running seed001 lab.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connectorFor, withExtraVars } from '../../lib/cli/main.ts'
import { sh } from '../../lib/connection/quote.ts'
import { run as runCmd } from '../../lib/connection/commands.ts'
import type { Connection } from '../../lib/connection/types.ts'
import type { Connector } from '../../lib/engine/host.ts'
import type { RunResult, TaskResult } from '../../lib/engine/results.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import { playbook, type Playbook } from '../../lib/engine/task.ts'
import { loadInventory } from '../../lib/inventory/load.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import { labDown, labUp, type LabInfo } from '../../lib/lab/index.ts'
import { kubernetesPlays } from '../../roles/kubernetes/index.ts'
import { upgradePlaybook } from '../../playbooks/upgrade.ts'
import { installStandins, readStandinLog, type StandinCall } from '../standin/install.ts'

const reuse = process.env.KUBEPLAY_K8S_LAB
const name = reuse ?? `k8s${process.pid}`
const MASTERS = ['lab2', 'lab3', 'lab4']
const WORKERS = ['lab5', 'lab6', 'lab7']
const K8S = [...MASTERS, ...WORKERS]
const params = {
  packageSource: 'preinstalled' as const,
  cni: 'none' as const,
  preinstalledUpgradeArgv: ['sh', '-c', 'echo {version} > /var/lib/kubeplay-standin/version'],
}

let lab: LabInfo
let inv: Inventory
let connect: Connector
const conns = new Map<string, Connection>()
const conn = async (h: string): Promise<Connection> => {
  if (!conns.has(h)) conns.set(h, await connect(inv.hosts.get(h)!))
  return conns.get(h)!
}
const stateDir = mkdtempSync(join(tmpdir(), 'kp-k8s-'))

async function go(pb: Playbook, o: { inventory?: Inventory } = {}): Promise<{ result: RunResult }> {
  const i = o.inventory ?? inv
  return { result: await runPlaybook(pb, { inventory: i, connector: connectorFor(i, { hostKeyPolicy: 'strict' }) }) }
}

const changed = (r: RunResult): TaskResult[] => r.results.filter((x) => x.status === 'changed')
const failures = (r: RunResult): string => r.results.filter((x) => x.status === 'failed' || x.status === 'unreachable').map((x) => `${x.host} ${x.task}: ${x.reason}`).join('\n')

async function logs(): Promise<StandinCall[]> {
  const all = await Promise.all(K8S.map(async (h) => readStandinLog(await conn(h))))
  return all.flat().sort((a, b) => a.at.localeCompare(b.at))
}
async function clearLogs(): Promise<void> {
  await Promise.all(K8S.map(async (h) => runCmd(await conn(h), sh`: > /var/log/kubeplay-standin.log`)))
}

test.before(async () => {
  lab = await labUp({ name, layout: 'seed001' })
  inv = await loadInventory(lab.inventoryPath)
  connect = connectorFor(inv, { hostKeyPolicy: 'strict' })
  await Promise.all(K8S.map(async (h) => {
    const c = await conn(h)
    await runCmd(c, sh`rm -rf /etc/kubernetes /var/lib/kubeplay-standin /var/log/kubeplay-standin.log /root/.kube /var/backups/etcd /etc/kubeplay`)
    await installStandins(c, { version: '1.31.4', nodes: K8S })
  }))
  // The stand-in "cluster" the upgrade starts from.
  const { result } = await go(playbook('k8s', kubernetesPlays(params)))
  assert.is(failures(result), '')
})

test.after(async () => {
  await Promise.all([...conns.values()].map((c) => c.close()))
  rmSync(stateDir, { recursive: true, force: true })
  if (!reuse) await labDown({ name })
})

test('upgrade 1.31.4 → 1.32.0: first master apply, other masters node one at a time, workers drain→upgrade→uncordon per batch', async () => {
  await clearLogs()
  const target = withExtraVars(inv, ['kubernetes_target=1.32.0'])
  const { result } = await go(upgradePlaybook({ kubernetes: params, workersSerial: 2 }), { inventory: target })
  assert.is(failures(result), '')
  const calls = (await logs()).filter((c) => (c.tool === 'kubeadm' && c.argv[0] === 'upgrade') || (c.tool === 'kubectl' && ['drain', 'uncordon'].includes(c.argv[1] ?? '')))
  const seq = calls.map((c) => c.tool === 'kubeadm' ? `${c.host} ${c.argv.slice(0, 2).join(' ')}` : `${c.argv[1]} ${c.argv[2]}`)
  const at = (s: string): number => seq.indexOf(s)
  assert.equal(seq.slice(0, 3), ['drain lab2', 'lab2 upgrade apply', 'uncordon lab2'], seq.join('\n'))
  assert.equal(seq.slice(3, 9), ['drain lab3', 'lab3 upgrade node', 'uncordon lab3', 'drain lab4', 'lab4 upgrade node', 'uncordon lab4'], 'masters one at a time')
  for (const w of WORKERS) {
    assert.ok(at(`drain ${w}`) < at(`${w} upgrade node`) && at(`${w} upgrade node`) < at(`uncordon ${w}`), `${w}: drain → upgrade → uncordon`)
    assert.ok(at(`drain ${w}`) > at('uncordon lab4'), 'workers after every master')
  }
  // batches of 2: lab5+lab6 are back in service before lab7 is drained
  assert.ok(at('uncordon lab5') < at('drain lab7') && at('uncordon lab6') < at('drain lab7'))
  await clearLogs()
  const again = await go(upgradePlaybook({ kubernetes: params, workersSerial: 2 }), { inventory: target })
  assert.is(failures(again.result), '')
  assert.equal(changed(again.result).map((r) => `${r.host} ${r.task}`), [], 'upgrade rerun changes nothing')
})

test.run()
