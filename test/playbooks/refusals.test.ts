/**
 * The lifecycle playbooks' refusals happen before any connection: a skipped minor for upgrade, no
 * `-e confirm=yes` for reset and etcd-restore, a missing HAProxy host for three masters. No lab:
 * the connector records every host it is asked for and refuses, so "nothing contacted" is exact.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { EXIT } from '../../lib/cli/args.ts'
import { runCli, withExtraVars } from '../../lib/cli/main.ts'
import { site } from '../../playbooks/site.ts'
import { writeTree } from '../inventory/tmp.ts'
import { loadInventory } from '../../lib/inventory/load.ts'
import { spyOnConnect } from '../helpers/connect-spy.ts'
import type { Connector } from '../../lib/engine/host.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import type { Playbook } from '../../lib/engine/task.ts'
import { ConfigErrors } from '../../lib/errors.ts'
import { inventoryFromSpec } from '../../lib/inventory/resolve.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import { etcdRestorePlaybook } from '../../playbooks/etcd-restore.ts'
import { removeNodePlaybook } from '../../playbooks/remove-node.ts'
import { resetPlaybook } from '../../playbooks/reset.ts'
import { upgradePlaybook, upgradePreflight } from '../../playbooks/upgrade.ts'
import { kubernetesPreflight } from '../../roles/kubernetes/index.ts'

const seed001 = (): Inventory => inventoryFromSpec({
  hosts: Object.fromEntries(['lab1', 'lab2', 'lab3', 'lab4', 'lab5', 'lab6', 'lab7'].map((h, i) => [h, { address: `127.0.0.${i + 11}` }])),
  groups: {
    haproxy: { hosts: ['lab1'] },
    masters: { hosts: ['lab2', 'lab3', 'lab4'] },
    workers: { hosts: ['lab5', 'lab6', 'lab7'] },
    'k8s-cluster': { children: ['masters', 'workers'], vars: { kubernetes: { version: '1.31.4', packageSource: 'preinstalled' } } },
  },
}, 'refusals.test.ts')

async function refusedUntouched(pb: Playbook, inventory: Inventory, message: RegExp, limit?: string): Promise<void> {
  const contacted: string[] = []
  const connector: Connector = (h) => { contacted.push(h.name); throw new Error(`contacted ${h.name}`) }
  try {
    await runPlaybook(pb, { inventory, connector, limit })
    assert.unreachable('the run should be refused before connecting')
  } catch (e) {
    assert.instance(e, ConfigErrors)
    assert.match((e as Error).message, message)
  }
  assert.equal(contacted, [], `${pb.name}: nothing contacted`)
}

test('upgrade refuses a skipped minor before connecting to anything', async () => {
  const skip = withExtraVars(seed001(), ['kubernetes_target=1.33.0'])
  const errors = upgradePreflight(skip)
  assert.is(errors.length, 1)
  assert.match(errors[0]!.message, /one minor at a time from v1\.31\.4: 1\.32\.x next/)
  await refusedUntouched(upgradePlaybook(), skip, /kubernetes_target: expected one minor at a time from v1\.31\.4/)
})

test('reset and etcd-restore refuse without -e confirm=yes before connecting (a --limit cannot skip it)', async () => {
  await refusedUntouched(resetPlaybook(), seed001(), /confirm: expected -e confirm=yes/, 'lab7')
  await refusedUntouched(etcdRestorePlaybook(), seed001(), /confirm: expected -e confirm=yes/)
  await refusedUntouched(etcdRestorePlaybook(), withExtraVars(seed001(), ['confirm=no']), /confirm: expected -e confirm=yes.*found "no"/)
})

test('remove-node refuses before connecting: no -e node, the first master, a host outside the cluster, no confirmation', async () => {
  const confirmed = (extra: string[]): Inventory => withExtraVars(seed001(), ['confirm=yes', ...extra])
  await refusedUntouched(removeNodePlaybook(), confirmed([]), /node: expected -e node=<host>\[,<host>…\]: the inventory hosts to remove, found nothing/)
  await refusedUntouched(removeNodePlaybook(), confirmed(['node=lab2']), /node: expected a node other than the first master/)
  await refusedUntouched(removeNodePlaybook(), confirmed(['node=lab7,lab1']), /node: expected a host of the masters or workers group, found lab1/)
  await refusedUntouched(removeNodePlaybook(), withExtraVars(seed001(), ['node=lab7']), /confirm: expected -e confirm=yes/)
})

test('three masters without a HAProxy host: a ConfigError found without any host', () => {
  const inv = seed001()
  const groups = new Map(inv.groups)
  groups.delete('haproxy')
  const errors = kubernetesPreflight({ ...inv, groups }, {})
  assert.is(errors.length, 1)
  assert.match(errors[0]!.message, /groups\.haproxy: expected a HAProxy host.*found no such group \(missing HAProxy host\)/)
})

test('flat Ansible-style vars a migrating user writes are refused before connecting, naming the role setting to use', async () => {
  const root = writeTree({
    'hosts.ini': '[haproxy]\nlb1 ansible_connection=local\n[masters]\nm1 ansible_connection=local\n[k8s-cluster:children]\nmasters\n',
    'group_vars/all.yml': 'kube_version: "1.30.14"\nmetallb_ip_range: 10.0.0.200-10.0.0.210\nhaproxy_stats_password: Flat-S3cret-pw\nmy_own_var: kept\n',
  })
  const lines: string[] = []
  const code = await runCli(site, ['-i', join(root, 'hosts.ini'), '--list-hosts'], { out: (l) => lines.push(l), err: (l) => lines.push(l) })
  const out = lines.join('\n')
  assert.is(code, EXIT.invalidInput, out)
  const file = join(root, 'group_vars/all.yml')
  for (const [flat, role, setting, found] of [['kube_version', 'kubernetes', 'version', '"1.30.14"'], ['metallb_ip_range', 'metallb', 'pools', '"10.0.0.200-10.0.0.210"'], ['haproxy_stats_password', 'haproxy', 'statsPassword', 'a secret']]) {
    assert.match(out, `${file}: ${flat}: expected the ${role} role's setting ${role}: { ${setting}: … } (kubeplay reads one mapping per role; no role reads the flat var '${flat}'), found ${found}`)
  }
  assert.not.match(out, 'my_own_var')
  assert.not.match(out, 'Flat-S3cret-pw')
})

test('the shipped example inventory passes its own first commands (--list-hosts, --list-tasks, --list-tags) without a bundle, contacting nothing', async () => {
  const spy = spyOnConnect()
  const before = spy.count()
  for (const flag of ['--list-hosts', '--list-tasks', '--list-tags']) {
    const lines: string[] = []
    const code = await runCli(site, ['-i', 'inventory.ts', flag], { out: (l) => lines.push(l), err: (l) => lines.push(l) })
    assert.is(code, EXIT.ok, `${flag}: ${lines.join('\n')}`)
  }
  // A real run's gates (-e confirm=yes) are not asked of a listing either.
  const lines: string[] = []
  assert.is(await runCli(resetPlaybook(), ['-i', 'inventory.ts', '--list-hosts'], { out: (l) => lines.push(l), err: (l) => lines.push(l) }), EXIT.ok, lines.join('\n'))
  assert.is(spy.count(), before, 'no connection attempted')
})

test("Kubespray's group names (kube_control_plane, kube_node) are refused before connecting with the rename to make, not skipped with a warning", async () => {
  const root = writeTree({ 'hosts.ini': '[kube_control_plane]\ncp1 ansible_host=127.0.0.21\n[kube_node]\nn1 ansible_host=127.0.0.22\n[k8s-cluster:children]\nkube_control_plane\nkube_node\n' })
  const lines: string[] = []
  const code = await runCli(site, ['-i', join(root, 'hosts.ini'), '--check'], { out: (l) => lines.push(l), err: (l) => lines.push(l) })
  assert.is(code, EXIT.invalidInput, lines.join('\n'))
  assert.match(lines.join('\n'), "kubernetes.mastersGroup: expected an inventory group: rename Kubespray's 'kube_control_plane' to 'masters', or set kubernetes.mastersGroup: 'kube_control_plane', found 'masters', which does not exist")
  assert.match(lines.join('\n'), "kubernetes.workersGroup: expected an inventory group: rename Kubespray's 'kube_node' to 'workers'")
})

test('a problem found once the vars are merged names the file the value came from, not the inventory', async () => {
  const root = writeTree({
    'hosts.ini': '[haproxy]\nlb ansible_host=127.0.0.31\n[masters]\nm1 ansible_host=127.0.0.32\n[workers]\nw1 ansible_host=127.0.0.33\n[k8s-cluster:children]\nmasters\nworkers\n',
    'group_vars/all.yml': 'kubernetes:\n  serviceSubnet: 10.244.0.0/16\n',
    'group_vars/k8s-cluster.yml': 'kubernetes:\n  packageSource: pkgs.k8s.io\n  podSubnet: 10.244.0.0/16\n',
  })
  const lines: string[] = []
  const code = await runCli(site, ['-i', join(root, 'hosts.ini'), '--list-hosts', '-e', 'kubernetes.controlPlaneEndpoint=10.244.0.1:6443'], { out: (l) => lines.push(l), err: (l) => lines.push(l) })
  const out = lines.join('\n')
  assert.is(code, EXIT.invalidInput, out)
  assert.match(out, `${join(root, 'group_vars/all.yml')}: kubernetes.serviceSubnet: expected a range disjoint from podSubnet 10.244.0.0/16, found 10.244.0.0/16`)
  assert.match(out, 'command line (-e): kubernetes.controlPlaneEndpoint: expected an address outside podSubnet and serviceSubnet, found 10.244.0.1:6443')
  // A required setting nobody set is asked for where the role's other settings are.
  const inv = await loadInventory(join(root, 'hosts.ini'), { cwd: root })
  assert.match(kubernetesPreflight(inv).map((e) => e.message).join('\n'), `${join(root, 'group_vars/k8s-cluster.yml')}: kubernetes.repoKeySha256: expected the sha256 of the repository key`)
})

test.run()
