/**
 * The site playbook on the seed 001 layout (1 haproxy, 3 masters, 3 workers) in a lab of its own,
 * on the distro of the runner's lab phase, without the Kubernetes plays (hosts booted without the
 * kubelet's cgroups): converges, reruns with 0 changed, --check after convergence plans nothing,
 * --tags haproxy touches only the haproxy host, the migrated Ansible layout finds nothing to change.
 * The whole site, Kubernetes and MetalLB included, runs on a real cluster in cluster.lab.test.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { changes, failures } from '../helpers/results.ts'
import { connectorFor, runCli } from '../../lib/cli/main.ts'
import { sh } from '../../lib/connection/quote.ts'
import { runRecorder } from '../../lib/engine/record.ts'
import type { RunResult } from '../../lib/engine/results.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import { loadInventory } from '../../lib/inventory/load.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import { labDown, labInfo, labUp, type LabInfo } from '../../lib/lab/index.ts'
import { labNfs } from '../../lib/lab/state.ts'
import { stringify } from 'yaml'
import { site } from '../../playbooks/site.ts'
import { labConnect } from '../lab/connect.ts'

const name = `site${process.pid}`.slice(0, 12)
const distro = (process.env.KUBEPLAY_TEST_LAB && labInfo(process.env.KUBEPLAY_TEST_LAB)?.distro) || 'debian12'
const state = mkdtempSync(join(tmpdir(), 'kp-site-'))
let lab: LabInfo
let inventory: Inventory

const run = (o: { checkMode?: boolean; tags?: string[]; all?: boolean; inventory?: Inventory } = {}): Promise<RunResult> => {
  const inv = o.inventory ?? inventory
  return runPlaybook(site, {
    inventory: inv, connector: connectorFor(inv, { hostKeyPolicy: 'strict' }), skipTags: o.tags || o.all ? undefined : ['kubernetes'],
    tags: o.tags, checkMode: o.checkMode, reporter: runRecorder(state),
  })
}

test.before(async () => {
  lab = await labUp({ name, layout: 'seed001', distro })
  inventory = await loadInventory(lab.inventoryPath)
})
test.after(async () => {
  await labDown({ name })
  rmSync(state, { recursive: true, force: true })
})

test(`site converges on the seed 001 layout (${distro}), then reruns with 0 changed`, async () => {
  const first = await run()
  assert.equal(failures(first), [])
  assert.ok(changes(first).length > 40, `first run changed ${changes(first).length} tasks`)
  assert.equal(Object.keys(first.recap).sort(), ['lab1', 'lab2', 'lab3', 'lab4', 'lab5', 'lab6', 'lab7'])
  const second = await run()
  assert.equal(failures(second), [])
  assert.equal(changes(second), [])
})

test('--check after convergence plans 0 changes', async () => {
  const dry = await run({ checkMode: true })
  assert.equal(failures(dry), [])
  assert.equal(changes(dry), [])
})

test("seed 001's Ansible layout migrated as docs/migrating-from-ansible.md says (inventories/hosts.ini, group_vars/*.yml) runs unchanged with -i inventories/hosts.ini and finds nothing to change", async () => {
  // The same settings the repository's group_vars/*.ts gave the first run, written the Ansible way.
  const stats = readFileSync(join(process.env.KUBEPLAY_STATE_DIR ?? '.kubeplay', 'secrets', 'haproxy_stats_password'), 'utf8').trim()
  const addr = (n: string): string => lab.hosts.find((h) => h.name === n)!.address
  const line = (n: string): string => `${n} ansible_host=${addr(n)}`
  const project = mkdtempSync(join(tmpdir(), 'kp-migrated-'))
  const files: Record<string, string> = {
    'inventories/hosts.ini': [
      '[haproxy]', line('lab1'), '', '[masters]', line('lab2'), line('lab3'), line('lab4'), '', '[workers]', line('lab5'), line('lab6'), line('lab7'), '',
      '[k8s-cluster:children]', 'masters', 'workers', '', '[nfs_server]', 'lab2', '', '[nfs_clients]', 'lab5', 'lab6', 'lab7', '',
      '[all:vars]', 'ansible_user=root', `ansible_ssh_private_key_file=${lab.keyPath}`,
      `ansible_ssh_common_args='-o UserKnownHostsFile=${lab.knownHostsPath}'`, 'ansible_python_interpreter=/usr/bin/python3', '',
    ].join('\n'),
    // This machine's kernel serves no NFS: the lab's own NFS settings (NFS-Ganesha in user space).
    'group_vars/all.yml': stringify({ common: { clusterGroup: 'all' }, nfs: labNfs(), kubernetes: { packageSource: 'preinstalled' } }),
    'group_vars/haproxy.yml': `haproxy:\n  statsUser: admin\n  statsPassword: ${JSON.stringify(stats)}\n  ingress:\n    enabled: true\n    httpPort: 80\n    httpsPort: 443\n    httpNodePort: 32624\n    httpsNodePort: 31316\n`,
    'group_vars/k8s-cluster.yml': 'containerd:\n  source: distro\n  systemdCgroup: true\n',
  }
  for (const [f, text] of Object.entries(files)) { mkdirSync(dirname(join(project, f)), { recursive: true }); writeFileSync(join(project, f), text) }
  const cwd = process.cwd()
  const lines: string[] = []
  let code: number
  try {
    process.chdir(project)
    code = await runCli(site, ['-i', 'inventories/hosts.ini', '--skip-tags', 'kubernetes', '--state-dir', join(project, '.kubeplay')], { out: (l) => lines.push(l), err: (l) => lines.push(l) })
  } finally {
    process.chdir(cwd)
    rmSync(project, { recursive: true, force: true })
  }
  const out = lines.join('\n')
  assert.is(code, 0, out)
  for (const h of lab.hosts) assert.match(out, new RegExp(`${h.name}\\s+: ok=\\d+ changed=0 unreachable=0 failed=0`), `${h.name} unchanged:\n${out}`)
  assert.not.match(out, stats)
})

test('--tags haproxy touches only the haproxy host, and it serves', async () => {
  const r = await run({ tags: ['haproxy'] })
  assert.equal([...new Set(r.results.map((x) => x.host))], ['lab1'])
  const conn = await labConnect(lab, 2)
  try {
    const code = await conn.exec(sh`curl -s -o /dev/null -w '%{http_code}' http://lab1:8404/stats`)
    assert.is(code.stdout, '401')
    for (const h of lab.hosts) {
      const r = await conn.exec(sh`getent ahostsv4 ${h.name}`)
      assert.match(r.stdout, h.address, `${h.name} resolves to its address`)
    }
  } finally {
    await conn.close()
  }
})

test.run()
