/**
 * Start-up as a user feels it: whole processes, timed from spawn to exit, the way the README runs
 * them. `--list-hosts` on the example inventory (seed 001's layout) is the yardstick: it loads the
 * site playbook, every role, the inventory and its group_vars, validates them, and contacts nothing.
 * kubeplay loads from dist/, as for a user; one more row loads it from its TypeScript sources (the
 * before). Floors in the same rounds: bare node, and node with the tsx loader. Medians of interleaved rounds,
 * with the controller CPU (user + system of the child) and the machine's load average.
 *
 *   npx tsx bench/startup.ts [--runs N] [--profile] [--write]
 *
 * --profile adds where the time goes: a --cpu-prof of the yardstick, grouped by package / directory,
 * for the main thread and tsx's loader thread. --write replaces the section between the
 * `startup:begin` / `startup:end` markers of docs/performance.md.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { childCpuMs } from './measure.ts'
import { markers, writeSection } from './table.ts'
import { withoutSourceCondition, withSourceCondition } from '../scripts/build.ts'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const TSX = join(ROOT, 'node_modules/.bin/tsx')

interface Case {
  readonly name: string
  readonly argv: readonly string[]
  /** Load kubeplay from its TypeScript sources (as before dist/ existed) rather than dist/. */
  readonly sources?: boolean
}

export const CASES: readonly Case[] = [
  { name: 'node -e 0 (floor)', argv: [process.execPath, '-e', '0'] },
  { name: 'node --import tsx -e 0 (tsx floor)', argv: [process.execPath, '--import', 'tsx', '-e', '0'] },
  { name: 'tsx -e 0 (the tsx command: a second node process)', argv: [TSX, '-e', '0'] },
  { name: 'tsx playbooks/site.ts -i inventory.ts --list-hosts', argv: [TSX, 'playbooks/site.ts', '-i', 'inventory.ts', '--list-hosts'] },
  { name: 'tsx playbooks/site.ts -i inventory.ts --list-hosts, kubeplay from its sources', argv: [TSX, 'playbooks/site.ts', '-i', 'inventory.ts', '--list-hosts'], sources: true },
  { name: 'npx tsx playbooks/site.ts -i inventory.ts --list-hosts', argv: ['npx', 'tsx', 'playbooks/site.ts', '-i', 'inventory.ts', '--list-hosts'] },
  { name: 'kubeplay inventory -i inventory.ts --list', argv: [process.execPath, 'bin/kubeplay.mjs', 'inventory', '-i', 'inventory.ts', '--list'] },
]

interface Sample { readonly wallMs: number; readonly cpuMs: number }

/** dist/ as a user loads it, or the sources (npm test's condition) for the before/after row. */
function envOf(c: Case): NodeJS.ProcessEnv {
  return c.sources ? withSourceCondition() : withoutSourceCondition()
}

function once(c: Case): Sample {
  const cpu0 = childCpuMs()
  const t0 = process.hrtime.bigint()
  const r = spawnSync(c.argv[0]!, c.argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: envOf(c) })
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`${c.name}: exit ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`)
  return { wallMs, cpuMs: childCpuMs() - cpu0 }
}

const median = (xs: readonly number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]! }

/** Self time of a --cpu-prof file grouped by npm package or kubeplay directory. */
export function profileGroups(file: string): { totalMs: number; groups: [string, number][] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: { id: number; callFrame: { url: string; functionName: string } }[]; samples: number[]; timeDeltas: number[] }
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const groups = new Map<string, number>()
  let total = 0
  p.samples.forEach((id, i) => {
    const n = byId.get(id)!
    const url = n.callFrame.url
    const key = url.includes('node_modules/') ? url.split('node_modules/').pop()!.split('/')[0]!
      : url.startsWith(`file://${ROOT}`) ? `kubeplay ${url.slice(`file://${ROOT}`.length).split('/').slice(0, 2).join('/')}`
      : url.startsWith('node:') ? 'node (module loader, built-ins)' : `(${n.callFrame.functionName || 'native'})`
    const dt = p.timeDeltas[i] ?? 0
    groups.set(key, (groups.get(key) ?? 0) + dt / 1000)
    total += dt / 1000
  })
  return { totalMs: total, groups: [...groups].sort((a, b) => b[1] - a[1]) }
}

function profile(c: Case): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'kp-startup-prof-'))
  try {
    const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', ...c.argv.slice(1)], { cwd: ROOT, stdio: 'ignore', env: envOf(c) })
    if (r.status !== 0) throw new Error(`profile of ${c.name}: exit ${r.status}`)
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()
    return files.flatMap((f, i) => {
      const g = profileGroups(join(dir, f))
      return [``, `${i === 0 ? 'Main thread' : 'tsx loader thread'} (${g.totalMs.toFixed(0)} ms sampled):`, ``,
        '| where | self ms |', '| --- | ---: |', ...g.groups.slice(0, 8).map(([k, ms]) => `| ${k} | ${ms.toFixed(0)} |`)]
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function mainBench(argv: readonly string[]): Promise<void> {
  const at = argv.indexOf('--runs')
  const runs = at >= 0 ? Number(argv[at + 1]) : 7
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, found ${argv[at + 1]}`)
  const loadBefore = loadavg()
  once(CASES[3]!) // warm tsx's transform cache, as any second run of a user's finds it
  once(CASES[4]!)
  const samples = new Map<string, Sample[]>(CASES.map((c) => [c.name, []]))
  for (let r = 0; r < runs; r++) for (const c of CASES) samples.get(c.name)!.push(once(c))
  const loadAfter = loadavg()
  const lines = [
    `Whole processes, ${runs} interleaved rounds, medians (min–max); tsx's transform cache warm.`,
    `Machine: ${cpus().length} cores; load average before ${loadBefore.map((x) => x.toFixed(2)).join(' / ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' / ')}.`,
    '',
    '| command | wall ms | controller CPU ms |',
    '| --- | ---: | ---: |',
    ...CASES.map((c) => {
      const s = samples.get(c.name)!
      const w = s.map((x) => x.wallMs)
      return `| \`${c.name}\` | ${median(w).toFixed(0)} (${Math.min(...w).toFixed(0)}–${Math.max(...w).toFixed(0)}) | ${median(s.map((x) => x.cpuMs)).toFixed(0)} |`
    }),
  ]
  if (argv.includes('--profile')) {
    for (const c of [CASES[4]!, CASES[3]!]) lines.push('', `Where the time of \`${c.name}\` goes (--cpu-prof, self time):`, ...profile(c))
  }
  const text = lines.join('\n')
  console.log(text)
  if (argv.includes('--write')) {
    writeSection(join(ROOT, 'docs/performance.md'), lines, markers('startup', 'npx tsx bench/startup.ts --write'))
    console.log('wrote docs/performance.md (start-up section)')
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await mainBench(process.argv.slice(2))
