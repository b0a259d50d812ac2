/**
 * The site playbook on the seed 001 layout (1 haproxy, 3 masters, 3 workers) in a lab of its own,
 * on the distro of the runner's lab phase: converges, reruns with 0 changed, --check after
 * convergence plans nothing, --tags haproxy touches only the haproxy host. The Kubernetes plays are
 * skipped (no kubeadm packages here; test/roles/kubernetes-master.lab.test.ts covers them with stand-ins).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connectorFor } from '../../lib/cli/main.ts'
import { sh } from '../../lib/connection/quote.ts'
import { runRecorder } from '../../lib/engine/record.ts'
import type { RunResult } from '../../lib/engine/results.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import { loadInventory } from '../../lib/inventory/load.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import { labDown, labInfo, labUp, type LabInfo } from '../../lib/lab/index.ts'
import { site } from '../../playbooks/site.ts'
import { labConnect } from '../lab/connect.ts'

const name = `site${process.pid}`.slice(0, 12)
const distro = (process.env.KUBEPLAY_TEST_LAB && labInfo(process.env.KUBEPLAY_TEST_LAB)?.distro) || 'debian12'
const state = mkdtempSync(join(tmpdir(), 'kp-site-'))
let lab: LabInfo
let inventory: Inventory

const run = (o: { checkMode?: boolean; tags?: string[] } = {}): Promise<RunResult> => runPlaybook(site, {
  inventory, connector: connectorFor(inventory, { hostKeyPolicy: 'strict' }), skipTags: o.tags ? undefined : ['kubernetes'],
  tags: o.tags, checkMode: o.checkMode, reporter: runRecorder(state),
})
const changed = (r: RunResult): number => r.results.filter((x) => x.status === 'changed').length
const failures = (r: RunResult): string => r.results.filter((x) => x.status === 'failed' || x.status === 'unreachable').map((x) => `${x.host} ${x.task}: ${x.reason}`).join('\n')

test.before(async () => {
  lab = await labUp({ name, layout: 'seed001', distro })
  inventory = await loadInventory(lab.inventoryPath)
})
test.after(async () => {
  await labDown({ name })
  rmSync(state, { recursive: true, force: true })
})

test(`site converges on the seed 001 layout (${distro}), then reruns with 0 changed`, async () => {
  const first = await run()
  assert.is(failures(first), '')
  assert.ok(changed(first) > 40, `first run changed ${changed(first)} tasks`)
  assert.equal(Object.keys(first.recap).sort(), ['lab1', 'lab2', 'lab3', 'lab4', 'lab5', 'lab6', 'lab7'])
  const second = await run()
  assert.is(failures(second), '')
  assert.is(changed(second), 0, second.results.filter((x) => x.status === 'changed').map((x) => `${x.host} ${x.task}`).join('\n'))
})

test('--check after convergence plans 0 changes', async () => {
  const dry = await run({ checkMode: true })
  assert.is(failures(dry), '')
  assert.is(changed(dry), 0)
})

test('--tags haproxy touches only the haproxy host, and it serves', async () => {
  const r = await run({ tags: ['haproxy'] })
  assert.equal([...new Set(r.results.map((x) => x.host))], ['lab1'])
  const conn = await labConnect(lab, 2)
  try {
    const code = await conn.exec(sh`curl -s -o /dev/null -w '%{http_code}' http://lab1:8404/stats`)
    assert.is(code.stdout, '401')
    for (const h of lab.hosts) {
      const r = await conn.exec(sh`getent ahostsv4 ${h.name}`)
      assert.match(r.stdout, h.address, `${h.name} resolves to its address`)
    }
  } finally {
    await conn.close()
  }
})

test.run()
