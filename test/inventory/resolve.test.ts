import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inventoryFromSpec } from '../../lib/inventory/resolve.ts'
import { isSecret, mask, secret } from '../../lib/secret.ts'
import type { InventorySpec } from '../../lib/inventory/types.ts'

const env = { USER: 'alice', HOME: '/home/alice', SSH_AUTH_SOCK: '/run/agent.sock' }
const resolve = (spec: InventorySpec, opts = {}) => inventoryFromSpec(spec, 'inventory.ts', { env, ...opts })

const cluster: InventorySpec = {
  hosts: {
    lb1: { address: '10.110.190.21' },
    master1: { address: '10.110.190.22' },
    master2: { address: '10.110.190.23' },
    worker1: { address: '10.110.190.25' },
    spare: {},
  },
  groups: {
    'k8s-cluster': { children: ['masters', 'workers'], vars: { role: 'cluster', level: 'parent' } },
    masters: { hosts: ['master1', 'master2'], vars: { role: 'master', level: 'child' } },
    workers: { hosts: ['worker1'], vars: { role: 'worker' } },
    haproxy: { hosts: ['lb1'] },
  },
  vars: { role: 'none', level: 'all', ntp: 'pool.ntp.org' },
}

test('connection defaults: address = name, port 22, $USER, agent from $SSH_AUTH_SOCK, no become, ssh', () => {
  const inv = resolve(cluster)
  assert.equal(inv.hosts.get('spare')!.connection,
    { address: 'spare', port: 22, user: 'alice', agent: '/run/agent.sock', become: false, connection: 'ssh' })
  assert.is(resolve({ hosts: { a: {} } }, { env: {} }).hosts.get('a')!.connection.user, 'root')
})

test('no agent when a key file or password is given, unless asked for', () => {
  const inv = resolve({ hosts: { k: { keyFile: '~/.ssh/id_ed25519' }, p: { password: secret('pw') }, both: { keyFile: '/k', agent: true } } })
  assert.is(inv.hosts.get('k')!.connection.agent, undefined)
  assert.is(inv.hosts.get('k')!.connection.keyFile, '/home/alice/.ssh/id_ed25519')
  assert.is(inv.hosts.get('p')!.connection.agent, undefined)
  assert.is(inv.hosts.get('both')!.connection.agent, '/run/agent.sock')
})

test('groups resolve children transitively in inventory order, with all and ungrouped', () => {
  const inv = resolve(cluster)
  assert.equal([...inv.hosts.keys()], ['lb1', 'master1', 'master2', 'worker1', 'spare'])
  assert.equal(inv.groups.get('k8s-cluster')!.hosts, ['master1', 'master2', 'worker1'])
  assert.equal(inv.groups.get('all')!.children, ['k8s-cluster', 'haproxy', 'ungrouped'])
  assert.equal(inv.groups.get('ungrouped')!.hosts, ['spare'])
  assert.equal(inv.hosts.get('master1')!.groups, ['all', 'k8s-cluster', 'masters'])
  assert.equal(inv.hosts.get('spare')!.groups, ['all', 'ungrouped'])
})

test('vars precedence: all < parent group < child group < host', () => {
  const inv = resolve({ ...cluster, hosts: { ...cluster.hosts, master2: { address: '10.110.190.23', vars: { role: 'special' } } } })
  assert.equal(inv.hosts.get('master1')!.vars, { role: 'master', level: 'child', ntp: 'pool.ntp.org' })
  assert.is(inv.hosts.get('master2')!.vars.role, 'special')
  assert.equal(inv.hosts.get('worker1')!.vars, { role: 'worker', level: 'parent', ntp: 'pool.ntp.org' })
  assert.equal(inv.hosts.get('spare')!.vars, { role: 'none', level: 'all', ntp: 'pool.ntp.org' })
})

test('sibling groups at the same depth merge by name, later name winning (as Ansible)', () => {
  const inv = resolve({ hosts: { h: {} }, groups: { zeta: { hosts: ['h'], vars: { x: 'zeta' } }, alpha: { hosts: ['h'], vars: { x: 'alpha' } } } })
  assert.is(inv.hosts.get('h')!.vars.x, 'zeta')
  assert.equal(inv.hosts.get('h')!.groups, ['all', 'alpha', 'zeta'])
})

test('group_vars files override inline vars of the same group; host_vars override the host', () => {
  const inv = resolve(cluster, { groupVars: { masters: { role: 'from-file' }, all: { ntp: 'time.example' } }, hostVars: { worker1: { role: 'w1' } } })
  assert.is(inv.hosts.get('master1')!.vars.role, 'from-file')
  assert.is(inv.hosts.get('spare')!.vars.ntp, 'time.example')
  assert.is(inv.hosts.get('worker1')!.vars.role, 'w1')
  assert.equal(inv.groups.get('masters')!.vars, { role: 'from-file', level: 'child' })
})

test('connection: defaults < ansible_* vars (by precedence) < the host’s own settings', () => {
  const inv = resolve({
    defaults: { user: 'deploy', port: 2200 },
    hosts: { a: {}, b: { user: 'root' }, c: { vars: { ansible_port: 2222 } } },
    groups: { g: { hosts: ['a', 'b', 'c'], vars: { ansible_user: 'ubuntu', ansible_become: 'yes', ansible_become_pass: 'pw1' } } },
  })
  const a = inv.hosts.get('a')!.connection
  assert.equal([a.user, a.port, a.become], ['ubuntu', 2200, true])
  assert.ok(isSecret(a.becomePassword))
  assert.is(a.becomePassword!.reveal(), 'pw1')
  assert.is(inv.hosts.get('b')!.connection.user, 'root')
  assert.is(inv.hosts.get('c')!.connection.port, 2222)
  assert.not.ok('ansible_user' in inv.hosts.get('a')!.vars, 'mapped connection vars leave the vars')
})

test('secrets: plain strings for password fields and *_password/*_token/*secret* vars become Secret', () => {
  const inv = resolve({
    hosts: { a: { becomePassword: 'pw' as never, vars: { join_token: 'abcdef.0123456789abcdef', nested: { admin_password: 'x1y2z3' }, plain: 'ok' } } },
    vars: { my_secret_key: 'k3y', count: 3 },
  })
  const h = inv.hosts.get('a')!
  assert.ok(isSecret(h.connection.becomePassword))
  assert.ok(isSecret(h.vars.join_token))
  assert.ok(isSecret((h.vars.nested as Record<string, unknown>).admin_password))
  assert.ok(isSecret(h.vars.my_secret_key))
  assert.equal([h.vars.plain, h.vars.count], ['ok', 3])
  assert.not.match(JSON.stringify(h), /abcdef\.0123|x1y2z3|k3y/)
  assert.is(mask('token abcdef.0123456789abcdef'), 'token ***')
})

test('connection local needs no valid address; a bastion may be another host or user@host:port', () => {
  const inv = resolve({ hosts: { 'my_laptop': { connection: 'local' }, bastion: { address: '203.0.113.5' }, a: { jump: 'bastion' }, b: { jump: 'ops@203.0.113.5:2222' } } })
  assert.is(inv.hosts.get('my_laptop')!.connection.connection, 'local')
  assert.is(inv.hosts.get('a')!.connection.jump, 'bastion')
})

test('key files are checked through the injected checker, once per path', () => {
  const seen: string[] = []
  const check = (p: string) => { seen.push(p); return null }
  resolve({ defaults: { keyFile: '/keys/id' }, hosts: { a: {}, b: {} } }, { checkKeyFile: check })
  assert.equal(seen, ['/keys/id'])
})

test.run()
