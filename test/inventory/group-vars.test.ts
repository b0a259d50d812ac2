import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { loadInventory } from '../../lib/inventory/load.ts'
import { isSecretVarName, varsFilesFor } from '../../lib/inventory/group-vars.ts'
import * as s from '../../lib/schema/validate.ts'
import { isSecret } from '../../lib/secret.ts'
import { configErrors, writeTree } from './tmp.ts'

const env = { USER: 'me', HOME: '/home/me' }

// The seed's layout: ansible/inventories/hosts.ini with group_vars/ at the project root, plus
// inventory-adjacent vars to show the precedence between the two.
const project = () => writeTree({
  'inventories/hosts.ini': '[haproxy]\nlb1 ansible_host=10.110.190.21\n[masters]\nmaster1 ansible_host=10.110.190.22 role=inline-host\n' +
    '[k8s-cluster:children]\nmasters\n[k8s-cluster:vars]\nlevel=inline-parent\n[masters:vars]\nlevel=inline-child\nsource=inline\n',
  'inventories/group_vars/all.yml': 'source: inventory-dir\nntp: pool.ntp.org\n',
  'inventories/group_vars/masters.yml': 'source: inventory-dir-masters\n',
  'group_vars/all.ts': "export default { ntp: 'time.example', kubernetes_version: '1.31.4' }\n",
  'group_vars/k8s-cluster/10-net.yml': 'pod_network_cidr: 10.244.0.0/16\nlevel: file-parent\n',
  'group_vars/k8s-cluster/20-join.yml': 'kubeadm_token: abcdef.0123456789abcdef\n',
  'group_vars/masters.yml': 'ansible_user: admin\n',
  'group_vars/masters.json': '{ "from_json": true }',
  'host_vars/master1.yml': 'role: host-file\n',
})

test('files are found in precedence order: X < X.json < X.yaml < X.yml < X.js < X.ts < X/*', () => {
  const root = writeTree({ 'gv/g.yml': '', 'gv/g.json': '{}', 'gv/g.ts': 'export default {}', 'gv/g/b.yml': '', 'gv/g/a.yaml': '', 'gv/g/notes.txt': '' })
  assert.equal(varsFilesFor(join(root, 'gv'), 'g').map((f) => f.slice(root.length + 4)),
    ['g.json', 'g.yml', 'g.ts', 'g/a.yaml', 'g/b.yml'])
})

test('precedence: all < parent < child < host; files override inline; project root overrides inventory dir', async () => {
  const root = project()
  const inv = await loadInventory(join(root, 'inventories/hosts.ini'), { cwd: root, env })
  const m = inv.hosts.get('master1')!
  assert.is(m.vars.ntp, 'time.example', 'project group_vars/all.ts over inventories/group_vars/all.yml')
  assert.is(m.vars.source, 'inventory-dir-masters', 'masters file over masters inline and over all')
  assert.is(m.vars.level, 'inline-child', 'child inline over parent file')
  assert.is(m.vars.role, 'host-file', 'host_vars over the host line')
  assert.is(m.vars.pod_network_cidr, '10.244.0.0/16')
  assert.is(m.vars.from_json, true)
  assert.is(m.connection.user, 'admin', 'ansible_user from group_vars/masters.yml')
  assert.is(inv.hosts.get('lb1')!.connection.user, 'me')
  assert.is(inv.hosts.get('lb1')!.vars.source, 'inventory-dir')
  assert.ok(isSecret(m.vars.kubeadm_token), '*_token from YAML is a Secret')
})

test('an inventory directory: hosts file inside, group_vars beside it', async () => {
  const root = writeTree({ 'prod/hosts.yml': 'all:\n  hosts:\n    a: { ansible_host: 10.0.0.1 }\n', 'prod/group_vars/all.yml': 'x: 1\n' })
  const inv = await loadInventory(join(root, 'prod'), { cwd: root, env })
  assert.equal(inv.hosts.get('a')!.vars, { x: 1 })
})

const varsSchema = s.object({
  kubernetes_version: s.optional(s.refine(s.string(), 'a version like "1.31.4"', (v) => /^\d+\.\d+\.\d+$/.test(v))),
  pod_network_cidr: s.optional(s.string()),
  ha_enabled: s.boolean(),
})

test('varsSchema checks each vars file; errors name the yml file and the key', async () => {
  const root = writeTree({
    'hosts.ini': '[masters]\nm1 ansible_host=10.0.0.1\n',
    'group_vars/all.yml': 'kubernetes_version: 1.31\nmy_own_var: anything\n',
    'group_vars/masters.yml': 'ha_enabled: maybe\n',
  })
  const errors = await configErrors(() => loadInventory(join(root, 'hosts.ini'), { cwd: root, env, schema: varsSchema }))
  assert.equal(errors.map((e) => [e.file.slice(root.length + 1), e.key, e.expected, e.found]), [
    ['group_vars/all.yml', 'kubernetes_version', 'a string', '1.31'],
    ['group_vars/masters.yml', 'ha_enabled', 'true or false', '"maybe"'],
  ])
})

test('a strict schema also rejects unknown keys', async () => {
  const root = writeTree({ 'hosts.ini': 'a\n', 'group_vars/all.yml': 'kubernetes_versoin: "1.31.4"\n' })
  const strict = s.object({ kubernetes_version: s.optional(s.string()) }, { strict: true })
  const [e, ...more] = await configErrors(() => loadInventory(join(root, 'hosts.ini'), { cwd: root, env, schema: strict }))
  assert.equal(more, [])
  assert.equal([e!.key, e!.expected], ['kubernetes_versoin', "a known key (did you mean 'kubernetes_version'?)"])
})

test('typed .ts group vars pass through the same schema', async () => {
  const root = writeTree({ 'hosts.ini': 'a\n', 'group_vars/all.ts': 'export default { ha_enabled: "yes" }\n' })
  const [e] = await configErrors(() => loadInventory(join(root, 'hosts.ini'), { cwd: root, env, schema: varsSchema }))
  assert.equal([e!.file.slice(root.length + 1), e!.key, e!.found], ['group_vars/all.ts', 'ha_enabled', '"yes"'])
})

test('secret naming convention', () => {
  for (const n of ['grafana_admin_password', 'ansible_become_pass', 'kubeadm_token', 'my_secret_key', 'SECRET', 'token',
    'statsPassword', 'grafanaAdminPassword', 'joinToken', 'becomePass', 'ssh_passphrase']) assert.ok(isSecretVarName(n), n)
  for (const n of ['password_file', 'token_ttl_hours', 'passthrough', 'kubernetes_version', 'bypass', 'compass', 'tokenTtl']) assert.not.ok(isSecretVarName(n), n)
})

test("one group's files merge mapping by mapping; the same setting with two values in two files is an error naming both", async () => {
  const root = writeTree({
    'hosts.ini': '[haproxy]\nlb1 ansible_host=10.0.0.1\n',
    'group_vars/haproxy.yml': 'haproxy:\n  statsPort: 8405\n  ingress:\n    httpNodePort: 32000\n',
    'group_vars/haproxy.ts': "export default { haproxy: { statsUser: 'admin', ingress: { enabled: true } } }\n",
  })
  const inv = await loadInventory(join(root, 'hosts.ini'), { cwd: root, env })
  assert.equal(inv.hosts.get('lb1')!.vars.haproxy, { statsPort: 8405, statsUser: 'admin', ingress: { httpNodePort: 32000, enabled: true } })
  const clash = writeTree({
    'hosts.ini': '[haproxy]\nlb1 ansible_host=10.0.0.1\n',
    'group_vars/haproxy.yml': 'haproxy:\n  statsUser: bob\n',
    'group_vars/haproxy.ts': "export default { haproxy: { statsUser: 'admin' } }\n",
  })
  const errors = await configErrors(() => loadInventory(join(clash, 'hosts.ini'), { cwd: clash, env }))
  assert.equal(errors.map((e) => e.message), [
    `${join(clash, 'group_vars/haproxy.ts')}: haproxy.statsUser: expected one vars file of 'haproxy' in ${join(clash, 'group_vars')} setting it, found it set to another value in ${join(clash, 'group_vars/haproxy.yml')} too (merge them into one file)`,
  ])
})

test('the project group_vars override the inventory-adjacent ones leaf by leaf', async () => {
  const root = writeTree({
    'inv/hosts.ini': '[k8s-cluster]\nn1 ansible_host=10.0.0.1\n',
    'inv/group_vars/k8s-cluster.yml': 'containerd:\n  version: 1.7.24\n  systemdCgroup: false\n',
    'group_vars/k8s-cluster.yml': 'containerd:\n  systemdCgroup: true\n',
  })
  const inv = await loadInventory(join(root, 'inv/hosts.ini'), { cwd: root, env })
  assert.equal(inv.hosts.get('n1')!.vars.containerd, { version: '1.7.24', systemdCgroup: true })
})

test('a vars file named almost like a group (k8s_cluster.yml for k8s-cluster) is an error, not ignored', async () => {
  const root = writeTree({
    'hosts.ini': '[k8s-cluster]\nn1 ansible_host=10.0.0.1\n',
    'group_vars/k8s_cluster.yml': 'x: 1\n',
    'group_vars/other-inventory-group.yml': 'y: 2\n',
    'host_vars/N1.yml': 'z: 3\n',
  })
  const errors = await configErrors(() => loadInventory(join(root, 'hosts.ini'), { cwd: root, env }))
  assert.equal(errors.map((e) => e.message), [
    `${join(root, 'group_vars/k8s_cluster.yml')}: (file name): expected the name of a group of the inventory ('k8s-cluster'), found 'k8s_cluster', which matches no group: its vars would be ignored`,
    `${join(root, 'host_vars/N1.yml')}: (file name): expected the name of a host of the inventory ('n1'), found 'N1', which matches no host: its vars would be ignored`,
  ])
})

test('every level merges role mappings key by key: all < group < host', async () => {
  const root = writeTree({
    'hosts.ini': '[masters]\nm1 ansible_host=10.0.0.1\n',
    'group_vars/all.yml': 'kubernetes:\n  version: 1.30.14\n  certSANs: [a]\n',
    'group_vars/masters.yml': 'kubernetes:\n  podSubnet: 10.244.0.0/16\n  certSANs: [b]\n',
    'host_vars/m1.yml': 'kubernetes:\n  apiPort: 8443\n',
  })
  const inv = await loadInventory(join(root, 'hosts.ini'), { cwd: root, env })
  assert.equal(inv.hosts.get('m1')!.vars.kubernetes, { version: '1.30.14', podSubnet: '10.244.0.0/16', certSANs: ['b'], apiPort: 8443 })
})

test.run()
