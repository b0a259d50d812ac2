/**
 * `kubeplay import ansible` on two Ansible projects written here as fixtures: seed 001's layout as
 * the seed describes it (inventories/hosts.ini, group_vars/{all,haproxy,k8s-cluster}.yml with flat
 * Ansible variables, a vaulted password, a Jinja expression, playbooks/site.yml with tags per
 * component) and a Kubespray-style one (inventory/mycluster/hosts.yaml, group_vars/k8s_cluster/).
 * The written site.ts and inventory.ts are then used as a user would: `--list-hosts` validates
 * them without contacting anything. Written under test/output/ so `import … from 'kubeplay'`
 * resolves to this package.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { kubeplayCli } from '../../lib/cli/kubeplay.ts'
import { EXIT } from '../../lib/cli/args.ts'
import { loadInventory } from '../../lib/inventory/load.ts'
import { encryptVault } from '../../lib/vault.ts'
import { site } from '../../playbooks/site.ts'

const root = new URL('../../', import.meta.url).pathname
const work = join(root, 'test/output', `import-${process.pid}`)
test.after(() => { if (!process.env.KEEP) rmSync(work, { recursive: true, force: true }) })

function project(name: string, files: Record<string, string>): string {
  const dir = join(work, name)
  for (const [f, text] of Object.entries(files)) { mkdirSync(dirname(join(dir, f)), { recursive: true }); writeFileSync(join(dir, f), text) }
  return dir
}

async function kubeplay(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = []
  const code = await kubeplayCli(argv, { out: (l) => lines.push(l), err: (l) => lines.push(l) }, { site: async () => site })
  return { code, out: lines.join('\n') }
}

const STATS = 'Stats-Pa55-Seed'
const GRAFANA = 'Graf-Admin-77x'

const seed001 = (): string => project('seed001', {
  'inventories/hosts.ini': `[haproxy]
haproxy1 ansible_host=10.110.190.21

[masters]
master1 ansible_host=10.110.190.22
master2 ansible_host=10.110.190.23
master3 ansible_host=10.110.190.24

[workers]
worker1 ansible_host=10.110.190.25
worker2 ansible_host=10.110.190.26
worker3 ansible_host=10.110.190.27

[k8s-cluster:children]
masters
workers

[all:vars]
ansible_user=ubuntu
ansible_become=true
ansible_python_interpreter=/usr/bin/python3
`,
  'group_vars/all.yml': 'kube_version: "1.31.4"\npod_network_cidr: 10.244.0.0/16\nservice_cidr: 10.96.0.0/16\ncontainerd_systemd_cgroup: true\ntimezone: Europe/Paris\n',
  'group_vars/haproxy.yml': `haproxy_stats_port: 8404\nhaproxy_stats_user: admin\nhaproxy_stats_password: "${STATS}"\n`,
  'group_vars/k8s-cluster.yml': `metallb_ip_range: 10.110.190.100-10.110.190.110
control_plane_endpoint: "{{ hostvars['haproxy1'].ansible_host }}:6443"
grafana_admin_password: !vault |
${encryptVault(GRAFANA, 'vault-pw').trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}
`,
  'playbooks/site.yml': `- hosts: all
  become: true
  roles:
    - { role: common, tags: common }
- hosts: haproxy
  become: true
  roles:
    - { role: haproxy, tags: haproxy }
- hosts: masters
  become: true
  roles:
    - { role: kubernetes-master, tags: k8s-master }
- hosts: workers
  become: true
  roles:
    - { role: kubernetes-worker, tags: k8s-worker }
- hosts: masters[0]
  tags: [metallb]
  roles: [metallb]
- hosts: masters[0]
  roles:
    - role: prometheus
      tags: [prometheus, monitoring]
    - role: velero
`,
})

test('seed 001: typed inventory, role settings from the flat variables, secrets from the environment, the tags, and a report of every variable', async () => {
  const dir = seed001()
  const r = await kubeplay('import', 'ansible', dir)
  assert.is(r.code, EXIT.ok, r.out)
  assert.match(r.out, /6 files in .*seed001\/kubeplay: 7 variables mapped to role settings/)
  const out = join(dir, 'kubeplay')
  const read = (f: string): string => readFileSync(join(out, f), 'utf8')
  const all = read('group_vars/all.ts')
  assert.match(all, /kubernetes: \{\n {4}version: "1\.31\.4",\n {4}podSubnet: "10\.244\.0\.0\/16",\n {4}serviceSubnet: "10\.96\.0\.0\/16",\n {2}\}/)
  assert.match(all, /containerd: \{\n {4}systemdCgroup: true,\n {2}\}/)
  assert.match(all, /timezone: "Europe\/Paris"/)
  assert.match(all, /ansible_user: "ubuntu"/)
  const lb = read('group_vars/haproxy.ts')
  assert.match(lb, /haproxy: \{\n {4}statsPort: 8404,\n {4}statsUser: "admin",\n {4}statsPassword: secretFromEnv\("HAPROXY_STATS_PASSWORD"\),/)
  const k8s = read('group_vars/k8s-cluster.ts')
  assert.match(k8s, /metallb: \{\n {4}pools: \[\{\n/)
  assert.match(k8s, /grafanaAdminPassword: secretFromEnv\("PROMETHEUS_GRAFANA_ADMIN_PASSWORD"\)/)
  assert.not.match(k8s, /control_plane_endpoint/)
  for (const f of ['inventory.ts', 'group_vars/all.ts', 'group_vars/haproxy.ts', 'group_vars/k8s-cluster.ts', 'site.ts', 'IMPORT-REPORT.md']) {
    assert.not.match(read(f), STATS, `${f} holds no secret`)
    assert.not.match(read(f), GRAFANA, `${f} holds no secret`)
    assert.not.match(read(f), '$ANSIBLE_VAULT', `${f} holds no vault text`)
  }
  const s = read('site.ts')
  assert.match(s, /play\('Load balancer', \{ hosts: 'haproxy', become: true, items: \[haproxy\(\)\], tags: \['haproxy'\] \}\)/)
  assert.match(s, /\.\.\.kubernetesPlays\(\) \/\* Ansible tags k8s-master, k8s-worker/)
  assert.match(s, /play\('MetalLB load balancer', .*tags: \['metallb'\]/)
  assert.match(s, /play\('Monitoring', .*tags: \['monitoring', 'prometheus'\]/)
  const report = read('IMPORT-REPORT.md')
  assert.match(report, /\| group_vars\/all \| `kube_version` \| mapped \| `kubernetes\.version` \|/)
  assert.match(report, /\| group_vars\/k8s-cluster \| `control_plane_endpoint` \| not mapped \| {2}\| a Jinja expression/)
  assert.match(report, /\| group_vars\/haproxy \| `haproxy_stats_password` \| secret \| `\$HAPROXY_STATS_PASSWORD` \|/)
  assert.match(report, /role velero has no kubeplay equivalent/)

  // Used as a user would: validated from the files alone, nothing contacted.
  const list = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(out, 'site.ts'), '-i', join(out, 'inventory.ts'), '--list-hosts'], {
    cwd: out, env: { ...process.env, HAPROXY_STATS_PASSWORD: STATS, PROMETHEUS_GRAFANA_ADMIN_PASSWORD: GRAFANA, KUBEPLAY_STATE_DIR: join(work, 'state') },
  }).catch((e: { stdout: string; stderr: string }) => assert.unreachable(`--list-hosts failed:\n${e.stdout}${e.stderr}`) as never)
  assert.match(list.stdout, /haproxy1/)
  assert.match(list.stdout, /worker3/)
  assert.not.match(list.stdout + list.stderr, STATS)

  const again = await kubeplay('import', 'ansible', dir)
  assert.is(again.code, EXIT.invalidInput, 'no file is overwritten without --force')
  assert.match(again.out, /--out: expected a directory without .*inventory\.ts.* \(or --force\)/)
})

test('Kubespray: its group names become kubeplay\'s, etcd stacked on the masters is dropped, a master that is also a node stays a master', async () => {
  const dir = project('kubespray', {
    'inventory/mycluster/hosts.yaml': `all:
  hosts:
    node1: { ansible_host: 10.0.9.1, ip: 10.0.9.1 }
    node2: { ansible_host: 10.0.9.2, ip: 10.0.9.2 }
    node3: { ansible_host: 10.0.9.3, ip: 10.0.9.3 }
    node4: { ansible_host: 10.0.9.4, ip: 10.0.9.4 }
  children:
    kube_control_plane:
      hosts: { node1: , node2: , node3: }
    kube_node:
      hosts: { node1: , node4: }
    etcd:
      hosts: { node1: , node2: , node3: }
    k8s_cluster:
      children: { kube_control_plane: , kube_node: }
    calico_rr:
      hosts: {}
`,
    'inventory/mycluster/group_vars/k8s_cluster/k8s-cluster.yml': 'kube_version: v1.31.4\nkube_pods_subnet: 10.233.64.0/18\nkube_service_addresses: 10.233.0.0/18\nkube_network_plugin: calico\ncluster_name: cluster.local\n',
    'inventory/mycluster/group_vars/all/all.yml': 'ansible_user: debian\nupstream_dns_servers: [8.8.8.8]\n',
  })
  const r = await kubeplay('import', 'ansible', dir, '--out', join(work, 'kubespray-out'))
  assert.is(r.code, EXIT.ok, r.out)
  const out = join(work, 'kubespray-out')
  const read = (f: string): string => readFileSync(join(out, f), 'utf8')
  const report = read('IMPORT-REPORT.md')
  assert.match(report, /group kube_control_plane → masters/)
  assert.match(report, /group etcd dropped: it is the masters/)
  assert.match(report, /node1: in both masters and workers; kept as masters only/)
  assert.match(report, /group calico_rr dropped/)
  assert.match(report, /\| group_vars\/k8s-cluster \| `kube_version` \| mapped \| `kubernetes\.version` \|/)
  assert.match(report, /\| group_vars\/k8s-cluster \| `kube_network_plugin` \| kept \|/)
  // cluster.local is not a DNS label: mapped would be refused, so it is reported, not written.
  assert.match(report, /\| group_vars\/k8s-cluster \| `cluster_name` \| not mapped \| `kubernetes\.clusterName` \| kubernetes\.clusterName: expected a DNS label/)
  const inv = await loadInventory(join(out, 'inventory.ts'))
  assert.equal(inv.groups.get('masters')!.hosts, ['node1', 'node2', 'node3'])
  assert.equal(inv.groups.get('workers')!.hosts, ['node4'])
  assert.equal([...inv.groups.get('k8s-cluster')!.hosts].sort(), ['node1', 'node2', 'node3', 'node4'])
  assert.is(inv.groups.has('etcd'), false)
  assert.is(inv.hosts.get('node4')!.connection.user, 'debian')
  assert.equal((inv.hosts.get('node2')!.vars.kubernetes as { version: string }).version, '1.31.4')
})

test.run()
