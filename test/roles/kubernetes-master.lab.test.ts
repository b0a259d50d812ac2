/**
 * The Kubernetes roles and lifecycle playbooks on a 7-host seed001 lab (lab1 haproxy, lab2-4
 * masters, lab5-7 workers) through the real engine and SSH, with the kubeadm/kubectl/kubelet/etcdctl
 * TEST STAND-INS of test/standin (the lab cannot install Kubernetes). What this proves: order,
 * once-only init, joins with fresh masked secrets, idempotent reruns, partial runs, add-node,
 * upgrade order and refusals. What it cannot: see docs/lifecycle.md.
 *
 * Own lab `k8s<pid>` (torn down in `after`), or KUBEPLAY_K8S_LAB=<name> to reuse a running seed001 lab.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ConfigErrors } from '../../lib/errors.ts'
import { connectorFor, withExtraVars } from '../../lib/cli/main.ts'
import { sh } from '../../lib/connection/quote.ts'
import { run as runCmd } from '../../lib/connection/commands.ts'
import type { Connection } from '../../lib/connection/types.ts'
import type { Connector } from '../../lib/engine/host.ts'
import { runRecorder } from '../../lib/engine/record.ts'
import type { RunResult, TaskResult } from '../../lib/engine/results.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import { playbook, type Playbook } from '../../lib/engine/task.ts'
import { loadInventory } from '../../lib/inventory/load.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import { labDown, labUp, type LabInfo } from '../../lib/lab/index.ts'
import { kubernetesPlays, kubernetesPreflight } from '../../roles/kubernetes/index.ts'
import { addNodePlaybook } from '../../playbooks/add-node.ts'
import { upgradePlaybook, upgradePreflight } from '../../playbooks/upgrade.ts'
import { etcdBackupPlaybook } from '../../playbooks/etcd-backup.ts'
import { etcdRestorePlaybook } from '../../playbooks/etcd-restore.ts'
import { resetPlaybook } from '../../playbooks/reset.ts'
import { installStandins, readStandinLog, type StandinCall } from '../standin/install.ts'

const reuse = process.env.KUBEPLAY_K8S_LAB
const name = reuse ?? `k8s${process.pid}`
const MASTERS = ['lab2', 'lab3', 'lab4']
const WORKERS = ['lab5', 'lab6', 'lab7']
const K8S = [...MASTERS, ...WORKERS]
const FLANNEL = new URL('../../../shared/reference/flannel/kube-flannel-v0.28.9.yml', import.meta.url)
const params = {
  packageSource: 'preinstalled' as const,
  flannelUrl: 'file:///root/kube-flannel.yml',
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
const sites = (): Playbook => playbook('k8s', kubernetesPlays(params))
const stateDir = mkdtempSync(join(tmpdir(), 'kp-k8s-'))
const temps = [stateDir]

/** The run is rejected before any connection, with a ConfigErrors naming the problem. */
async function refused(p: Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await p
    assert.unreachable('the run should be refused before connecting')
  } catch (e) {
    assert.instance(e, ConfigErrors)
    assert.match((e as Error).message, message)
  }
}

/** Runs a playbook, recording every output line and the run record, and which hosts were contacted. */
async function go(pb: Playbook, o: { limit?: string; checkMode?: boolean; inventory?: Inventory; contacted?: Set<string> } = {}) {
  const out: string[] = []
  const contacted = o.contacted ?? new Set<string>()
  const rec = runRecorder(stateDir)
  const base = connectorFor(o.inventory ?? inv, { hostKeyPolicy: 'strict' })
  const result = await runPlaybook(pb, {
    inventory: o.inventory ?? inv, limit: o.limit, checkMode: o.checkMode,
    connector: (h) => { contacted.add(h.name); return base(h) },
    reporter: {
      taskEnd: (r) => { out.push(JSON.stringify(r)); rec.taskEnd?.(r) },
      message: (l, h, t) => { out.push(`${l} ${h} ${t}`); rec.message?.(l, h, t) },
      runStart: (i) => rec.runStart?.(i), runEnd: (r) => rec.runEnd?.(r), playStart: (p, hs) => rec.playStart?.(p, hs),
    },
  })
  const record = rec.path() ? readFileSync(rec.path()!, 'utf8') : ''
  return { result, text: out.join('\n') + JSON.stringify(result) + record, contacted }
}

const changed = (r: RunResult): TaskResult[] => r.results.filter((x) => x.status === 'changed')
const failures = (r: RunResult): string => r.results.filter((x) => x.status === 'failed' || x.status === 'unreachable').map((x) => `${x.host} ${x.task}: ${x.reason}`).join('\n')

async function logs(): Promise<StandinCall[]> {
  const all = await Promise.all(K8S.map(async (h) => readStandinLog(await conn(h))))
  return all.flat().sort((a, b) => a.at.localeCompare(b.at))
}
const kubeadmCalls = (calls: StandinCall[], verb: string): StandinCall[] => calls.filter((c) => c.tool === 'kubeadm' && c.argv.join(' ').startsWith(verb))
async function secretsOn(h: string): Promise<string[]> {
  const c = await conn(h)
  const read = async (f: string) => ((await c.readFile(f))?.toString('utf8') ?? '').split('\n').filter(Boolean)
  return [...(await read('/var/lib/kubeplay-standin/tokens')), ...(await read('/var/lib/kubeplay-standin/keys'))]
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
  await (await conn('lab2')).writeFile('/root/kube-flannel.yml', readFileSync(FLANNEL))
})

test.after(async () => {
  await Promise.all([...conns.values()].map((c) => c.close()))
  for (const dir of temps) rmSync(dir, { recursive: true, force: true })
  if (!reuse) await labDown({ name })
})

test('--check on fresh hosts lists every step per host without error', async () => {
  const { result } = await go(sites(), { checkMode: true })
  assert.is(failures(result), '')
  for (const h of K8S) assert.ok(result.results.filter((r) => r.host === h).length >= 5, `${h} has its steps`)
  assert.ok(result.results.some((r) => r.host === 'lab2' && r.task.startsWith('Initialise') && r.status === 'changed'))
  assert.ok(result.results.some((r) => r.host === 'lab3' && r.task.startsWith('Join the control plane') && r.status === 'changed'))
  assert.equal(await logs().then((l) => l.filter((c) => c.tool === 'kubeadm' && c.argv[0] !== 'version')), [], 'check mode ran no kubeadm action')
})

test('missing HAProxy host with 3 masters is a ConfigError found without any host', () => {
  const groups = new Map(inv.groups)
  groups.delete('haproxy')
  const errors = kubernetesPreflight({ ...inv, groups }, params)
  assert.is(errors.length, 1)
  assert.match(errors[0]!.message, /groups\.haproxy: expected a HAProxy host.*found no such group \(missing HAProxy host\)/)
})

test('first run: init once on lab2, masters join the control plane, workers join; secrets masked', async () => {
  const { result, text } = await go(sites(), { limit: 'all:!lab7' })
  assert.is(failures(result), '')
  const calls = await logs()
  const inits = kubeadmCalls(calls, 'init --config')
  assert.equal(inits.map((c) => c.host), ['lab2'])
  assert.ok(inits[0]!.argv.includes('--upload-certs'))
  const joins = kubeadmCalls(calls, 'join')
  assert.equal(joins.map((c) => c.host), ['lab3', 'lab4', ...joins.slice(2).map((c) => c.host)], 'masters join one at a time, before workers')
  assert.equal(joins.slice(2).map((c) => c.host).sort(), ['lab5', 'lab6'])
  for (const j of joins.slice(0, 2)) assert.ok(j.argv.includes('--control-plane') && j.argv.includes('--certificate-key'), `${j.host} joins the control plane`)
  for (const j of joins.slice(2)) assert.not.ok(j.argv.includes('--control-plane'), `${j.host} joins as a worker`)
  assert.ok(inits[0]!.at < joins[0]!.at)
  const secrets = await secretsOn('lab2')
  assert.ok(secrets.length >= 2, 'a token and a certificate key were created on lab2')
  const used = joins.flatMap((j) => [j.argv[j.argv.indexOf('--token') + 1]!, ...(j.argv.includes('--certificate-key') ? [j.argv[j.argv.indexOf('--certificate-key') + 1]!] : [])])
  for (const u of used) assert.ok(secrets.includes(u), 'joins used secrets freshly created on lab2')
  for (const s of secrets) assert.not.ok(text.includes(s), 'no token or certificate key in results, messages or the run record')
  assert.ok(text.includes('***') || !text.includes('--token '), 'masked')
  const kubeconfig = await (await conn('lab3')).readFile('/root/.kube/config')
  assert.ok(kubeconfig && kubeconfig.toString().includes('stand-in kubeconfig'))
  const applied = await runCmd(await conn('lab2'), sh`ls /var/lib/kubeplay-standin/applied | wc -l`)
  assert.is(applied.stdout.trim(), '1', 'Flannel applied once, from lab2')
})

test('rerun reports 0 changed and creates no token', async () => {
  await clearLogs()
  const { result } = await go(sites(), { limit: 'all:!lab7' })
  assert.is(failures(result), '')
  assert.equal(changed(result).map((r) => `${r.host} ${r.task}`), [])
  const calls = await logs()
  assert.equal(calls.filter((c) => c.tool === 'kubeadm' && c.argv[0] !== 'version'), [])
})

test('--limit workers after lab6 was reset: only lab6 rejoins, with a token read from lab2', async () => {
  await runCmd(await conn('lab6'), sh`rm -f /etc/kubernetes/kubelet.conf`)
  await clearLogs()
  const { result, contacted } = await go(sites(), { limit: 'workers:!lab7' })
  assert.is(failures(result), '')
  assert.equal(changed(result).map((r) => `${r.host} ${r.task}`), ['lab6 Join the cluster as a worker (kubeadm join)'])
  const calls = await logs()
  assert.equal(kubeadmCalls(calls, 'join').map((c) => c.host), ['lab6'])
  assert.equal(kubeadmCalls(calls, 'token create').map((c) => c.host), ['lab2'])
  assert.ok(contacted.has('lab2'), 'the first master was read for the join command despite --limit')
})

test('add-node prepares and joins only the new worker; the others are only read (identity checks, the join token)', async () => {
  await clearLogs()
  const { result, contacted } = await go(addNodePlaybook('workers', params), { limit: 'lab7' })
  assert.is(failures(result), '')
  assert.equal([...new Set(result.results.map((r) => r.host))], ['lab7'])
  assert.equal([...new Set(changed(result).map((r) => r.host))], ['lab7'])
  assert.ok(changed(result).some((r) => r.task === 'Join the cluster as a worker (kubeadm join)'))
  // kubeadm's uniqueness preflight (common role) compares the new node with every cluster node.
  assert.ok(contacted.has('lab2') && contacted.has('lab7'))
  const calls = await logs()
  assert.equal(calls.filter((c) => c.tool === 'kubeadm' && c.argv[0] !== 'version').map((c) => `${c.host} ${c.argv[0]}`), ['lab2 token', 'lab7 join'])
})

test('upgrade refuses a skipped minor before connecting to anything', async () => {
  const skip = withExtraVars(inv, ['kubernetes_target=1.33.0'])
  const errors = upgradePreflight(skip)
  assert.is(errors.length, 1)
  assert.match(errors[0]!.message, /one minor at a time from v1\.31\.4: 1\.32\.x next/)
  await clearLogs()
  const contacted = new Set<string>()
  await refused(go(upgradePlaybook({ kubernetes: params }), { inventory: skip, contacted }), /kubernetes_target: expected one minor at a time from v1\.31\.4/)
  assert.equal([...contacted], [], 'nothing contacted')
  assert.equal((await logs()).filter((c) => c.tool !== 'kubelet' && !(c.tool === 'kubeadm' && c.argv[0] === 'version')), [])
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

test('etcd-backup snapshots on lab2 with the seed flags and copies it under backups/lab2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kp-etcd-'))
  temps.push(dir)
  for (let i = 0; i < 3; i++) {
    const { result } = await go(etcdBackupPlaybook({ retention: 2, localDir: dir }))
    assert.is(failures(result), '')
    await new Promise((r) => setTimeout(r, 1100))
  }
  const local = readdirSync(join(dir, 'lab2')).filter((f) => f.endsWith('.db'))
  assert.is(local.length, 2, 'retention 2 on the controller')
  const remote = await runCmd(await conn('lab2'), sh`ls /var/backups/etcd | wc -l`)
  assert.is(remote.stdout.trim(), '2', 'retention 2 on the master')
  const save = (await logs()).filter((c) => c.tool === 'etcdctl')
  assert.ok(save.at(-1)!.argv.includes('--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt'))
})

test('reset and etcd-restore refuse without -e confirm=yes before connecting; reset with it resets only the --limit node', async () => {
  await clearLogs()
  for (const pb of [resetPlaybook(), etcdRestorePlaybook()]) {
    const contacted = new Set<string>()
    await refused(go(pb, { limit: pb.name === 'reset' ? 'lab7' : undefined, contacted }), /confirm: expected -e confirm=yes/)
    assert.equal([...contacted], [], `${pb.name}: nothing contacted`)
  }
  assert.equal((await logs()).filter((c) => c.tool === 'kubeadm' && c.argv[0] !== 'version'), [])
  const { result } = await go(resetPlaybook(), { limit: 'lab7', inventory: withExtraVars(inv, ['confirm=yes']) })
  assert.is(failures(result), '')
  assert.equal(changed(result).map((r) => `${r.host} ${r.task}`), ['lab7 Reset the node (kubeadm reset -f)'])
  assert.equal((await logs()).filter((c) => c.tool === 'kubeadm' && c.argv[0] === 'reset').map((c) => c.host), ['lab7'])
})

test.run()
