/**
 * Bad input of every kind, through the real CLI (runCli): inventories (TS, JSON, YAML, INI),
 * group/host vars, role vars with CIDRs, MetalLB-style ranges, addresses and Kubernetes versions,
 * duplicates, tags, key files, flags, vault passwords, --retry state. Each must exit 4 with a line
 * naming file, key, what was expected and what was found — and nothing may be contacted (a spy on
 * every socket connect in this process).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spyOnConnect } from '../helpers/connect-spy.ts'
import { EXIT } from '../../lib/cli/args.ts'
import { runCli } from '../../lib/cli/main.ts'
import { play, playbook, role, task } from '../../lib/engine/task.ts'
import { address, cidr, ipRange, kubernetesVersion } from '../../lib/schema/net-schemas.ts'
import * as s from '../../lib/schema/validate.ts'
import { shell } from '../../lib/modules/shell.ts'
import { encryptVault } from '../../lib/vault.ts'
import { writeTree } from '../inventory/tmp.ts'

const connectSpy = spyOnConnect()

process.env.KUBEPLAY_LAB_ROOT = writeTree({})
delete process.env.KUBEPLAY_VAULT_PASSWORD_FILE

const clusterVars = s.object({
  kubernetesVersion: s.optional(kubernetesVersion()),
  podSubnet: s.optional(cidr()),
  serviceSubnet: s.optional(cidr()),
  controlPlaneEndpoint: s.optional(address()),
  metallb: s.optional(s.object({ ranges: s.array(ipRange()) })),
  replicas: s.optional(s.int({ min: 1, max: 9 })),
}, { strict: true })

const pb = playbook('bad-input', [play('cluster', { hosts: 'all', items: [
  role('cluster', [task('Nothing', shell, { cmd: 'true' }, { tags: ['noop'] })], { vars: { key: 'cluster', schema: clusterVars } }),
] })])

const ssh = (extra: Record<string, unknown> = {}) => JSON.stringify({ hosts: { m1: { address: '10.9.9.1', keyFile: 'KEY', ...extra } } })
const KEY = { 'id_ed25519': 'not really a key\n' }
const withKey = (files: Record<string, string>): Record<string, string> => ({ ...KEY, ...files })
const groupVars = (yaml: string) => withKey({ 'inventory.json': ssh(), 'group_vars/all.yml': yaml })

interface Case {
  readonly name: string
  readonly files: Record<string, string>
  /** Arguments after `-i <root>/<inv>`; `ROOT` is replaced by the temp root. */
  readonly args?: readonly string[]
  readonly inv?: string
  /** file (relative to the root unless it has no slash and is 'command line'), key, part of expected, part of found. */
  readonly want: readonly [string, string, string, string]
}

const cases: Case[] = [
  // inventories
  { name: 'JSON: invalid JSON', files: { 'inventory.json': '{ "hosts": { "m1": {}, } }' }, want: ['inventory.json', 'line 1', 'valid JSON', ''] },
  { name: 'JSON: bad address', files: withKey({ 'inventory.json': ssh({ address: '10.0.0.300' }) }), want: ['inventory.json', 'hosts.m1.address', 'an IPv4/IPv6 address or host name', '"10.0.0.300"'] },
  { name: 'JSON: port out of range', files: withKey({ 'inventory.json': ssh({ port: 70000 }) }), want: ['inventory.json', 'hosts.m1.port', 'a port 1..65535', '70000'] },
  { name: 'JSON: misspelt setting', files: withKey({ 'inventory.json': ssh({ usr: 'root' }) }), want: ['inventory.json', 'hosts.m1.usr', "did you mean 'user'", 'an unknown key'] },
  { name: 'JSON: become as a string', files: withKey({ 'inventory.json': ssh({ become: 'yes' }) }), want: ['inventory.json', 'hosts.m1.become', 'true or false', '"yes"'] },
  { name: 'JSON: connection kind', files: withKey({ 'inventory.json': ssh({ connection: 'winrm' }) }), want: ['inventory.json', 'hosts.m1.connection', "'ssh' | 'local'", '"winrm"'] },
  { name: 'TS: no default export', inv: 'inventory.ts', files: { 'inventory.ts': 'export const hosts = {}\n' }, want: ['inventory.ts', 'default export', 'an InventorySpec', 'nothing'] },
  { name: 'TS: module that throws', inv: 'inventory.ts', files: { 'inventory.ts': 'throw new Error("boom")\nexport default {}\n' }, want: ['inventory.ts', '(module)', 'a module that loads', 'boom'] },
  { name: 'TS: jump to an unknown host', inv: 'inventory.ts', files: withKey({ 'inventory.ts': `export default ${ssh({ jump: 'bastion' })}\n` }), want: ['inventory.ts', 'hosts.m1.jump', 'a host of this inventory', "'bastion'"] },
  { name: 'YAML: syntax error', inv: 'hosts.yml', files: { 'hosts.yml': 'all:\n  hosts:\n    m1: { ansible_host: 10.0.0.1\n' }, want: ['hosts.yml', 'line 4', 'valid YAML', ''] },
  { name: 'YAML: unknown group key', inv: 'hosts.yml', files: { 'hosts.yml': 'all:\n  hostz:\n    m1:\n' }, want: ['hosts.yml', 'all.hostz', 'hosts, children or vars', 'an unknown key'] },
  { name: 'YAML: port not a number', inv: 'hosts.yml', files: { 'hosts.yml': 'all:\n  hosts:\n    m1:\n      ansible_port: ssh\n' }, want: ['hosts.yml', 'all.hosts.m1.ansible_port', 'a port 1..65535', '"ssh"'] },
  { name: 'INI: broken section header', inv: 'hosts.ini', files: { 'hosts.ini': '[masters\nm1\n' }, want: ['hosts.ini', 'line 1', 'a section header', '"[masters"'] },
  { name: 'INI: host var without =', inv: 'hosts.ini', files: { 'hosts.ini': '[m]\nm1 ansible_host=10.0.0.1 become\n' }, want: ['hosts.ini', 'line 2', 'key=value after host m1', '"become"'] },
  { name: 'INI: ansible_become=maybe', inv: 'hosts.ini', files: { 'hosts.ini': 'm1 ansible_host=10.0.0.1 ansible_become=maybe\n' }, want: ['hosts.ini', 'line 1: m1 ansible_become', 'a boolean', '"maybe"'] },
  { name: 'INI: a range with one ansible_host', inv: 'hosts.ini', files: withKey({ 'hosts.ini': '[m]\nmaster[1:3] ansible_host=10.0.0.5 ansible_ssh_private_key_file=id_ed25519\n' }), want: ['hosts.ini', 'hosts.master2.address', 'an address no other host has', '10.0.0.5:22, the address of master1 too'] },
  { name: 'JSON: two hosts, one address', files: withKey({ 'inventory.json': JSON.stringify({ hosts: { a: { address: '10.0.0.7', keyFile: 'KEY' }, b: { address: '10.0.0.7', keyFile: 'KEY' } } }) }), want: ['inventory.json', 'hosts.b.address', 'an address no other host has', 'the address of a too'] },
  { name: 'INI: a typo in an ansible_ variable', inv: 'hosts.ini', files: { 'hosts.ini': 'm1 ansible_hosts=10.0.0.1\n' }, want: ['hosts.ini', 'line 1: m1 ansible_hosts', "did you mean 'ansible_host'", 'a variable kubeplay does not know'] },
  { name: 'INI: StrictHostKeyChecking=no in ssh args', inv: 'hosts.ini', files: { 'hosts.ini': 'm1 ansible_host=10.0.0.1 ansible_ssh_common_args="-o StrictHostKeyChecking=no"\n' }, want: ['hosts.ini', 'line 1: m1 ansible_ssh_common_args', 'StrictHostKeyChecking=no has no per-host equivalent', '"-o StrictHostKeyChecking=no"'] },
  { name: 'INI: an ssh option kubeplay cannot honour', inv: 'hosts.ini', files: { 'hosts.ini': 'm1 ansible_host=10.0.0.1 ansible_ssh_common_args="-o ControlPersist=60s"\n' }, want: ['hosts.ini', 'line 1: m1 ansible_ssh_common_args', '-o ControlPersist has no kubeplay equivalent', '"-o ControlPersist=60s"'] },
  { name: 'INI: become another user than root', inv: 'hosts.ini', files: { 'hosts.ini': 'm1 ansible_host=10.0.0.1 ansible_become_user=postgres\n' }, want: ['hosts.ini', 'line 1: m1 ansible_become_user', "'root' (kubeplay becomes root)", '"postgres"'] },
  { name: 'INI: child group undefined', inv: 'hosts.ini', files: { 'hosts.ini': '[m]\nm1 ansible_host=10.0.0.1\n[k8s:children]\nm\netcd\n' }, want: ['hosts.ini', 'line 5', 'a child of [k8s:children]', "undefined group 'etcd'"] },
  { name: 'inventory path does not exist', inv: 'nope.ini', files: {}, want: ['nope.ini', 'inventory', 'an inventory file or directory', 'no such file'] },
  { name: 'lab that is not up', inv: 'lab:nolab', files: {}, want: ['nolab/inventory.json', "lab 'nolab'", 'npm run lab -- up', 'no inventory.json'] },
  // duplicates
  { name: 'duplicate: INI host twice with different settings', inv: 'hosts.ini', files: { 'hosts.ini': '[a]\nm1 ansible_port=22\n[b]\nm1 ansible_port=2222\n' }, want: ['hosts.ini', 'line 4: m1.port', 'already set at line 2', '2222'] },
  { name: 'duplicate: YAML key twice', inv: 'hosts.yml', files: { 'hosts.yml': 'all:\n  hosts:\n    m1:\n    m1:\n' }, want: ['hosts.yml', 'line 3', 'valid YAML', 'Map keys must be unique'] },
  { name: 'duplicate: group named like a host', files: withKey({ 'inventory.json': JSON.stringify({ hosts: { m1: { address: '10.9.9.1', keyFile: 'KEY' } }, groups: { m1: { hosts: ['m1'] } } }) }), want: ['inventory.json', 'groups.m1', 'a group name not used by a host', "'m1', also a host"] },
  // key files
  { name: 'key file missing', files: { 'inventory.json': ssh({ keyFile: '/nonexistent/id_ed25519' }) }, want: ['inventory.json', 'hosts.m1.keyFile', 'a readable private key file', 'no such file'] },
  { name: 'key file is a directory', files: { 'inventory.json': ssh({ keyFile: 'ROOT/keys' }), 'keys/.keep': '' }, want: ['inventory.json', 'hosts.m1.keyFile', 'a readable private key file', 'not a file'] },
  // group/host vars
  { name: 'group_vars: YAML syntax error', files: groupVars('a: [1, 2\n'), want: ['group_vars/all.yml', 'line 2', 'valid YAML', ''] },
  { name: 'group_vars: top level is a list', files: groupVars('- a\n- b\n'), want: ['group_vars/all.yml', '(top level)', 'a mapping of vars', 'an array of 2'] },
  { name: 'host_vars: ansible_port 0', files: withKey({ 'inventory.json': ssh(), 'host_vars/m1.yml': 'ansible_port: 0\n' }), want: ['host_vars/m1.yml', 'ansible_port', 'a port 1..65535', '0'] },
  { name: 'role vars: unknown key (typo)', files: groupVars('cluster:\n  podSubnett: 10.244.0.0/16\n'), want: ['group_vars/all.yml', 'cluster.podSubnett', "did you mean 'podSubnet'", 'an unknown key'] },
  { name: 'role vars: integer out of range', files: groupVars('cluster:\n  replicas: 12\n'), want: ['group_vars/all.yml', 'cluster.replicas', 'an integer 1..9', '12'] },
  // CIDRs
  { name: 'CIDR: host bits set', files: groupVars('cluster:\n  podSubnet: 10.244.1.0/16\n'), want: ['group_vars/all.yml', 'cluster.podSubnet', 'no host bits set (10.244.0.0/16)', '"10.244.1.0/16"'] },
  { name: 'CIDR: prefix 33', files: groupVars('cluster:\n  serviceSubnet: 10.96.0.0/33\n'), want: ['group_vars/all.yml', 'cluster.serviceSubnet', 'an IPv4 CIDR', '"10.96.0.0/33"'] },
  { name: 'CIDR: no prefix', files: groupVars('cluster:\n  podSubnet: 10.244.0.0\n'), want: ['group_vars/all.yml', 'cluster.podSubnet', 'an IPv4 CIDR', '"10.244.0.0"'] },
  { name: 'CIDR: octet 256', files: groupVars('cluster:\n  podSubnet: 10.256.0.0/16\n'), want: ['group_vars/all.yml', 'cluster.podSubnet', 'an IPv4 CIDR', '"10.256.0.0/16"'] },
  // MetalLB-style ranges
  { name: 'range: shorthand last octet', files: groupVars('cluster:\n  metallb:\n    ranges: [10.0.0.100-110]\n'), want: ['group_vars/all.yml', 'cluster.metallb.ranges[0]', 'two full addresses', '"10.0.0.100-110"'] },
  { name: 'range: reversed', files: groupVars('cluster:\n  metallb:\n    ranges: [10.0.0.110-10.0.0.100]\n'), want: ['group_vars/all.yml', 'cluster.metallb.ranges[0]', 'first ≤ last', '"10.0.0.110-10.0.0.100"'] },
  { name: 'range: CIDR with host bits', files: groupVars('cluster:\n  metallb:\n    ranges: [10.0.0.5/24]\n'), want: ['group_vars/all.yml', 'cluster.metallb.ranges[0]', 'no host bits set (10.0.0.0/24)', '"10.0.0.5/24"'] },
  { name: 'range: a single string instead of a list', files: groupVars('cluster:\n  metallb:\n    ranges: 10.0.0.100-10.0.0.110\n'), want: ['group_vars/all.yml', 'cluster.metallb.ranges', 'a list', '"10.0.0.100-10.0.0.110"'] },
  { name: 'range: garbage', files: groupVars('cluster:\n  metallb:\n    ranges: [lots-of-ips]\n'), want: ['group_vars/all.yml', 'cluster.metallb.ranges[0]', 'an IPv4 range', '"lots-of-ips"'] },
  { name: 'endpoint: not an address', files: groupVars('cluster:\n  controlPlaneEndpoint: "api server"\n'), want: ['group_vars/all.yml', 'cluster.controlPlaneEndpoint', 'an IPv4/IPv6 address or host name', '"api server"'] },
  // versions
  { name: 'version: banana', files: groupVars('cluster:\n  kubernetesVersion: banana\n'), want: ['group_vars/all.yml', 'cluster.kubernetesVersion', 'a Kubernetes version like 1.31 or 1.31.4', '"banana"'] },
  { name: 'version: unquoted 1.30 (a YAML number)', files: groupVars('cluster:\n  kubernetesVersion: 1.30\n'), want: ['group_vars/all.yml', 'cluster.kubernetesVersion', 'quoted (YAML reads 1.30 as the number 1.3)', '1.3'] },
  { name: 'version: four parts', files: groupVars('cluster:\n  kubernetesVersion: "v1.31.4.1"\n'), want: ['group_vars/all.yml', 'cluster.kubernetesVersion', 'a Kubernetes version', '"v1.31.4.1"'] },
  { name: 'version: major 2', files: groupVars('cluster:\n  kubernetesVersion: "2.0.0"\n'), want: ['group_vars/all.yml', 'cluster.kubernetesVersion', 'a Kubernetes version', '"2.0.0"'] },
  // tags, limits, tasks
  { name: 'unknown tag', files: withKey({ 'inventory.json': ssh() }), args: ['--tags', 'metalb'], want: ['--tags', 'metalb', "one of the playbook's tags (cluster, noop)", "unknown tag 'metalb'"] },
  { name: 'unknown skip tag', files: withKey({ 'inventory.json': ssh() }), args: ['--skip-tags', 'nope'], want: ['--skip-tags', 'nope', "one of the playbook's tags", "unknown tag 'nope'"] },
  { name: '--limit @file that does not exist', files: withKey({ 'inventory.json': ssh() }), args: ['--limit', '@ROOT/site.retry'], want: ['site.retry', '--limit', 'a readable file of host names, one per line', 'no such file'] },
  { name: 'Jinja left in a group var', files: groupVars('api_ip: "{{ ansible_host }}"\n'), want: ['group_vars/all.yml', 'api_ip', 'a plain value (kubeplay does not render Jinja', '"{{ ansible_host }}"'] },
  { name: 'Jinja left in an INI var', inv: 'hosts.ini', files: { 'hosts.ini': "m1 ansible_host=10.0.0.1 first_master=\"{{ groups['masters'][0] }}\"\n" }, want: ['hosts.ini', 'hosts.m1.vars.first_master', 'a plain value', "{{ groups['masters'][0] }}"] },
  { name: '--limit matches no host', files: withKey({ 'inventory.json': ssh() }), args: ['--limit', 'm9'], want: ['--limit', 'm9', 'a host or group of', "'m9', which is neither"] },
  { name: '--start-at-task names no task', files: withKey({ 'inventory.json': ssh() }), args: ['--start-at-task', 'Install Windows'], want: ['--start-at-task', 'Install Windows', 'the title of a task', 'no such task'] },
  // flags
  { name: 'flag: unknown', files: {}, args: ['--frobnicate'], want: ['command line', '--frobnicate', 'an option from --help', "unknown argument '--frobnicate'"] },
  { name: 'flag: forks 0', files: {}, args: ['--forks', '0'], want: ['command line', '--forks', 'an integer from 1 to 1000', "'0'"] },
  { name: 'flag: --tags without value', files: {}, args: ['--tags'], want: ['command line', '--tags', 'a value', 'nothing'] },
  { name: 'flag: --task-timeout banana', files: {}, args: ['--task-timeout', 'banana'], want: ['command line', '--task-timeout', 'a duration like 30s', "'banana'"] },
  { name: 'flag: --host-key-policy yolo', files: {}, args: ['--host-key-policy', 'yolo'], want: ['command line', '--host-key-policy', "'strict' or 'accept-new'", "'yolo'"] },
  { name: 'flag: --detailed-exitcode without --check', files: {}, args: ['--detailed-exitcode'], want: ['command line', '--detailed-exitcode', '--check with it', 'no --check'] },
  { name: 'flag: -e without =', files: withKey({ 'inventory.json': ssh() }), args: ['-e', 'justakey'], want: ['command line', '--extra-vars', 'KEY=VALUE, a {…} mapping or @file.yml', "'justakey'"] },
  { name: 'flag: -e @missing.yml', files: withKey({ 'inventory.json': ssh() }), args: ['-e', '@ROOT/missing.yml'], want: ['missing.yml', '--extra-vars', 'a readable YAML or JSON file', 'ENOENT'] },
  // vault
  { name: 'vault: encrypted vars, no password', files: withKey({ 'inventory.json': ssh(), 'group_vars/all/vault.yml': encryptVault('x: 1\n', 'pw') }), want: ['group_vars/all/vault.yml', '(vault)', 'a vault password to decrypt it', 'none given'] },
  { name: 'vault: wrong password', files: withKey({ 'inventory.json': ssh(), 'pw': 'nope\n', 'group_vars/all/vault.yml': encryptVault('x: 1\n', 'pw') }), args: ['--vault-password-file', 'ROOT/pw'], want: ['group_vars/all/vault.yml', '(vault)', 'the vault password it was encrypted with', 'HMAC mismatch'] },
  { name: 'vault: password file missing', files: withKey({ 'inventory.json': ssh() }), args: ['--vault-password-file', 'ROOT/no-such-pw'], want: ['no-such-pw', '--vault-password-file', 'a readable vault password file', 'no such file'] },
  { name: 'vault: truncated inline value', files: groupVars('db_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3132\n'), args: ['--vault-password-file', 'ROOT/pw'], want: ['group_vars/all.yml', 'db_password', 'salt, HMAC and ciphertext', '1 parts'] },
  // retry state
  { name: '--retry with no previous run', files: withKey({ 'inventory.json': ssh() }), args: ['--retry'], want: ['state/last-run.json', '--retry', 'a previous run record', 'none'] },
  { name: '--retry after a run of another playbook', files: withKey({ 'inventory.json': ssh(), 'state/last-run.json': JSON.stringify({ version: 1, runId: 'r1', playbook: 'other', failedHosts: ['m1'], unreachableHosts: [] }) }), args: ['--retry'], want: ['state/last-run.json', 'playbook', "a last run of 'bad-input'", "a run of 'other'"] },
  { name: '--retry after a --check run', files: withKey({ 'inventory.json': ssh(), 'state/last-run.json': JSON.stringify({ version: 1, runId: 'r2', playbook: 'bad-input', checkMode: true, failedHosts: ['m1'], unreachableHosts: [] }) }), args: ['--retry'], want: ['state/last-run.json', '--retry', 'a last run that applied changes', 'check run r2'] },
]

for (const c of cases) {
  test(c.name, async () => {
    const files = c.files
    const root = writeTree({ pw: 'pw\n', ...files })
    const fix = (x: string): string => x.replace(/ROOT/g, root).replace(/"KEY"/g, JSON.stringify(join(root, 'id_ed25519')))
    for (const [k, v] of Object.entries(files)) if (v.includes('ROOT') || v.includes('"KEY"')) writeFileSync(join(root, k), fix(v))
    const inv = c.inv?.startsWith('lab:') ? c.inv : join(root, c.inv ?? 'inventory.json')
    const lines: string[] = []
    const before = connectSpy.count()
    const code = await runCli(pb, ['-i', inv, '--state-dir', join(root, 'state'), ...(c.args ?? []).map(fix)],
      { out: (l) => lines.push(l), err: (l) => lines.push(l) })
    const out = lines.join('\n')
    assert.is(code, EXIT.invalidInput, out)
    assert.is(connectSpy.count(), before, 'nothing was contacted')
    assert.match(out, 'invalid input, nothing was contacted')
    const [file, key, expected, found] = c.want
    // `<file>: <key>: expected <expected>, found <found>`
    const hit = out.split('\n').find((l) => {
      const at = l.indexOf(`: ${key}: expected `)
      const f = l.lastIndexOf(', found ')
      return at >= 0 && f > at && l.slice(0, at).includes(file) && l.slice(at, f).includes(expected) && l.slice(f).includes(found)
    })
    assert.ok(hit, `no line with file '${file}', key '${key}', expected '${expected}', found '${found}' in:\n${out}`)
  })
}

test(`at least 40 cases (${cases.length})`, () => {
  assert.ok(cases.length >= 40)
  assert.is(connectSpy.count(), 0)
})

test.run()
