/**
 * `npx tsx bench/cluster.ts`: a real cluster build timed as a user waits for it (issue 15, target
 * 5). Bare lab hosts (seed 001 layout, kubernetes mode, booted fresh) → `npx tsx playbooks/site.ts
 * -i lab:kpbench --json …` as a whole process → 6 nodes Ready. The run's JSON report splits the hosts'
 * time by what it was spent in: kubeadm (init, join), apt, image import into containerd, waiting
 * for Kubernetes (API up, rollouts), kubectl (applies answered by the API server), and kubeplay's
 * own (every other task: checks, files, uploads, services, the SSH round trips). Summed over hosts
 * and on the busiest host; the lab is removed at the end (`--keep` keeps it). `--write` fills the
 * `cluster` section of docs/performance.md. Needs the kubernetes bundle (built or reused first) and
 * no other kubernetes-mode lab up (they share one subnet).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildBundle } from '../lib/bundle/build.ts'
import { labDown, labUp } from '../lib/lab/index.ts'
import { kubernetesDefaults } from '../roles/kubernetes/settings.ts'
import { childCpuMs } from './measure.ts'
import { machine, machineLines, markdown, markers, writeSection } from './table.ts'
import { withoutSourceCondition } from '../scripts/build.ts'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const LAB = 'kpbench'

export const CATEGORIES = ['kubeadm', 'apt', 'image import', 'waiting for Kubernetes', 'kubectl', 'kubeplay'] as const
export type Category = (typeof CATEGORIES)[number]

/** Pure: what a task's time was spent in, by its module. */
export function categoryOf(module: string | null): Category {
  switch (module) {
    case 'kubeadmInit': case 'kubeadmJoin': return 'kubeadm'
    case 'aptPackages': case 'aptRepository': return 'apt'
    case 'containerdImage': return 'image import'
    case 'kubectlWait': case 'waitFor': case 'waitControlPlane': return 'waiting for Kubernetes'
    case 'kubectl': return 'kubectl'
    default: return 'kubeplay'
  }
}

interface ReportTask { readonly host: string; readonly module: string | null; readonly durationMs: number }

/** Pure: per category, the time summed over hosts and on the busiest host (the one with the most task time). */
export function splitTime(tasks: readonly ReportTask[]): { busiest: string; rows: Array<{ category: Category; allHostsMs: number; busiestMs: number }> } {
  const byHost = new Map<string, Map<Category, number>>()
  for (const t of tasks) {
    const m = byHost.get(t.host) ?? new Map<Category, number>()
    m.set(categoryOf(t.module), (m.get(categoryOf(t.module)) ?? 0) + t.durationMs)
    byHost.set(t.host, m)
  }
  const total = (m: Map<Category, number>): number => [...m.values()].reduce((a, b) => a + b, 0)
  const busiest = [...byHost].sort((a, b) => total(b[1]) - total(a[1]))[0]?.[0] ?? '-'
  const rows = CATEGORIES.map((category) => ({
    category,
    allHostsMs: [...byHost.values()].reduce((n, m) => n + (m.get(category) ?? 0), 0),
    busiestMs: byHost.get(busiest)?.get(category) ?? 0,
  }))
  return { busiest, rows }
}


const sh = (cmd: string[], input = ''): { code: number | null; out: string } => {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd: ROOT, input, encoding: 'utf8', maxBuffer: 64 * 2 ** 20, env: withoutSourceCondition() })
  return { code: r.status, out: `${r.stdout}${r.stderr}` }
}

async function main(argv: readonly string[]): Promise<void> {
  const log = (l: string): void => { process.stderr.write(`${l}\n`) }
  const m = machine()
  const version = kubernetesDefaults.version
  const b = await buildBundle({ kubernetes: version, log: (l) => log(`bundle: ${l}`) })
  log(`bundle ${version}: ${b.built ? 'built' : 'reused'}`)
  await labDown({ name: LAB }).catch(() => {})
  const t0 = Date.now()
  const lab = await labUp({ name: LAB, layout: 'seed001', kubernetes: true, log: (l) => log(`lab: ${l}`) })
  const labMs = Date.now() - t0
  const work = mkdtempSync(join(tmpdir(), 'kpbench-cluster-'))
  try {
    const json = join(work, 'run.json')
    const cpu0 = childCpuMs()
    const t1 = Date.now()
    const run = sh(['npx', 'tsx', 'playbooks/site.ts', '-i', `lab:${LAB}`, '--state-dir', join(work, 'state'), '--json', json])
    const siteMs = Date.now() - t1
    const cpuMs = childCpuMs() - cpu0
    if (run.code !== 0) throw new Error(`site exited ${run.code}:\n${run.out.split('\n').slice(-30).join('\n')}`)
    const ssh = ['ssh', '-F', join(lab.inventoryPath, '..', 'ssh_config'), 'lab2']
    let ready = 0
    while (Date.now() - t1 < siteMs + 300_000) {
      const nodes = sh([...ssh, 'kubectl get nodes --no-headers']).out.split('\n').filter((l) => /^lab\d/.test(l))
      ready = nodes.filter((l) => /\sReady\s/.test(l)).length
      if (ready === 6) break
      await new Promise((r) => setTimeout(r, 2000))
    }
    const readyMs = Date.now() - t1
    if (ready !== 6) throw new Error(`${ready} nodes Ready 5 min after site ended`)
    const report = JSON.parse(readFileSync(json, 'utf8')) as { tasks: ReportTask[]; totals: { tasks: number; changed: number } }
    const { busiest, rows } = splitTime(report.tasks)
    const s = (ms: number): string => (ms / 1000).toFixed(1)
    const lines = [
      `### Bare lab hosts → 6 nodes Ready, Kubernetes ${version} from the offline bundle`,
      '',
      ...machineLines(m, `lab up (7 fresh hosts) ${s(labMs)} s, not counted below; load average at end ${machine().load.map((x) => x.toFixed(2)).join(' / ')}`),
      '',
      `- \`npx tsx playbooks/site.ts\` as a whole process: **${s(siteMs)} s** wall (controller CPU ${s(cpuMs)} s), ${report.totals.tasks} task results, ${report.totals.changed} changed`,
      `- 6 nodes Ready **${s(readyMs)} s** after the process started`,
      '',
      ...markdown(['Time spent in', 'All hosts, s', `Busiest host (${busiest}), s`], rows.map((r) => [r.category, s(r.allHostsMs), s(r.busiestMs)]), [false, true, true]),
    ]
    const text = lines.join('\n')
    process.stdout.write(`${text}\n`)
    if (argv.includes('--write')) {
      writeSection(join(ROOT, 'docs/performance.md'), lines, markers('cluster', 'npx tsx bench/cluster.ts --write'))
      log('cluster: wrote docs/performance.md (cluster section)')
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
    if (!argv.includes('--keep')) await labDown({ name: LAB })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2))
