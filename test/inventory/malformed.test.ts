/**
 * Malformed inventories and vars, across TS specs, JSON, YAML and INI: each must fail in
 * loadInventory with ConfigErrors naming file, key, expected and found, and without any attempt to
 * connect (a spy on every TCP/Unix socket connect in this process proves it).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spyOnConnect } from '../helpers/connect-spy.ts'
import { join } from 'node:path'
import { loadInventory } from '../../lib/inventory/load.ts'
import * as s from '../../lib/schema/validate.ts'
import { configErrors, writeTree } from './tmp.ts'

const connectSpy = spyOnConnect()

process.env.KUBEPLAY_LAB_ROOT ??= writeTree({})
const env = { USER: 'me', HOME: '/home/me', SSH_AUTH_SOCK: '/run/agent' }
const json = (spec: unknown): string => JSON.stringify(spec, null, 2)
const ts = (spec: unknown): string => `export default ${json(spec)}\n`
const schema = s.object({ ha_enabled: s.optional(s.boolean()), metallb_addresses: s.optional(s.array(s.string())) })

interface Case {
  readonly name: string
  readonly files: Record<string, string>
  /** What to load, relative to the temp root (or `lab:…`). */
  readonly src: string
  /** file (relative, or absolute for the lab), key, a part of expected, a part of found. */
  readonly want: readonly [string, string, string, string]
}

const cases: Case[] = [
  { name: 'INI: same host twice with different settings', src: 'hosts.ini',
    files: { 'hosts.ini': '[a]\nm1 ansible_port=22\n[b]\nm1 ansible_port=2222\n' },
    want: ['hosts.ini', 'line 4: m1.port', 'already set at line 2', '2222'] },
  { name: 'JSON: unknown child group', src: 'inventory.json',
    files: { 'inventory.json': json({ hosts: { m1: {} }, groups: { k8s: { children: ['masters'] } } }) },
    want: ['inventory.json', 'groups.k8s.children[0]', 'a group defined in groups', "'masters'"] },
  { name: 'INI: [x:children] names an undefined group', src: 'hosts.ini',
    files: { 'hosts.ini': '[masters]\nm1\n[k8s-cluster:children]\nmasters\netcd\n' },
    want: ['hosts.ini', 'line 5', 'a child of [k8s-cluster:children]', "undefined group 'etcd'"] },
  { name: 'TS: group cycle', src: 'inventory.ts',
    files: { 'inventory.ts': ts({ hosts: { m1: {} }, groups: { a: { children: ['b'] }, b: { children: ['c'] }, c: { children: ['a'], hosts: ['m1'] } } }) },
    want: ['inventory.ts', 'groups.c.children', 'groups without a cycle', 'cycle a → b → c → a'] },
  { name: 'JSON: bad address', src: 'inventory.json',
    files: { 'inventory.json': json({ hosts: { m1: { address: '10.110.190.300' } } }) },
    want: ['inventory.json', 'hosts.m1.address', 'an IPv4/IPv6 address or host name', '"10.110.190.300"'] },
  { name: 'JSON: host name that is no address, without address', src: 'inventory.json',
    files: { 'inventory.json': json({ hosts: { 'master_1': {} } }) },
    want: ['inventory.json', 'hosts.master_1.address', 'set address when the name is not one', '"master_1"'] },
  { name: 'TS: port 0', src: 'inventory.ts', files: { 'inventory.ts': ts({ hosts: { m1: { port: 0 } } }) },
    want: ['inventory.ts', 'hosts.m1.port', 'a port 1..65535', '0'] },
  { name: 'INI: port 70000', src: 'hosts.ini', files: { 'hosts.ini': '[masters]\nm1 ansible_port=70000\n' },
    want: ['hosts.ini', 'line 2: m1 ansible_port', 'a port 1..65535', '"70000"'] },
  { name: 'YAML: port "abc"', src: 'hosts.yml', files: { 'hosts.yml': 'all:\n  hosts:\n    m1:\n      ansible_port: abc\n' },
    want: ['hosts.yml', 'all.hosts.m1.ansible_port', 'a port 1..65535', '"abc"'] },
  { name: 'JSON: key file does not exist', src: 'inventory.json',
    files: { 'inventory.json': json({ defaults: { keyFile: '/nonexistent/id_ed25519' }, hosts: { m1: {}, m2: {} } }) },
    want: ['inventory.json', 'hosts.m1.keyFile', 'a readable private key file', '"/nonexistent/id_ed25519" (no such file)'] },
  { name: 'JSON: become is not a boolean', src: 'inventory.json', files: { 'inventory.json': json({ hosts: { m1: { become: 'yes' } } }) },
    want: ['inventory.json', 'hosts.m1.become', 'true or false', '"yes"'] },
  { name: 'INI: ansible_become=maybe', src: 'hosts.ini', files: { 'hosts.ini': 'm1 ansible_become=maybe\n' },
    want: ['hosts.ini', 'line 1: m1 ansible_become', 'a boolean', '"maybe"'] },
  { name: 'TS: jump to an unknown host', src: 'inventory.ts', files: { 'inventory.ts': ts({ hosts: { m1: { jump: 'bastion' } } }) },
    want: ['inventory.ts', 'hosts.m1.jump', 'a host of this inventory, or user@address:port', "'bastion', which is neither"] },
  { name: 'INI: ProxyJump to an unknown host', src: 'hosts.ini', files: { 'hosts.ini': "m1 ansible_ssh_common_args='-o ProxyJump=bastion'\n" },
    want: ['hosts.ini', 'hosts.m1.jump', 'a host of this inventory', "'bastion'"] },
  { name: 'JSON: secret of the wrong type (value never shown)', src: 'inventory.json',
    files: { 'inventory.json': json({ hosts: { m1: { becomePassword: 123456 } } }) },
    want: ['inventory.json', 'hosts.m1.becomePassword', 'a string or secret()', 'a number'] },
  { name: 'YAML: ansible_become_password as a mapping', src: 'hosts.yml',
    files: { 'hosts.yml': 'all:\n  vars:\n    ansible_become_password: { vault: x }\n  hosts: { m1: }\n' },
    want: ['hosts.yml', 'all.vars.ansible_become_password', 'a string', 'a object'] },
  { name: 'INI: host var without =', src: 'hosts.ini', files: { 'hosts.ini': '[masters]\nm1 ansible_host=10.0.0.1 become\n' },
    want: ['hosts.ini', 'line 2', 'key=value after host m1', '"become"'] },
  { name: 'INI: broken section header', src: 'hosts.ini', files: { 'hosts.ini': '[masters\nm1\n' },
    want: ['hosts.ini', 'line 1', 'a section header', '"[masters"'] },
  { name: 'INI: [g:vars] line without =', src: 'hosts.ini', files: { 'hosts.ini': '[m]\nm1\n[m:vars]\nkubernetes_version\n' },
    want: ['hosts.ini', 'line 4', 'key=value under [m:vars]', '"kubernetes_version"'] },
  { name: 'YAML: syntax error names the line', src: 'hosts.yml', files: { 'hosts.yml': 'all:\n  hosts:\n    m1: { ansible_host: 10.0.0.1\n' },
    want: ['hosts.yml', 'line 4', 'valid YAML', 'end with a }'] },
  { name: 'YAML: unknown group key (typo)', src: 'hosts.yml', files: { 'hosts.yml': 'all:\n  children:\n    masters:\n      host:\n        m1:\n' },
    want: ['hosts.yml', 'all.children.masters.host', 'hosts, children or vars', 'an unknown key'] },
  { name: 'group_vars: wrong type against the schema', src: 'hosts.ini',
    files: { 'hosts.ini': 'm1\n', 'group_vars/all.yml': 'ha_enabled: true\nmetallb_addresses: 10.110.190.100-10.110.190.110\n' },
    want: ['group_vars/all.yml', 'metallb_addresses', 'a list', '"10.110.190.100-10.110.190.110"'] },
  { name: 'group_vars: YAML syntax error', src: 'hosts.ini', files: { 'hosts.ini': 'm1\n', 'group_vars/all.yml': 'a: 1\nb: [1, 2\nc: 3\n' },
    want: ['group_vars/all.yml', 'line 3', 'valid YAML', 'end with a ]'] },
  { name: 'host_vars: ansible_port out of range', src: 'hosts.ini', files: { 'hosts.ini': 'm1\n', 'host_vars/m1.yml': 'ansible_port: 0\n' },
    want: ['host_vars/m1.yml', 'ansible_port', 'a port 1..65535', '0'] },
  { name: 'JSON: group and host with the same name', src: 'inventory.json',
    files: { 'inventory.json': json({ hosts: { haproxy: {} }, groups: { haproxy: { hosts: ['haproxy'] } } }) },
    want: ['inventory.json', 'groups.haproxy', 'a group name not used by a host', "'haproxy', also a host"] },
  { name: 'JSON: group lists an unknown host', src: 'inventory.json',
    files: { 'inventory.json': json({ hosts: { m1: {} }, groups: { masters: { hosts: ['m1', 'm2'] } } }) },
    want: ['inventory.json', 'groups.masters.hosts[1]', 'a host defined in hosts', "'m2'"] },
  { name: 'JSON: connection is not ssh or local', src: 'inventory.json', files: { 'inventory.json': json({ hosts: { m1: { connection: 'winrm' } } }) },
    want: ['inventory.json', 'hosts.m1.connection', "'ssh' | 'local'", '"winrm"'] },
  { name: 'TS: misspelt setting', src: 'inventory.ts', files: { 'inventory.ts': ts({ hosts: { m1: { adress: '10.0.0.1' } } }) },
    want: ['inventory.ts', 'hosts.m1.adress', "did you mean 'address'", 'an unknown key'] },
  { name: 'TS: defaults.port as a string', src: 'inventory.ts', files: { 'inventory.ts': ts({ defaults: { port: '22' }, hosts: { m1: {} } }) },
    want: ['inventory.ts', 'defaults.port', 'a port 1..65535', '"22"'] },
  { name: 'TS: no default export', src: 'inventory.ts', files: { 'inventory.ts': 'export const hosts = {}\n' },
    want: ['inventory.ts', 'default export', 'an InventorySpec', 'nothing'] },
  { name: 'JSON: invalid JSON names the line', src: 'inventory.json', files: { 'inventory.json': '{\n  "hosts": {\n    "m1": {},\n  }\n}\n' },
    want: ['inventory.json', 'line 4', 'valid JSON', ''] },
  { name: 'directory with two inventories', src: 'prod', files: { 'prod/hosts.ini': 'm1\n', 'prod/hosts.yml': 'all:\n' },
    want: ['prod', 'inventory', 'exactly one of', 'hosts.yml, hosts.ini'] },
  { name: 'JSON: inline host vars of the wrong type against the schema', src: 'inventory.json',
    files: { 'inventory.json': json({ hosts: { m1: { vars: { ha_enabled: 'yes' } } } }) },
    want: ['inventory.json', 'hosts.m1.vars.ha_enabled', 'true or false', '"yes"'] },
  { name: 'INI: [group:vars] of the wrong type against the schema', src: 'hosts.ini',
    files: { 'hosts.ini': '[m]\nm1\n[m:vars]\nmetallb_addresses=10.0.0.1-10.0.0.9\n' },
    want: ['hosts.ini', 'groups.m.vars.metallb_addresses', 'a list', '"10.0.0.1-10.0.0.9"'] },
  { name: 'lab that is not up', src: 'lab:nope', files: {},
    want: [join(process.env.KUBEPLAY_LAB_ROOT!, 'nope/inventory.json'), "lab 'nope'", 'npm run lab -- up', 'no inventory.json'] },
]

for (const c of cases) {
  test(c.name, async () => {
    const root = writeTree(c.files)
    const src = c.src.startsWith('lab:') ? c.src : join(root, c.src)
    const errors = await configErrors(() => loadInventory(src, { cwd: root, env, schema }))
    const [file, key, expected, found] = c.want
    const wantFile = file.startsWith('/') ? file : join(root, file)
    const hit = errors.find((e) => e.file === wantFile && e.key === key)
    assert.ok(hit, `no error at ${file}: ${key}; got:\n${errors.map((e) => e.message).join('\n')}`)
    assert.ok(hit!.expected.includes(expected), `expected: ${hit!.expected}`)
    assert.ok(hit!.found.includes(found), `found: ${hit!.found}`)
    assert.is(hit!.message, `${wantFile}: ${key}: expected ${hit!.expected}, found ${hit!.found}`)
    assert.is(connectSpy.count(), 0, 'loading an inventory never connects')
  })
}

test('all problems of all stages are reported at once', async () => {
  const root = writeTree({ 'hosts.ini': '[m]\nm1 ansible_port=0\nm2 ansible_become=maybe\n', 'group_vars/m.yml': 'ha_enabled: 3\n' })
  const errors = await configErrors(() => loadInventory(join(root, 'hosts.ini'), { cwd: root, env, schema }))
  assert.equal(errors.map((e) => e.key), ['line 2: m1 ansible_port', 'line 3: m2 ansible_become', 'ha_enabled'])
})

test('a wrong password is never echoed in a message', async () => {
  const root = writeTree({ 'hosts.yml': 'all:\n  hosts:\n    m1: { ansible_become_password: [hunter2] }\n' })
  const errors = await configErrors(() => loadInventory(join(root, 'hosts.yml'), { cwd: root, env }))
  assert.not.match(errors.map((e) => e.message).join('\n'), 'hunter2')
})

test.run()
