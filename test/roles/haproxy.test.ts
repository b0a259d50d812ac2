/**
 * The haproxy role's pure parts: rendered configs (golden, seed 001's topology), settings merging
 * and validation (every problem named by its key, secrets never shown), and the API endpoint helper.
 */
import { inspect } from 'node:util'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { secret } from '../../lib/secret.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import { play, playbook } from '../../lib/engine/task.ts'
import { ConfigError, ConfigErrors, ModuleError } from '../../lib/errors.ts'
import { inventoryFromSpec } from '../../lib/inventory/resolve.ts'
import {
  apiEndpoint, haproxy, haproxyModel, mergeHaproxySettings, renderHaproxyConfig, renderKeepalivedConfig, type HaproxyParams,
} from '../../roles/haproxy/index.ts'
import { Recorder } from '../helpers/stub.ts'

// Seed 001: HAProxy .21, masters .22-.24, workers .25-.27 (plus a second HAProxy for keepalived).
const addr = (n: number) => ({ address: `10.110.190.${n}` })
const inv = inventoryFromSpec({
  hosts: { lb1: addr(21), lb2: addr(20), m1: addr(22), m2: addr(23), m3: addr(24), w1: addr(25), w2: addr(26), w3: addr(27) },
  groups: { haproxy: { hosts: ['lb1', 'lb2'] }, masters: { hosts: ['m1', 'm2', 'm3'] }, workers: { hosts: ['w1', 'w2', 'w3'] }, empty: { hosts: [] } },
}, 'seed001 inventory')
const PASSWORD = 'Zx9-stats-Pw_42'
const model = (vars: Record<string, unknown> = {}, params: Partial<HaproxyParams> = {}, host = 'lb1') =>
  haproxyModel(mergeHaproxySettings({ statsPassword: PASSWORD, ...vars }, params), inv, host)
const errorOf = (fn: () => unknown): Error => {
  try { fn() } catch (e) { return e as Error }
  throw new Error('expected an error')
}

const GOLDEN = `# Managed by kubeplay (role haproxy) on lb1. Local changes are overwritten.
global
    log /dev/log local0
    log /dev/log local1 notice
    chroot /var/lib/haproxy
    stats socket /run/haproxy/admin.sock mode 660 level admin
    stats timeout 30s
    user haproxy
    group haproxy
    daemon

defaults
    log global
    mode tcp
    option tcplog
    option dontlognull
    option redispatch
    retries 3
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h
    timeout check 10s
    default-server inter 10s downinter 5s rise 2 fall 2 slowstart 60s maxconn 250 maxqueue 256 weight 100

frontend stats
    mode http
    option httplog
    bind *:8404
    stats enable
    stats uri /stats
    stats refresh 10s
    stats realm HAProxy\\ statistics
    stats auth admin:${PASSWORD}

frontend kube-apiserver
    bind *:6443
    default_backend kube-apiserver

backend kube-apiserver
    balance roundrobin
    option httpchk
    http-check connect ssl
    http-check send meth GET uri /readyz
    http-check expect status 200
    server m1 10.110.190.22:6443 check verify none
    server m2 10.110.190.23:6443 check verify none
    server m3 10.110.190.24:6443 check verify none

frontend ingress-http
    bind *:80
    default_backend ingress-http

backend ingress-http
    balance roundrobin
    option tcp-check
    server w1 10.110.190.25:32624 check
    server w2 10.110.190.26:32624 check
    server w3 10.110.190.27:32624 check

frontend ingress-https
    bind *:443
    default_backend ingress-https

backend ingress-https
    balance roundrobin
    option tcp-check
    server w1 10.110.190.25:31316 check
    server w2 10.110.190.26:31316 check
    server w3 10.110.190.27:31316 check
`

test('seed 001 defaults: API 6443 round robin over 3 masters, stats 8404, ingress 80/443 to NodePorts 32624/31316', () => {
  assert.fixture(renderHaproxyConfig(model()), GOLDEN)
})

test('health checks: GET /readyz over TLS by default (not the cluster CA); tcp: a connect check, as seed 001', () => {
  assert.ok(renderHaproxyConfig(model()).includes('    http-check send meth GET uri /readyz\n'))
  const cfg = renderHaproxyConfig(model({ apiHealthCheck: 'tcp' }))
  assert.ok(cfg.includes(`backend kube-apiserver
    balance roundrobin
    option tcp-check
    server m1 10.110.190.22:6443 check
    server m2 10.110.190.23:6443 check
`), cfg)
})

test('vars set one nested key without restating the others; params override vars', () => {
  const m = model({ ingress: { httpNodePort: 30080 }, timeouts: { client: '1m' } }, { apiPort: 8443, timeouts: { server: '2m' } as HaproxyParams['timeouts'] })
  assert.equal(m.s.ingress, { enabled: true, httpPort: 80, httpsPort: 443, httpNodePort: 30080, httpsNodePort: 31316 })
  assert.equal(m.s.timeouts, { connect: '5s', client: '1m', server: '2m', tunnel: '1h', check: '10s' })
  const cfg = renderHaproxyConfig(m)
  assert.ok(cfg.includes('    bind *:8443\n') && cfg.includes('server w1 10.110.190.25:30080 check'))
})

test('ingress disabled: no ingress frontends, and no workers group needed', () => {
  const cfg = renderHaproxyConfig(model({ ingress: { enabled: false }, workersGroup: 'nosuch' }))
  assert.not.ok(cfg.includes('ingress'))
  assert.ok(cfg.trimEnd().endsWith('server m3 10.110.190.24:6443 check verify none'))
})

test('IPv6 backends are bracketed', () => {
  const v6 = inventoryFromSpec({ hosts: { lb: { address: 'fd00::1' }, m: { address: 'fd00::2' } }, groups: { masters: { hosts: ['m'] } } }, 'v6')
  const m = haproxyModel(mergeHaproxySettings({ statsPassword: PASSWORD, ingress: { enabled: false } }, {}), v6, 'lb')
  assert.equal(m.masters, [{ name: 'm', address: '[fd00::2]:6443' }])
})

const KEEPALIVED_LB2 = `# Managed by kubeplay (role haproxy) on lb2. Local changes are overwritten.
global_defs {
    router_id lb2
    enable_script_security
    script_user root
}

vrrp_script chk_haproxy {
    script "/bin/systemctl is-active --quiet haproxy"
    interval 2
    fall 2
    rise 2
}

vrrp_instance haproxy_vip {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 140
    advert_int 1
    unicast_src_ip 10.110.190.20
    unicast_peer {
        10.110.190.21
    }
    authentication {
        auth_type PASS
        auth_pass vrrp1234
    }
    virtual_ipaddress {
        10.110.190.10
    }
    track_script {
        chk_haproxy
    }
}
`

test('keepalived: first peer MASTER 150, the next BACKUP 140, unicast to each other (golden)', () => {
  const ka = { keepalived: { enabled: true, vip: '10.110.190.10', interface: 'eth0', authPass: 'vrrp1234' } }
  assert.fixture(renderKeepalivedConfig(model(ka, {}, 'lb2')), KEEPALIVED_LB2)
  const lb1 = model(ka, {}, 'lb1').keepalived!
  assert.equal([lb1.state, lb1.priority, lb1.peers], ['MASTER', 150, ['10.110.190.20']])
  const swapped = model({ keepalived: { ...ka.keepalived, priorities: { lb2: 200 } } }, {}, 'lb2').keepalived!
  assert.equal([swapped.state, swapped.priority], ['MASTER', 200])
})

test('settings problems are one ModuleError naming each key', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ statsPort: 70000 }, /haproxy\.statsPort: expected an integer 1\.\.65535, found 70000/],
    [{ ingress: { httpNodePort: 0 } }, /haproxy\.ingress\.httpNodePort: expected an integer 30000\.\.32767, found 0/],
    [{ ingress: { httpNodePort: 8080 } }, /haproxy\.ingress\.httpNodePort: expected an integer 30000\.\.32767, found 8080/],
    [{ ingress: { httpPort: 8404 } }, /haproxy\.ingress\.httpPort: expected a port no other frontend binds, found 8404, also haproxy\.statsPort/],
    [{ timeouts: { connect: '5 seconds' } }, /haproxy\.timeouts\.connect: expected an HAProxy time like '5s'/],
    [{ keepalived: { enabled: true, vip: '10.0.0.300', interface: 'eth0', authPass: 'kaPw77' } }, /haproxy\.keepalived\.vip: expected an IPv4 address, found "10\.0\.0\.300"/],
    [{ keepalived: { enabled: true, interface: 'eth0', authPass: 'kaPw77' } }, /haproxy\.keepalived\.vip: expected the virtual IPv4 address \(keepalived is enabled\), found nothing/],
    [{ keepalived: { enabled: true, vip: '10.110.190.21', interface: 'eth0', authPass: 'kaPw77' } }, /haproxy\.keepalived\.vip: expected an address no host has, found 10\.110\.190\.21, the address of lb1/],
    [{ keepalived: { enabled: true, vip: '10.0.0.9', interface: 'eth0', authPass: 'toolongforvrrp' } }, /haproxy\.keepalived\.authPass: expected a string or secret\(\) of 6-8 printable characters.*found a secret that does not fit/],
    [{ keepalived: { enabled: true, vip: '10.0.0.9', interface: 'eth0', authPass: 'kaPw77', peersGroup: 'masters' } }, /haproxy\.keepalived\.peersGroup: expected this host \(lb1\) in group 'masters', found m1, m2, m3/],
    [{ mastersGroup: 'nosuch' }, /haproxy\.mastersGroup: expected an inventory group with the Kubernetes API servers \(masters\), found no group 'nosuch' in seed001 inventory/],
    [{ mastersGroup: 'empty' }, /haproxy\.mastersGroup: expected the Kubernetes API servers \(masters\) in group 'empty', found an empty group/],
    [{ workersGroup: 'empty' }, /haproxy\.workersGroup: expected the ingress workers \(or set haproxy\.ingress\.enabled: false\) in group 'empty'/],
    [{ statsPassword: undefined }, /haproxy\.statsPassword: expected a secret for the stats page .* there is no default password/],
    [{ statsPassword: 'short' }, /haproxy\.statsPassword: expected .*8\+ printable characters.*found a secret that does not fit/],
    [{ statsPasword: 'typo' }, /haproxy\.statsPasword: expected a known key \(did you mean 'statsPassword'\?\)/],
  ]
  for (const [vars, re] of cases) {
    const e = errorOf(() => model(vars))
    assert.instance(e, ModuleError, String(vars))
    assert.match(e.message, re)
  }
  const spaced = errorOf(() => model({ statsPassword: 'has a space in it' }))
  assert.not.ok(spaced.message.includes('has a space'), spaced.message)
})

test('params given in the playbook are checked when the role is built, before any connection', () => {
  const e = errorOf(() => haproxy({ statsPort: 0, keepalived: { vip: 'nope' } as HaproxyParams['keepalived'] }))
  assert.instance(e, ConfigErrors)
  assert.match(e.message, /haproxy\.statsPort: expected an integer 1\.\.65535, found 0/)
  assert.match(e.message, /haproxy\.keepalived\.vip: expected an IPv4 address, found "nope"/)
})

test('the password stays a Secret until rendering: the model never prints it', () => {
  const m = model({}, { statsPassword: secret('from-a-secret-123') })
  assert.not.ok(inspect(m, { depth: 9 }).includes('from-a-secret-123'))
  assert.not.ok(JSON.stringify(m).includes('from-a-secret-123'))
  assert.ok(renderHaproxyConfig(m).includes('stats auth admin:from-a-secret-123\n'))
})

test('settings problems are found before any connection (the role\'s preflight), naming the key', async () => {
  const rec = new Recorder()
  const refused = async (params: Partial<HaproxyParams>): Promise<string> => {
    const pb = playbook('pb', [play('lb', { hosts: 'haproxy', items: [haproxy({ statsPassword: secret(PASSWORD), ...params })] })])
    try { await runPlaybook(pb, { inventory: inv, connector: rec.connector }); return 'accepted' } catch (e) { return (e as Error).message }
  }
  assert.match(await refused({ mastersGroup: 'empty' }), "seed001 inventory: haproxy.mastersGroup: expected the Kubernetes API servers (masters) in group 'empty', found an empty group")
  assert.match(await refused({ apiPort: 8404 }), 'seed001 inventory: haproxy.statsPort: expected a port no other frontend binds, found 8404, also haproxy.apiPort')
  assert.match(await refused({ keepalived: { enabled: true, vip: '10.110.190.22', interface: 'eth0', authPass: 'kaPw77' } as unknown as HaproxyParams['keepalived'] }),
    'haproxy.keepalived.vip: expected an address no host has, found 10.110.190.22, the address of m1')
  assert.equal(rec.connected, [], 'nothing contacted')
})

test('apiEndpoint: the VIP, else the first HAProxy host; a missing HAProxy host is a ConfigError', () => {
  assert.is(apiEndpoint(inv), '10.110.190.21:6443')
  assert.is(apiEndpoint(inv, { vip: '10.110.190.10', port: 8443 }), '10.110.190.10:8443')
  for (const [group, found] of [['lb', 'no such group (missing HAProxy host)'], ['empty', 'an empty group']]) {
    const e = errorOf(() => apiEndpoint(inv, { group }))
    assert.instance(e, ConfigError)
    assert.match(e.message, `seed001 inventory: groups.${group}: expected at least one HAProxy host (the API endpoint), found ${found}`)
  }
})

test.run()
