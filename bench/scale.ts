/**
 * `npx tsx bench/scale.ts`: how far one controller goes. N loopback sshd hosts (distinct
 * 127.x.y.z addresses, one daemon each, killed by pid at the end), the bench playbook's 20 tasks,
 * converged runs with cold SSH (every run connects anew) at 50/200/500 hosts with forks 50/100/200,
 * as issue 15 asks; `--points 10:10,20:20` picks others. One unmeasured run converges each point,
 * then `--runs R` (default 3) measured runs. Reports wall, the controller's CPU per task·host, its
 * peak RSS, the machine's CPU and the hosts left unreachable; `--write` regenerates the `scale`
 * section of docs/performance.md. A benchmark: nothing here asserts a time.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runPlaybook } from 'kubeplay'
import { connectorFor } from 'kubeplay/cli'
import { runRecorder, type RunResult } from 'kubeplay/engine'
import { startLoopbackSshd } from '../test/lab/loopback-sshd.ts'
import { measure, summarise, type Sample } from './measure.ts'
import { BENCH_BASE, BENCH_TASKS, benchPlaybook } from './playbook.ts'
import { inventoryFor } from './run.ts'
import { machine, machineLines, markdown, markers, targetTable, writeSection, type Target } from './table.ts'

export interface ScalePoint { readonly hosts: number; readonly forks: number }

/** Pure: `--points 50:50,200:100` and `--runs R`. */
export function parseScaleArgs(argv: readonly string[]): { points: ScalePoint[]; runs: number; write: boolean } {
  const at = (flag: string): string | undefined => { const i = argv.indexOf(flag); return i < 0 ? undefined : argv[i + 1] }
  const points = (at('--points') ?? '50:50,200:100,500:200').split(',').map((p) => {
    const [h, f] = p.split(':').map(Number)
    if (!Number.isInteger(h) || !Number.isInteger(f) || h! < 1 || f! < 1 || h! > 2000) throw new Error(`--points: expected HOSTS:FORKS,… (hosts 1–2000), found '${p}'`)
    return { hosts: h!, forks: f! }
  })
  const runs = Number(at('--runs') ?? 3)
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, found '${at('--runs')}'`)
  return { points, runs, write: argv.includes('--write') }
}

interface PointResult { readonly point: ScalePoint; readonly s: ReturnType<typeof summarise>; readonly unreachable: number; readonly failed: number }

const count = (r: RunResult, st: string): number => new Set(r.results.filter((x) => x.status === st).map((x) => x.host)).size

export async function runScale(o: ReturnType<typeof parseScaleArgs>, log: (l: string) => void): Promise<string> {
  const m = machine()
  const t0 = Date.now()
  const most = Math.max(...o.points.map((p) => p.hosts))
  log(`scale: starting ${most} loopback sshd hosts`)
  const lab = await startLoopbackSshd(most, { namePrefix: 'n' })
  log(`scale: ${most} hosts up in ${((Date.now() - t0) / 1000).toFixed(0)} s (daemons' configs in ${lab.dir})`)
  const base = join(BENCH_BASE, `scale-${process.pid}`)
  const stateDir = mkdtempSync(join(tmpdir(), 'kpscale-state-'))
  const results: PointResult[] = []
  try {
    const inv = inventoryFor(lab, base)
    const names = [...inv.hosts.keys()]
    const run = (p: ScalePoint) => runPlaybook(benchPlaybook(), {
      inventory: inv, connector: connectorFor(inv, { hostKeyPolicy: 'strict' }), limit: names.slice(0, p.hosts), forks: p.forks, reporter: runRecorder(stateDir),
    })
    for (const p of o.points) {
      log(`scale: ${p.hosts} hosts, forks ${p.forks}: converging`)
      await run(p)
      const samples: Sample[] = []
      let unreachable = 0
      let failed = 0
      for (let i = 1; i <= o.runs; i++) {
        const { sample, value } = await measure(() => run(p))
        const changed = value.results.filter((x) => x.status === 'changed').length
        if (changed) throw new Error(`scale ${p.hosts} hosts: ${changed} changed tasks in a converged run (first: ${value.results.find((x) => x.status === 'changed')!.task})`)
        unreachable = Math.max(unreachable, count(value, 'unreachable'))
        failed = Math.max(failed, count(value, 'failed'))
        samples.push(sample)
        log(`scale: ${p.hosts} hosts, forks ${p.forks}, run ${i}/${o.runs}: ${(sample.wallMs / 1000).toFixed(2)} s, CPU ${(sample.cpuMs / 1000).toFixed(2)} s, peak RSS ${sample.peakRssMb.toFixed(0)} MB, unreachable ${count(value, 'unreachable')}`)
      }
      results.push({ point: p, s: summarise(samples), unreachable, failed })
    }
  } finally {
    await lab.stop()
    rmSync(base, { recursive: true, force: true })
    rmSync(stateDir, { recursive: true, force: true })
  }
  return scaleText(results, o.runs, m, `Bench wall time ${((Date.now() - t0) / 1000).toFixed(0)} s; load average at end ${machine().load.map((x) => x.toFixed(2)).join(' / ')}`)
}

/** Pure: the scale section's Markdown. */
export function scaleText(results: readonly PointResult[], runs: number, m: ReturnType<typeof machine>, extra: string): string {
  const perTaskHost = (r: PointResult): number => r.s.cpuMs / (r.point.hosts * BENCH_TASKS)
  const rows = results.map((r) => [
    String(r.point.hosts), String(r.point.forks),
    `${(r.s.wallMs / 1000).toFixed(2)} (${(r.s.minWallMs / 1000).toFixed(2)}–${(r.s.maxWallMs / 1000).toFixed(2)})`,
    (r.s.cpuMs / 1000).toFixed(2), perTaskHost(r).toFixed(3), r.s.peakRssMb.toFixed(0), (r.s.machineCpuMs / 1000).toFixed(1),
    String(r.unreachable), String(r.failed),
  ])
  const per = results.map(perTaskHost)
  const spread = Math.max(...per) / Math.min(...per)
  const largest = results[results.length - 1]!
  const targets: Target[] = [
    { what: `controller CPU per task·host, ${results[0]!.point.hosts} → ${largest.point.hosts} hosts`, limit: 'flat within 1.5×', measured: `${spread.toFixed(2)}× (max / min)`, ok: spread <= 1.5 },
    { what: `controller peak RSS at ${largest.point.hosts} hosts`, limit: '≤ 350 MB', measured: `${largest.s.peakRssMb.toFixed(0)} MB`, ok: largest.s.peakRssMb <= 350 },
    { what: 'hosts left unreachable (handshake storms)', limit: '0', measured: String(Math.max(...results.map((r) => r.unreachable))), ok: results.every((r) => r.unreachable === 0) },
  ]
  return [
    `### Scale: converged runs, ${BENCH_TASKS} tasks, cold SSH, medians of ${runs} run${runs > 1 ? 's' : ''}`,
    '',
    ...machineLines(m, extra),
    '',
    ...markdown(['Hosts', 'Forks', 'Wall s (min–max)', 'Controller CPU s', 'CPU ms per task·host', 'Peak RSS MB', 'Machine CPU s', 'Unreachable', 'Failed'],
      rows, [true, true, true, true, true, true, true, true, true]),
    '',
    ...targetTable(targets),
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const o = parseScaleArgs(process.argv.slice(2))
  const text = await runScale(o, (l) => process.stderr.write(`${l}\n`))
  process.stdout.write(`${text}\n`)
  if (o.write) {
    writeSection(fileURLToPath(new URL('../docs/performance.md', import.meta.url)), text.split('\n'), markers('scale', 'npx tsx bench/scale.ts --write'))
    process.stderr.write('scale: wrote docs/performance.md (scale section)\n')
  }
}
