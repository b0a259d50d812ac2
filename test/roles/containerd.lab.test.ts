/**
 * The containerd role (distribution package) on lab1 and lab2 through the real engine and SSH:
 * converges, a second run and a check run change nothing, the daemon answers with the written
 * config, a config.toml change restarts it exactly once, and a mirror (hosts.toml) restarts nothing.
 * Starts are counted by a test-only ExecStartPre drop-in that appends one line per start.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { changes, failures } from '../helpers/results.ts'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { connectorFor } from '../../lib/cli/main.ts'
import { play, playbook, type RunResult } from '../../lib/engine/index.ts'
import { runPlaybook, type RunOptions } from '../../lib/engine/run.ts'
import { loadInventory } from '../../lib/inventory/load.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import type { LabInfo } from '../../lib/lab/index.ts'
import { containerd, type ContainerdParams } from '../../roles/containerd/index.ts'
import { labConnect } from '../lab/connect.ts'
import { testLab } from '../lab/harness.ts'

const HOSTS = 'lab1:lab2'
const STARTS = '/run/kp-test-containerd-starts'
const DROPIN = '/etc/systemd/system/containerd.service.d/kp-test-count-starts.conf'
const MIRROR = 'https://mirror.kp-test.invalid'
let lab: LabInfo
let inventory: Inventory
const conns: Connection[] = []

const out = async (i: number, cmd: ReturnType<typeof sh>) => (await conns[i]!.exec(cmd)).stdout.trim()
const starts = async (i: number) => Number(await out(i, sh`cat ${STARTS} 2>/dev/null | wc -l`))

async function run(params: Partial<ContainerdParams> = {}, opts: Partial<RunOptions> = {}): Promise<RunResult> {
  const pb = playbook('containerd-test', [play('runtime', { hosts: HOSTS, items: [containerd({ kubernetesVersion: '1.30', ...params })] })])
  return runPlaybook(pb, { inventory, connector: connectorFor(inventory, { hostKeyPolicy: 'strict' }), ...opts })
}


test.before(async () => {
  lab = await testLab()
  inventory = await loadInventory(lab.inventoryPath, { cwd: lab.stateDir })
  conns.push(await labConnect(lab, 0), await labConnect(lab, 1))
  for (const c of conns) {
    await c.exec(sh`mkdir -p ${DROPIN.replace(/\/[^/]+$/, '')} && printf '%s\n' '[Service]' ${`ExecStartPre=/bin/sh -c 'echo start >> ${STARTS}'`} > ${DROPIN} && systemctl daemon-reload`)
  }
})

test.after(async () => {
  for (const c of conns) await c.exec(sh`rm -f ${DROPIN} ${STARTS}; rm -rf /etc/containerd/certs.d/docker.io; systemctl daemon-reload`)
  await Promise.all(conns.map((c) => c.close()))
})

test('first run installs and configures containerd with no failure', async () => {
  const t0 = Date.now()
  const r = await run()
  console.log(`  first run: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${changes(r).length} changed`)
  assert.equal(failures(r), [])
  assert.ok(r.results.some((x) => x.task === 'Restart containerd' && x.status === 'changed') ||
    !r.results.some((x) => x.task === 'Write containerd config.toml' && x.status === 'changed'), 'a written config.toml restarts containerd')
})

test('second run reports 0 changed and restarts nothing', async () => {
  const before = [await starts(0), await starts(1)]
  const t0 = Date.now()
  const r = await run()
  console.log(`  second run: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  assert.equal(failures(r), [])
  assert.equal(changes(r), [])
  assert.equal([await starts(0), await starts(1)], before)
  const ok = r.results.find((x) => x.host === 'lab1' && x.task === 'Check that containerd answers')!
  assert.match(ok.reason, /^containerd \S+ answers on \/run\/containerd\/containerd\.sock$/)
})

test('check mode after convergence reports 0 changes', async () => {
  const r = await run({}, { checkMode: true })
  assert.equal(failures(r), [])
  assert.equal(changes(r), [])
})

test('the daemon answers with the written config (1.x or 2.x format): systemd cgroups, pause 3.9, certs.d; crictl.yaml', async () => {
  for (const i of [0, 1]) {
    // Debian 12 ships containerd 1.6 (config version 2), Ubuntu 24.04 ships 2.x (version 3): both read back
    assert.match(await out(i, sh`ctr version`), /Server:\n\s+Version:\s+\d+\.\d+/)
    const dump = await out(i, sh`containerd config dump`)
    assert.match(dump, /SystemdCgroup = true/)
    assert.match(dump, /sandbox(_image)? = ["']registry\.k8s\.io\/pause:3\.9["']/)
    assert.match(dump, /config_path = ["']\/etc\/containerd\/certs\.d["']/)
    assert.match(await out(i, sh`cat /etc/crictl.yaml`), /^runtime-endpoint: unix:\/\/\/run\/containerd\/containerd\.sock$/m)
  }
})

test('a registry mirror writes hosts.toml and restarts nothing (containerd reads it at each pull)', async () => {
  const before = await starts(0)
  const r = await run({ registryMirrors: { 'docker.io': [MIRROR] } })
  assert.equal(failures(r), [])
  assert.equal(changes(r).map((c) => c.replace(/:.*/, '')).sort(), ['lab1 Write registry mirror hosts.toml files', 'lab2 Write registry mirror hosts.toml files'])
  assert.match(await out(0, sh`cat /etc/containerd/certs.d/docker.io/hosts.toml`), `server = "https://registry-1.docker.io"\n\n[host."${MIRROR}"]\n  capabilities = ["pull", "resolve"]`)
  assert.is(await starts(0), before)
  assert.equal(changes(await run({ registryMirrors: { 'docker.io': [MIRROR] } })), [])
})

test('dropping the mirror removes its hosts.toml', async () => {
  const r = await run()
  assert.equal(changes(r).length, 2)
  assert.is(await out(0, sh`ls /etc/containerd/certs.d`), '')
})

test('a config.toml change (Kubernetes 1.31: pause 3.10) restarts containerd exactly once; a rerun restarts nothing', async () => {
  const before = [await starts(0), await starts(1)]
  const pid = await out(0, sh`systemctl show -p MainPID --value containerd`)
  const r = await run({ kubernetesVersion: '1.31' })
  assert.equal(failures(r), [])
  assert.equal(r.results.filter((x) => x.task === 'Restart containerd').map((x) => `${x.host} ${x.status}`).sort(), ['lab1 changed', 'lab2 changed'])
  assert.equal([await starts(0), await starts(1)], [before[0]! + 1, before[1]! + 1])
  assert.is.not(await out(0, sh`systemctl show -p MainPID --value containerd`), pid)
  assert.match(await out(0, sh`containerd config dump`), /sandbox(_image)? = ["']registry\.k8s\.io\/pause:3\.10["']/)
  const again = await run({ kubernetesVersion: '1.31' })
  assert.equal(changes(again), [])
  assert.equal([await starts(0), await starts(1)], [before[0]! + 1, before[1]! + 1])
})

test.run()
