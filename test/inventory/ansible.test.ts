import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { expandHostRange, parseAnsibleIni, parseAnsibleYaml, parseIniValue } from '../../lib/inventory/ansible.ts'
import { jumpFromSshArgs, shellSplit, toBoolean } from '../../lib/inventory/ansible-vars.ts'
import { inventoryFromSpec } from '../../lib/inventory/resolve.ts'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadInventory } from '../../lib/inventory/load.ts'
import { writeTree } from './tmp.ts'
import { isSecret } from '../../lib/secret.ts'

const env = { USER: 'me', HOME: '/home/me' }

// The layout of seed 001 (inventories/hosts.ini): haproxy .21, masters .22–.24, workers .25–.27.
const SEED_INI = `# Inventaire MLOps
[haproxy]
lb1 ansible_host=10.110.190.21

[masters]
master[1:3]

[workers]
10.110.190.[25:27]   # worker nodes by address

[k8s-cluster:children]
masters
workers

[all:vars]
ansible_user=ubuntu
ansible_ssh_private_key_file=~/.ssh/id_rsa
ansible_become=yes
ansible_python_interpreter=/usr/bin/python3

[k8s-cluster:vars]
kubernetes_version="1.31.4"
control_plane_endpoint=10.110.190.21:6443
`

test('host ranges: numeric, zero-padded, stepped, alphabetic, in addresses, several', () => {
  const table: Array<[string, string[]]> = [
    ['worker[1:3]', ['worker1', 'worker2', 'worker3']],
    ['node[01:03]', ['node01', 'node02', 'node03']],
    ['n[1:5:2]', ['n1', 'n3', 'n5']],
    ['db-[a:c]', ['db-a', 'db-b', 'db-c']],
    ['10.0.0.[1:2]', ['10.0.0.1', '10.0.0.2']],
    ['r[1:2]c[1:2]', ['r1c1', 'r1c2', 'r2c1', 'r2c2']],
    ['plain', ['plain']],
  ]
  for (const [p, want] of table) assert.equal(expandHostRange(p), want, p)
  for (const p of ['w[1]', 'w[3:1]', 'w[01:100]', 'w[a:3]', 'w[1:3:0]']) assert.ok(!Array.isArray(expandHostRange(p)), p)
})

test('INI values are Python literals: quotes stripped, True/False, numbers', () => {
  const table: Array<[string, unknown]> = [['"1.31.4"', '1.31.4'], ["'a b'", 'a b'], ['True', true], ['false', 'false'],
    ['42', 42], ['0123', '0123'], ['1.5', 1.5], ['10.0.0.1', '10.0.0.1']]
  for (const [raw, want] of table) assert.equal(parseIniValue(raw), want, raw)
})

test('seed hosts.ini: groups, children, ranges and [all:vars] ansible_* mapping', () => {
  const { spec, errors } = parseAnsibleIni(SEED_INI, 'inventories/hosts.ini')
  assert.equal(errors, [])
  const inv = inventoryFromSpec(spec, 'inventories/hosts.ini', { env })
  assert.equal([...inv.hosts.keys()], ['lb1', 'master1', 'master2', 'master3', '10.110.190.25', '10.110.190.26', '10.110.190.27'])
  assert.equal(inv.groups.get('k8s-cluster')!.hosts.length, 6)
  assert.equal(inv.hosts.get('master2')!.groups, ['all', 'k8s-cluster', 'masters'])
  const c = inv.hosts.get('lb1')!.connection
  assert.equal([c.address, c.user, c.keyFile, c.become, c.agent], ['10.110.190.21', 'ubuntu', '/home/me/.ssh/id_rsa', true, undefined])
  assert.equal(inv.hosts.get('10.110.190.26')!.connection.address, '10.110.190.26')
  assert.equal(inv.hosts.get('master1')!.vars,
    { ansible_python_interpreter: '/usr/bin/python3', kubernetes_version: '1.31.4', control_plane_endpoint: '10.110.190.21:6443' })
})

test('INI host line: every ansible_* connection var maps to its setting; others stay vars', () => {
  const ini = `bastion ansible_host=203.0.113.5
[nodes]
n1:2222 ansible_host=10.0.0.1 ansible_user=ops ansible_become=true ansible_become_pass=0123 ansible_password='p w' role=db
n2 ansible_ssh_common_args='-o ProxyJump=bastion'
n3 ansible_ssh_common_args='-o ProxyCommand="ssh -W %h:%p -q -p 2201 jump@203.0.113.9"'
me ansible_connection=local  # the control machine
`
  const { spec, errors } = parseAnsibleIni(ini, 'hosts')
  assert.equal(errors, [])
  const inv = inventoryFromSpec(spec, 'hosts', { env })
  const n1 = inv.hosts.get('n1')!
  assert.equal([n1.connection.address, n1.connection.port, n1.connection.user, n1.connection.become], ['10.0.0.1', 2222, 'ops', true])
  assert.ok(isSecret(n1.connection.becomePassword) && isSecret(n1.connection.password))
  assert.is(n1.connection.becomePassword!.reveal(), '0123')
  assert.is(n1.connection.password!.reveal(), 'p w')
  assert.equal(n1.vars, { role: 'db' })
  assert.is(inv.hosts.get('n2')!.connection.jump, 'bastion')
  assert.is(inv.hosts.get('n3')!.connection.jump, 'jump@203.0.113.9:2201')
  assert.is(inv.hosts.get('me')!.connection.connection, 'local')
  assert.equal(inv.hosts.get('bastion')!.groups, ['all', 'ungrouped'])
})

test('a host may repeat to join more groups when it does not disagree', () => {
  const { spec, errors } = parseAnsibleIni('[etcd]\nm1 ansible_host=10.0.0.1\n[masters]\nm1 ansible_host=10.0.0.1\nm1\n', 'h.ini')
  assert.equal(errors, [])
  assert.equal(spec.groups, { etcd: { hosts: ['m1'], children: [], vars: {} }, masters: { hosts: ['m1'], children: [], vars: {} } })
})

test('YAML inventory: same mapping of ansible_* keys, children and vars', () => {
  const yml = `all:
  vars:
    ansible_user: ubuntu
    ansible_become: yes
  hosts:
    lb1: { ansible_host: 10.110.190.21 }
  children:
    k8s-cluster:
      vars: { kubernetes_version: "1.31.4" }
      children:
        masters:
          hosts:
            master[1:3]:
        workers:
          hosts:
            worker1: { ansible_host: 10.110.190.25, ansible_port: 2222, ansible_become_password: pw }
`
  const { spec, errors } = parseAnsibleYaml(yml, 'hosts.yml')
  assert.equal(errors, [])
  const inv = inventoryFromSpec(spec, 'hosts.yml', { env })
  assert.equal([...inv.hosts.keys()], ['lb1', 'master1', 'master2', 'master3', 'worker1'])
  assert.equal(inv.hosts.get('master3')!.groups, ['all', 'k8s-cluster', 'masters'])
  const w = inv.hosts.get('worker1')!.connection
  assert.equal([w.address, w.port, w.user, w.become], ['10.110.190.25', 2222, 'ubuntu', true])
  assert.ok(isSecret(w.becomePassword))
  assert.is(inv.hosts.get('master1')!.vars.kubernetes_version, '1.31.4')
})

test('ssh args: ProxyJump, -J, ProxyCommand; none → null', () => {
  const table: Array<[string, unknown]> = [
    ['-o ProxyJump=bastion', 'bastion'], ['-oProxyJump=ops@b:2222', 'ops@b:2222'], ['-J b1', 'b1'],
    ['-o ProxyCommand="ssh -W %h:%p -l ops b.example"', 'ops@b.example'],
    ['-o StrictHostKeyChecking=no', null],
  ]
  for (const [args, want] of table) assert.equal(jumpFromSshArgs(args), want, args)
  assert.ok(typeof jumpFromSshArgs('-o ProxyCommand="nc -x proxy %h %p"') === 'object')
  assert.equal(shellSplit(`a 'b c' "d\\"e" f#g # h`, { comments: true }), ['a', 'b c', 'd"e', 'f#g'])
  assert.equal([toBoolean('yes'), toBoolean('Off'), toBoolean(1), toBoolean('maybe')], [true, false, true, null])
})

test('ansible_ssh_common_args: the bastion, known_hosts file, identity file and port are honoured', async () => {
  const root = writeTree({
    'hosts.ini': "bastion ansible_host=10.0.0.9\nm1 ansible_host=10.0.0.1 ansible_ssh_common_args='-J bastion -o UserKnownHostsFile=/etc/kp/known_hosts -i KEY -p 2222 -o StrictHostKeyChecking=yes' ansible_python_interpreter=/usr/bin/python3\n",
    'id_test': 'not really a key\n',
  })
  writeFileSync(join(root, 'hosts.ini'), readFileSync(join(root, 'hosts.ini'), 'utf8').replace('KEY', join(root, 'id_test')))
  const inv = await loadInventory(join(root, 'hosts.ini'), { cwd: root, env: { USER: 'me', HOME: '/home/me' } })
  const c = inv.hosts.get('m1')!.connection
  assert.equal([c.jump, c.knownHosts, c.keyFile, c.port], ['bastion', '/etc/kp/known_hosts', join(root, 'id_test'), 2222])
})

test.run()
