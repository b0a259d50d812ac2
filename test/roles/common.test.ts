/** common role, pure parts: golden files, /etc/hosts lines, fact parsing, runtime sysctl plans, preflight findings, vars schema. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Inventory, InventoryGroup, InventoryHost } from '../../lib/inventory/types.ts'
import { validate } from '../../lib/schema/validate.ts'
import { common, commonDefaults, commonVarsSchema } from '../../roles/common/index.ts'
import { parseContainerVirt, parseListeningPorts, parseMacs, type NodeIdentity } from '../../roles/common/facts.ts'
import { preflightFindings, preflightPassed } from '../../roles/common/preflight.ts'
import { hostsBlock, renderChronySources, renderSysctlConf, renderTimesyncdConf } from '../../roles/common/render.ts'

function inventory(hosts: Record<string, { address: string; vars?: Record<string, unknown> }>, groups: Record<string, string[]> = {}): Inventory {
  const hs = new Map<string, InventoryHost>(Object.entries(hosts).map(([name, h]) => [name, {
    name, vars: h.vars ?? {}, groups: ['all', ...Object.keys(groups).filter((g) => groups[g]!.includes(name))],
    connection: { address: h.address, port: 22, user: 'root', become: false, connection: 'ssh' },
  }]))
  const gs = new Map<string, InventoryGroup>([['all', { name: 'all', hosts: [...hs.keys()], children: [], vars: {} }]])
  for (const [g, members] of Object.entries(groups)) gs.set(g, { name: g, hosts: members, children: [], vars: {} })
  return { source: 'test', hosts: hs, groups: gs }
}

test('golden sysctl.d file for the defaults (seed 003 nf_conntrack_max included)', () => {
  assert.fixture(renderSysctlConf(commonDefaults.sysctl), `# Managed by kubeplay (role common): kernel parameters kubeadm and the pod network need.
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward = 1
net.netfilter.nf_conntrack_max = 1000000
`)
  assert.match(renderSysctlConf({ 'net.ipv4.ip_local_port_range': '1024\t65000' }), '\nnet.ipv4.ip_local_port_range = 1024 65000\n')
})

test('golden chrony sources and timesyncd drop-in, with and without servers', () => {
  const head = '# Managed by kubeplay (role common): changes here are overwritten.\n'
  assert.fixture(renderChronySources(['ntp1.lan', '10.0.0.1']), `${head}server ntp1.lan iburst\nserver 10.0.0.1 iburst\n`)
  assert.fixture(renderChronySources([]), `${head}# No common.ntpServers set: chrony uses the distribution's pool from chrony.conf.\n`)
  assert.fixture(renderTimesyncdConf(['ntp1.lan', '10.0.0.1']), `${head}[Time]\nNTP=ntp1.lan 10.0.0.1\n`)
  assert.fixture(renderTimesyncdConf([]), `${head}[Time]\n# No common.ntpServers set: systemd-timesyncd uses the distribution's servers.\n`)
})

test('/etc/hosts block: every node of the group, own hostname as alias, DNS-named hosts left out', () => {
  const inv = inventory({
    m1: { address: '10.0.0.11', vars: { common: { hostname: 'master-1' } } },
    w1: { address: '10.0.0.21' },
    w2: { address: 'fd00::21' },
    lb: { address: 'lb.example.com' },
    other: { address: '10.9.9.9' },
  }, { k8s: ['m1', 'w1', 'w2', 'lb'] })
  assert.equal(hostsBlock(inv, 'k8s', ['10.0.0.5 registry.lan']), {
    block: '10.0.0.11 m1 master-1\n10.0.0.21 w1\nfd00::21 w2\n10.0.0.5 registry.lan',
    skipped: ['lb'],
  })
})

test('container detection: none is null', () => {
  assert.is(parseContainerVirt('systemd-nspawn\n'), 'systemd-nspawn')
  assert.is(parseContainerVirt('none\n'), null)
  assert.is(parseContainerVirt(''), null)
})

test('listening ports from /proc/net/tcp and tcp6 (LISTEN only)', () => {
  const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 304332 1
   1: 0B03FA0A:0016 0103FA0A:D28C 01 00000000:00000000 02:000AFC67 00000000     0        0 347868 4
   0: 00000000000000000000000000000000:192B 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1`
  assert.equal([...parseListeningPorts(tcp)].sort(), [22, 6443])
})

test('MACs: loopback and all-zero addresses are not compared', () => {
  assert.equal([...parseMacs('lo 00:00:00:00:00:00\nhost0 FE:30:55:A7:6C:85\ndummy0 00:00:00:00:00:00\n')], [['host0', 'fe:30:55:a7:6c:85']])
})

const id = (o: Partial<NodeIdentity> = {}): NodeIdentity => ({
  hostname: 'm1', macs: new Map([['eth0', 'aa:aa:aa:aa:aa:01']]), productUuid: 'uuid-1', cpus: 2, memoryMb: 1900,
  listening: new Set([22]), inCluster: false, ...o,
})
const CP = { controlPlane: true, minCpus: 2, minMemoryMb: 1700 }
const checks = (f: { check: string }[]) => f.map((x) => x.check)

test('preflight: a clean control-plane node has no findings and says what passed', () => {
  const peer = { name: 'w1', id: id({ hostname: 'w1', macs: new Map([['eth0', 'aa:aa:aa:aa:aa:02']]), productUuid: 'uuid-2' }) }
  assert.equal(preflightFindings(id(), [peer], CP), [])
  assert.is(preflightPassed(id(), 1, true), 'preflight passed: 2 CPUs, 1900 MB; ports 6443, 10250, 10259, 10257, 2379, 2380 free; hostname, MACs and product_uuid unique among 2 nodes')
})

test("preflight: CPU and memory are control-plane checks, with kubeadm's names", () => {
  const small = id({ cpus: 1, memoryMb: 1024 })
  assert.equal(preflightFindings(small, [], CP), [
    { check: 'NumCPU', message: '1 CPU(s) available, a control-plane node needs at least 2' },
    { check: 'Mem', message: '1024 MB of RAM, a control-plane node needs at least 1700 MB' },
  ])
  assert.equal(preflightFindings(small, [], { ...CP, controlPlane: false }), [])
})

test('preflight: ports in use, unless kubeadm already runs here', () => {
  const busy = id({ listening: new Set([22, 6443, 2379, 10250]) })
  assert.equal(checks(preflightFindings(busy, [], CP)), ['Port-6443', 'Port-10250', 'Port-2379'])
  assert.equal(checks(preflightFindings(busy, [], { ...CP, controlPlane: false })), ['Port-10250'])
  assert.equal(preflightFindings(id({ ...busy, inCluster: true }), [], CP), [])
})

test('preflight: duplicate hostname (any case), MAC and product_uuid are named with the other node', () => {
  const clone = { name: 'w1', id: id({ hostname: 'M1' }) }
  assert.equal(preflightFindings(id(), [clone], CP), [
    { check: 'Hostname', message: "hostname 'm1' is also w1's: node names must be unique" },
    { check: 'MAC', message: 'MAC aa:aa:aa:aa:aa:01 (eth0) is also on w1: cloned VMs need new MACs' },
    { check: 'ProductUUID', message: "product_uuid uuid-1 is also w1's: cloned VMs need new UUIDs" },
  ])
  // no product_uuid (containers): nothing to compare
  assert.equal(checks(preflightFindings(id({ productUuid: null }), [{ name: 'w1', id: id({ hostname: 'w1', macs: new Map(), productUuid: null }) }], CP)), [])
})

test('preflight: an unreadable peer is a finding that says why', () => {
  assert.equal(preflightFindings(id(), [{ name: 'w9', error: 'w9: connect ETIMEDOUT' }], CP), [
    { check: 'Peer', message: 'could not read w9 to compare hostname/MAC/product_uuid: w9: connect ETIMEDOUT' },
  ])
})

test('vars schema: typos and bad values are caught at inventory load; defaults pass', () => {
  const r = validate(commonVarsSchema, { preflght: 'warn', ntpServers: ['ntp 1'], timeSync: 'ntpd', extraHosts: ['10.0.0.1'] }, 'group_vars/all.yml', { key: 'common' })
  assert.equal(r.errors.map((e) => e.message.replace(/^group_vars\/all\.yml: /, '')).sort(), [
    'common.extraHosts[0]: expected an /etc/hosts line like \'10.0.0.5 registry.lan\', found "10.0.0.1"',
    'common.ntpServers[0]: expected an NTP server address or host name, found "ntp 1"',
    "common.preflght: expected a known key (did you mean 'preflight'?), found an unknown key",
    "common.timeSync: expected 'chrony' | 'timesyncd' | 'off', found \"ntpd\"",
  ].sort())
  assert.equal(validate(commonVarsSchema, commonDefaults, 'x').errors, [])
})

test('role shape: every task carries the role tag and a step tag; titles are imperative', () => {
  const r = common()
  assert.is(r.name, 'common')
  assert.equal(r.tags, ['common'])
  assert.is(r.vars?.key, 'common')
  const tasks = r.items.filter((i) => i.kind === 'task')
  assert.ok(tasks.length >= 12)
  for (const t of tasks) {
    assert.ok(t.kind === 'task' && (t.tags?.length ?? 0) > 0, `${t.title} has a step tag`)
    assert.match(t.title, /^[A-Z][a-z]+ /)
  }
  const steps = new Set(tasks.flatMap((t) => (t.kind === 'task' ? t.tags ?? [] : [])))
  assert.equal([...steps].sort(), ['hostname', 'hosts-file', 'modules', 'packages', 'preflight', 'swap', 'sysctl', 'time'])
})

test.run()
