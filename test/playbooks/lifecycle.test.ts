import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { playbookTags, planPlaybook } from '../../lib/engine/run.ts'
import { flatten } from '../../lib/engine/task.ts'
import { confirmProblem } from '../../roles/kubernetes/confirm.ts'
import { pruneList, snapshotName, ETCDCTL_FLAGS, etcdBackupPlaybook } from '../../playbooks/etcd-backup.ts'
import { notReadyNodes, pendingLoadBalancers, unhealthyPods } from '../../playbooks/verify.ts'
import { upgradePlaybook, upgradePreflight } from '../../playbooks/upgrade.ts'
import { resetPlaybook } from '../../playbooks/reset.ts'
import { parseEndpointStatus } from '../../playbooks/etcd-defrag.ts'
import { etcdRestorePlaybook } from '../../playbooks/etcd-restore.ts'
import { parseApiserverVersion } from '../../roles/kubernetes/lifecycle.ts'
import { stubInventory } from '../helpers/stub.ts'

const inv = (vars: Record<string, unknown> = {}) => stubInventory(
  { haproxy: ['lb'], masters: ['m1', 'm2', 'm3'], workers: ['w1', 'w2', 'w3'] },
  Object.fromEntries(['lb', 'm1', 'm2', 'm3', 'w1', 'w2', 'w3'].map((h) => [h, { kubernetes: { packageSource: 'preinstalled' }, ...vars }])),
)

test('upgrade preflight: target required, one minor at a time from kubernetes.version, no downgrade', () => {
  assert.match(upgradePreflight(inv())[0]!.message, /kubernetes_target: expected the target release/)
  assert.equal(upgradePreflight(inv({ kubernetes_target: '1.32.0' })), [])
  assert.match(upgradePreflight(inv({ kubernetes_target: '1.33.0' }))[0]!.message, /one minor at a time from v1\.31\.4: 1\.32\.x next \(skipping 1 minor/)
  assert.match(upgradePreflight(inv({ kubernetes_target: '1.30.0' }))[0]!.message, /cannot downgrade/)
  assert.equal(upgradePreflight(inv({ kubernetes_target: '1.33.0', kubernetes: { version: '1.32.3', packageSource: 'preinstalled' } })), [])
})

test("upgrade preflight with packageSource 'artifacts': the target's bundle must be there before anything is contacted", () => {
  const errors = upgradePreflight(inv({ kubernetes_target: '1.32.0', kubernetes_target_artifacts_dir: '/nonexistent/kubeplay-bundle', kubernetes: { packageSource: 'artifacts', artifactsDir: '/nonexistent/current' } }))
  assert.is(errors.length, 1)
  assert.match(errors[0]!.message, /kubernetes_target: kubernetes\.artifactsDir: expected a kubeplay bundle for Kubernetes 1\.32\.0 in \/nonexistent\/kubeplay-bundle/)
})

test('upgrade: one kubelet-restart handler in the whole playbook, so the kubelet restarts once per node however many steps changed', () => {
  const nodePlays = upgradePlaybook({ target: '1.32.0' }).plays.filter((x) => x.name.startsWith('Upgrade the'))
  assert.is(nodePlays.length, 3)
  const handlers = new Set(nodePlays.flatMap((p) => flatten(p).flatMap((t) => (t.item.kind === 'task' ? t.item.notify ?? [] : []))).filter((h) => h.title === 'Restart the kubelet'))
  assert.is(handlers.size, 1, `${handlers.size} distinct 'Restart the kubelet' handlers`)
})

test('upgrade plays: first master, other masters serial 1, workers in batches', () => {
  const plans = planPlaybook(upgradePlaybook({ workersSerial: 2, target: '1.32.0' }), { inventory: inv() })
  assert.equal(plans.map((p) => [p.play.name, p.hosts, p.play.serial]), [
    ['Check the upgrade step', ['m1'], undefined],
    ['Import the target images on the masters', ['m1', 'm2', 'm3'], undefined],
    ['Import the target images on the workers', ['w1', 'w2', 'w3'], undefined],
    ['Upgrade the first control plane', ['m1'], undefined],
    ['Upgrade the other control planes', ['m2', 'm3'], 1],
    ['Upgrade the workers', ['w1', 'w2', 'w3'], 2],
  ])
  const worker = flatten(upgradePlaybook().plays.find((p) => p.name === 'Upgrade the workers')!).map((t) => t.item.title)
  assert.ok(worker.indexOf('Drain the node (from the first master)') < worker.indexOf('Upgrade the node (kubeadm upgrade node)'))
  assert.ok(worker.indexOf('Upgrade the node (kubeadm upgrade node)') < worker.indexOf('Uncordon the node (from the first master)'))
})

test('apiserver manifest image tag → control-plane version', () => {
  assert.equal(parseApiserverVersion('  - image: registry.k8s.io/kube-apiserver:v1.31.4\n'), { major: 1, minor: 31, patch: 4 })
  assert.is(parseApiserverVersion('image: registry.k8s.io/etcd:3.5.15-0'), null)
})

test('confirmation: only confirm=yes passes; every reset play checks it (so --limit cannot skip it)', () => {
  assert.is(confirmProblem({ confirm: 'yes' }, 'x'), null)
  assert.match(confirmProblem({}, 'destroy the cluster')!.message, /confirm: expected -e confirm=yes to destroy the cluster, found nothing/)
  assert.match(confirmProblem({ confirm: 'y' }, 'x')!.message, /found "y"/)
  for (const p of resetPlaybook().plays) assert.match(flatten(p)[0]!.item.title, /^Require -e confirm=yes/)
  assert.match(flatten(etcdRestorePlaybook().plays[0]!)[0]!.item.title, /^Require -e confirm=yes/)
})

test('etcd backup: seed 001 etcdctl flags, sortable names, retention', () => {
  assert.equal([...ETCDCTL_FLAGS], ['--endpoints=https://127.0.0.1:2379', '--cacert=/etc/kubernetes/pki/etcd/ca.crt',
    '--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt', '--key=/etc/kubernetes/pki/etcd/healthcheck-client.key'])
  assert.is(snapshotName(new Date('2025-07-02T10:11:12.345Z')), 'etcd-snapshot-20250702T101112Z.db')
  const names = ['etcd-snapshot-20250101T000000Z.db', 'etcd-snapshot-20250103T000000Z.db', 'etcd-snapshot-20250102T000000Z.db', 'other.db']
  assert.equal(pruneList(names, 2), ['etcd-snapshot-20250101T000000Z.db'])
  assert.equal(pruneList(names, 5), [])
  assert.ok(playbookTags(etcdBackupPlaybook()).has('etcd-backup'))
})

test('etcd defrag: dbSize and dbSizeInUse read as text from endpoint status', () => {
  const json = '[{"Endpoint":"https://127.0.0.1:2379","Status":{"header":{"cluster_id":14841639068965178418,"member_id":10276657743932975437,"revision":1234,"raft_term":3},"version":"3.5.15","dbSize":4063232,"leader":10276657743932975437,"raftIndex":2000,"raftTerm":3,"raftAppliedIndex":2000,"dbSizeInUse":2031616}}]'
  assert.equal(parseEndpointStatus(json), { dbSize: 4063232, inUse: 2031616 })
  assert.is(parseEndpointStatus('[]'), null)
})

test('verify parsers report each problem', () => {
  assert.equal(notReadyNodes('m1 Ready control-plane 1d v1.31.4\nw1 NotReady <none> 1d v1.31.4\n'), ['w1 (NotReady)'])
  assert.equal(unhealthyPods('kube-system etcd-m1 Running\nkube-system coredns-x Pending\n'), ['kube-system/coredns-x (Pending)'])
  assert.equal(pendingLoadBalancers('monitoring grafana LoadBalancer <none>\ningress-nginx c LoadBalancer 10.110.190.100\nx y ClusterIP <none>\n'), ['monitoring/grafana'])
})

test.run()
