/**
 * The haproxy role through the real engine and SSH on lab hosts: lab3 is the load balancer,
 * lab1/lab2 are "masters" that only run a stand-in TCP listener on :6443 (a transient systemd unit,
 * stopped afterwards), lab2 is also the "worker" (its NodePorts stay closed: those servers are DOWN).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import { ConfigErrors } from '../../lib/errors.ts'
import * as assert from 'uvu/assert'
import { connectorFor } from '../../lib/cli/main.ts'
import { sh, type ShellCommand } from '../../lib/connection/quote.ts'
import { type Secret } from '../../lib/secret.ts'
import type { Connection } from '../../lib/connection/types.ts'
import type { RunResult } from '../../lib/engine/results.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import { play, playbook } from '../../lib/engine/task.ts'
import { loadInventory } from '../../lib/inventory/load.ts'
import { inventoryFromSpec } from '../../lib/inventory/resolve.ts'
import type { Inventory, InventorySpec } from '../../lib/inventory/types.ts'
import { assertLabAddress, type LabInfo } from '../../lib/lab/index.ts'
import { generatedSecret } from '../../lib/secrets.ts'
import { haproxy, HAPROXY_CFG, type HaproxyParams } from '../../roles/haproxy/index.ts'
import { labConnect } from '../lab/connect.ts'
import { testLab } from '../lab/harness.ts'

const STANDIN = 'kp-standin-api'
let lab: LabInfo
let inv: Inventory
let lb: Connection
const masters: Connection[] = []
let stateDir: string
let password: Secret
let lbAddr: string

const out = async (c: Connection, cmd: ShellCommand): Promise<string> => (await c.exec(cmd)).stdout.trim()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The lab's hosts with their real connection settings, in groups of our own. */
async function labInventory(l: LabInfo, groups: Record<string, string[]>): Promise<Inventory> {
  const base = await loadInventory(l.inventoryPath)
  const hosts: InventorySpec['hosts'] = Object.fromEntries([...base.hosts.values()].map((h) => [h.name, {
    address: h.connection.address, port: h.connection.port, user: h.connection.user,
    keyFile: h.connection.keyFile, knownHosts: h.connection.knownHosts, connection: 'ssh' as const,
  }]))
  return inventoryFromSpec({ hosts, groups: Object.fromEntries(Object.entries(groups).map(([g, hs]) => [g, { hosts: hs }])) }, 'haproxy lab test')
}

async function run(params: Partial<HaproxyParams> = {}, checkMode = false): Promise<RunResult> {
  // The stand-in "API servers" answer plain TCP, not TLS /readyz: connect checks here (the real
  // cluster test has the default https checks against real API servers).
  const pb = playbook('haproxy', [play('Load balancer', { hosts: 'haproxy', items: [haproxy({ statsPassword: password, apiHealthCheck: 'tcp', ...params })] })])
  const t0 = Date.now()
  const r = await runPlaybook(pb, { inventory: inv, connector: connectorFor(inv, { hostKeyPolicy: 'strict' }), checkMode })
  console.log(`  run${checkMode ? ' (check)' : ''} ${JSON.stringify(params, (k, v) => (k === 'statsPassword' ? undefined : v))}: ${Date.now() - t0} ms ${JSON.stringify(r.recap.lab3)}`)
  return r
}

const statuses = (r: RunResult, status: string) => r.results.filter((x) => x.status === status).map((x) => `${x.task}: ${x.reason}`)
const mainPid = () => out(lb, sh`systemctl show -p MainPID --value haproxy`)
const workerPids = () => out(lb, sh`pgrep -P "$(systemctl show -p MainPID --value haproxy)" | sort | tr '\n' ' '`)
const statsCode = (c: Connection, uri: string, auth?: Secret) =>
  out(c, auth ? sh`curl -s -o /dev/null -w '%{http_code}' -u ${'admin:'}${auth} http://${lbAddr}:8404${uri}` // the -u value is one word
    : sh`curl -s -o /dev/null -w '%{http_code}' http://${lbAddr}:8404${uri}`)

/** One TCP connection to lab3:6443 from lab1; what the backend said first. */
const apiToken = () => out(masters[0]!, sh`python3 -c ${"import socket,sys\ns=socket.create_connection((sys.argv[1],6443),5)\ns.settimeout(5)\nprint(s.recv(64).decode().strip())"} ${lbAddr}`)

/** Server status column of the stats CSV, per `backend/server`. */
async function serverStates(): Promise<Record<string, string>> {
  const csv = await out(lb, sh`curl -s -u ${'admin:'}${password} ${`http://127.0.0.1:8404/stats;csv`}`)
  const [head, ...rows] = csv.split('\n')
  const cols = head!.replace(/^# /, '').split(',')
  const st = cols.indexOf('status')
  return Object.fromEntries(rows.map((l) => l.split(',')).filter((f) => f[1] !== 'FRONTEND' && f[1] !== 'BACKEND').map((f) => [`${f[0]}/${f[1]}`, f[st]!]))
}

test.before(async () => {
  lab = await testLab({ hosts: 3 })
  for (const h of lab.hosts) assertLabAddress(h.address)
  inv = await labInventory(lab, { haproxy: ['lab3'], masters: ['lab1', 'lab2'], workers: ['lab2'] })
  lbAddr = inv.hosts.get('lab3')!.connection.address
  lb = await labConnect(lab, 2)
  masters.push(await labConnect(lab, 0), await labConnect(lab, 1))
  stateDir = mkdtempSync(join(tmpdir(), 'kp-haproxy-'))
  password = generatedSecret('haproxy-stats', stateDir)
  // Stand-in API servers: each answers its own name, so the balancing is visible.
  const server = 'import socket,sys\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(("0.0.0.0",6443))\ns.listen(64)\n'
    + 'while True:\n  c,_=s.accept()\n  try: c.sendall(("standin-"+sys.argv[1]+"\\n").encode())\n  except OSError: pass\n  c.close()\n'
  for (const [i, c] of masters.entries()) {
    await c.exec(sh`systemctl stop ${STANDIN} 2>/dev/null; systemctl reset-failed ${STANDIN} 2>/dev/null; true`)
    const r = await c.exec(sh`systemd-run --unit ${STANDIN} --collect python3 -c ${server} ${`lab${i + 1}`}`)
    assert.is(r.code, 0, r.stderr)
  }
})

test.after(async () => {
  for (const c of masters) { await c.exec(sh`systemctl stop ${STANDIN} 2>/dev/null; true`); await c.close() }
  if (lb) {
    await lb.exec(sh`systemctl stop haproxy keepalived 2>/dev/null; DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=120 purge haproxy keepalived >/dev/null 2>&1; rm -rf /etc/haproxy /etc/keepalived`)
    await lb.close()
  }
  if (stateDir) rmSync(stateDir, { recursive: true, force: true })
})

test('first run installs, configures and starts HAProxy with 0 failed; the password never shows', async () => {
  const r = await run()
  assert.equal(statuses(r, 'failed'), [])
  assert.ok(r.recap.lab3!.changed >= 2, JSON.stringify(r.recap))
  const cfg = r.results.find((x) => x.task === 'Write the HAProxy configuration')!
  assert.is(cfg.status, 'changed')
  assert.ok(cfg.diff?.after?.includes('stats auth admin:***'), cfg.diff?.after ?? 'no diff')
  assert.not.ok(JSON.stringify(r).includes(password.reveal()), 'the password leaked into the run result')
  // The reload handler returns once HAProxy got SIGUSR2; systemd shows `reloading` until the new worker is ready.
  let state = ''
  for (let i = 0; i < 40 && state !== 'active'; i++) { state = await out(lb, sh`systemctl is-active haproxy`); if (state !== 'active') await sleep(250) }
  assert.is(state, 'active')
  assert.is(await out(lb, sh`systemctl is-enabled haproxy`), 'enabled')
})

test('second run changes nothing; check mode after convergence plans nothing', async () => {
  const pid = await mainPid()
  const r = await run()
  assert.equal(statuses(r, 'failed'), [])
  assert.equal(statuses(r, 'changed'), [])
  assert.not.ok(r.results.some((x) => x.handler), 'no handler runs when nothing changed')
  const c = await run({}, true)
  assert.equal(statuses(c, 'changed'), [])
  assert.is(await mainPid(), pid)
})

test('the live config passes haproxy -c and is 0640 root:haproxy, holding the real password', async () => {
  const r = await lb.exec(sh`haproxy -c -f ${HAPROXY_CFG}`)
  assert.is(r.code, 0, r.stderr)
  assert.is(await out(lb, sh`stat -c '%a %U %G' ${HAPROXY_CFG}`), '640 root haproxy')
  assert.is(await out(lb, sh`grep -c -F -- ${password} ${HAPROXY_CFG}`), '1')
})

test('stats page on :8404 answers 401 without the password and 200 with it (from lab1)', async () => {
  assert.is(await statsCode(masters[0]!, '/stats'), '401')
  assert.is(await statsCode(masters[0]!, '/stats', password), '200')
})

test('lab3:6443 is balanced round robin over both masters; a master that dies is marked DOWN and skipped', async () => {
  const seen = new Set<string>()
  for (let i = 0; i < 8; i++) seen.add(await apiToken())
  assert.equal([...seen].sort(), ['standin-lab1', 'standin-lab2'])
  await masters[1]!.exec(sh`systemctl stop ${STANDIN}`)
  const t0 = Date.now()
  let states = await serverStates()
  // Checks every 10 s (5 s once failing), 2 failures to go DOWN: lab2's API and its closed NodePorts.
  while (states['kube-apiserver/lab2'] !== 'DOWN' || states['ingress-http/lab2'] !== 'DOWN') {
    assert.ok(Date.now() - t0 < 60_000, `not marked DOWN within 60 s: ${JSON.stringify(states)}`)
    await sleep(1000)
    states = await serverStates()
  }
  console.log(`  lab2 marked DOWN after ${Date.now() - t0} ms`)
  assert.is(states['kube-apiserver/lab1'], 'UP')
  for (let i = 0; i < 4; i++) assert.is(await apiToken(), 'standin-lab1')
})

test('a config change reloads HAProxy (master process stays, workers replaced, new config served)', async () => {
  const pid = await mainPid()
  const workers = await workerPids()
  const r = await run({ statsUri: '/lb-stats' })
  assert.equal(statuses(r, 'failed'), [])
  assert.equal(r.results.filter((x) => x.handler).map((x) => `${x.task} ${x.status}`), ['Reload HAProxy changed'])
  assert.is(await mainPid(), pid, 'reload keeps the master process')
  let now = await workerPids()
  for (let i = 0; i < 20 && now === workers; i++) { await sleep(250); now = await workerPids() }
  assert.is.not(now, workers, 'the worker was replaced')
  assert.is(await statsCode(masters[0]!, '/lb-stats', password), '200')
  const again = await run({ statsUri: '/lb-stats' })
  assert.equal(statuses(again, 'changed'), [])
  assert.is(await workerPids(), now, 'no change, no reload')
  const back = await run()
  assert.equal(statuses(back, 'failed'), [])
  assert.is(await mainPid(), pid)
})

test('a config HAProxy rejects never replaces the live file; HAProxy keeps running', async () => {
  const before = await out(lb, sh`sha256sum ${HAPROXY_CFG}`)
  const pid = await mainPid()
  const r = await run({ balance: 'roundrobbin' })
  const failed = r.results.filter((x) => x.status === 'failed')
  assert.equal(failed.map((x) => x.task), ['Write the HAProxy configuration'])
  console.log(`  rejected: ${failed[0]!.reason}`)
  assert.match(failed[0]!.reason, /validation failed/)
  assert.match(failed[0]!.reason, /balance only supports/)
  assert.not.ok(failed[0]!.reason.includes(password.reveal()))
  assert.not.ok(r.results.some((x) => x.handler), 'no reload after a rejected config')
  assert.is(await out(lb, sh`sha256sum ${HAPROXY_CFG}`), before)
  assert.is(await out(lb, sh`ls -A /etc/haproxy | grep -c kubeplay || true`), '0', 'temp file left behind')
  assert.is(await mainPid(), pid)
  assert.is(await statsCode(masters[0]!, '/stats', password), '200')
})

test('keepalived: the VIP comes up on lab3, serves the stats page, follows HAProxy health; reruns change nothing', async () => {
  const vip = lbAddr.replace(/\.\d+$/, '.100')
  assertLabAddress(lbAddr)
  const ka = { enabled: true, vip, interface: 'host0', authPass: generatedSecret('vrrp', stateDir, 6), peersGroup: 'haproxy' }
  const r = await run({ keepalived: ka as HaproxyParams['keepalived'] })
  assert.equal(statuses(r, 'failed'), [])
  assert.ok(r.results.some((x) => x.task === 'Write the keepalived configuration' && x.status === 'changed'))
  assert.is(await out(lb, sh`keepalived -t -f /etc/keepalived/keepalived.conf >/dev/null 2>&1; echo $?`), '0')
  assert.is(await out(lb, sh`stat -c '%a %U' /etc/keepalived/keepalived.conf`), '640 root')
  const hasVip = async () => (await out(lb, sh`ip -4 -o addr show dev host0`)).includes(` ${vip}/32 `)
  const waitVip = async (want: boolean) => {
    const t0 = Date.now()
    while ((await hasVip()) !== want) {
      assert.ok(Date.now() - t0 < 20_000, `VIP ${vip} ${want ? 'not added' : 'not removed'} within 20 s`)
      await sleep(500)
    }
    return Date.now() - t0
  }
  console.log(`  VIP up after ${await waitVip(true)} ms`)
  assert.is(await out(masters[0]!, sh`curl -s -o /dev/null -w '%{http_code}' http://${vip}:8404/stats`), '401')
  const again = await run({ keepalived: ka as HaproxyParams['keepalived'] })
  assert.equal(statuses(again, 'changed'), [])
  await lb.exec(sh`systemctl stop haproxy`)
  console.log(`  VIP released ${await waitVip(false)} ms after HAProxy stopped`)
  await lb.exec(sh`systemctl start haproxy`)
  console.log(`  VIP back ${await waitVip(true)} ms after HAProxy started`)
})

test('settings problems are refused before the host is contacted, naming the key', async () => {
  const e = await run({ mastersGroup: 'nosuch' }).then(() => null, (x: Error) => x)
  assert.instance(e, ConfigErrors)
  assert.match(e!.message, /haproxy\.mastersGroup: expected an inventory group with the Kubernetes API servers \(masters\), found no group 'nosuch'/)
})

test.run()
