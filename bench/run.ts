/**
 * `npm run bench -- --hosts 50`: N loopback sshd "hosts", the ~20-task node-preparation playbook
 * run first / converged / --check (plus a converged run on connections opened beforehand), the
 * floors (a) and (b) measured in the same rounds, then K converged passes in this one process
 * (memory growth) and, with --sweep, hosts × tasks. Prints Markdown tables and regenerates the
 * marked section of docs/performance.md. A benchmark: nothing here asserts a time.
 *
 *   --hosts N    loopback hosts (default 50)          --forks F   engine forks (default max(50, N))
 *   --runs R     rounds per phase, medians reported (default 3; 1 with --quick)
 *   --repeat K   in-process converged passes (default 5; 2 with --quick)
 *   --sweep      hosts 1/10/50 × tasks 5/10/20        --quick     smoke test: 1 round, no docs write
 *   --no-write   print only                            --write     write docs even with --quick
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
// kubeplay by name, as any script using it (its bundle, or its sources when they changed).
import { runPlaybook, type Connection, type HostSpec, type Inventory, type InventorySpec } from 'kubeplay'
import { connectorFor, consoleReporter } from 'kubeplay/cli'
import { multiReporter, runRecorder, type Connector, type RunResult } from 'kubeplay/engine'
import { inventoryFromSpec } from 'kubeplay/inventory'
import { startLoopbackSshd, type LoopbackSshd } from '../test/lab/loopback-sshd.ts'
import * as floors from './floors.ts'
import { wholeProcess } from './process.ts'
import { collectGarbage, measure, memoryNow, summarise, type Sample } from './measure.ts'
import { BENCH_BASE, BENCH_TASKS, benchPlaybook } from './playbook.ts'
import { machine, machineLines, mainTable, repeatTable, sweepTable, targetTable, writeSection, type RepeatRow, type Row, type SweepCell, type Target } from './table.ts'

export interface BenchOptions {
  readonly hosts: number
  readonly forks: number
  readonly runs: number
  readonly repeat: number
  readonly sweep: boolean
  readonly quick: boolean
  readonly write: boolean
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const num = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag)
    if (i < 0) return fallback
    const v = Number(argv[i + 1])
    if (!Number.isInteger(v) || v < 1) throw new Error(`${flag}: expected a positive integer, found ${JSON.stringify(argv[i + 1])}`)
    return v
  }
  const known = new Set(['--hosts', '--forks', '--runs', '--repeat', '--sweep', '--quick', '--no-write', '--write'])
  argv.forEach((a, i) => {
    if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown option ${a}: expected one of ${[...known].join(', ')}`)
    if (!a.startsWith('--') && !['--hosts', '--forks', '--runs', '--repeat'].includes(argv[i - 1] ?? '')) throw new Error(`unexpected argument ${JSON.stringify(a)}`)
  })
  const quick = argv.includes('--quick')
  const hosts = num('--hosts', 50)
  return {
    hosts,
    forks: num('--forks', Math.max(50, hosts)),
    runs: num('--runs', quick ? 1 : 3),
    repeat: num('--repeat', quick ? 2 : 5),
    sweep: argv.includes('--sweep'),
    quick,
    write: argv.includes('--write') || (!quick && !argv.includes('--no-write')),
  }
}

export function inventoryFor(lab: LoopbackSshd, base: string): Inventory {
  return inventoryFromSpec(inventorySpecFor(lab, base), 'bench')
}

/** The bench's inventory as data (also written to a file for the whole-process runs). */
export function inventorySpecFor(lab: LoopbackSshd, base: string): InventorySpec {
  const hosts: Record<string, HostSpec> = {}
  lab.hosts.forEach((h, i) => {
    const s = lab.settings(i)
    hosts[h.name] = {
      address: s.address, port: s.port, user: s.user, keyFile: s.keyFile, knownHosts: s.knownHosts,
      // A per-host secret too: mask() then scans N+1 known values for every string it sees.
      vars: { bench_root: join(base, h.name), node_ip: h.address, node_password: `pw-${h.name}-${h.port}` },
    }
  })
  return {
    hosts,
    vars: {
      api_ip: '10.0.0.10', api_name: 'k8s-api.internal', api_endpoint: 'k8s-api.internal:6443', cluster_dns: '10.96.0.10',
      max_pods: 110, pause_image: 'registry.k8s.io/pause:3.9', registry_mirrors: ['https://mirror.gcr.io', 'https://registry-1.docker.io'],
      join_token: 'abcdef.0123456789abcdef',
    },
  }
}

/** Connections opened before the run, reused by it; the run's closeAll does not close them. */
async function warmConnector(inv: Inventory, names: readonly string[]): Promise<{ connector: Connector; close: () => Promise<void> }> {
  const cold = connectorFor(inv, { hostKeyPolicy: 'strict' })
  const conns = new Map(await Promise.all(names.map(async (n) => [n, await cold(inv.hosts.get(n)!)] as const)))
  const connector: Connector = async (h) => {
    const c = conns.get(h.name)!
    const kept: Connection = { host: c.host, exec: (x, o) => c.exec(x, o), readFile: (p, o) => c.readFile(p, o), writeFile: (p, d, o) => c.writeFile(p, d, o), close: async () => {} }
    return kept
  }
  return { connector, close: async () => { await Promise.all([...conns.values()].map((c) => c.close())) } }
}

type Log = (line: string) => void

export interface BenchReport {
  readonly rows: readonly Row[]
  readonly targets: readonly Target[]
  readonly repeats: readonly RepeatRow[]
  readonly sweep: readonly SweepCell[]
  readonly text: string
}

export async function runBench(o: BenchOptions, log: Log = (l) => process.stderr.write(`${l}\n`)): Promise<BenchReport> {
  const m = machine()
  const t0 = Date.now()
  log(`bench: starting ${o.hosts} loopback sshd hosts`)
  const lab = await startLoopbackSshd(o.hosts, { namePrefix: 'n' })
  const base = join(BENCH_BASE, String(process.pid))
  const stateDir = mkdtempSync(join(tmpdir(), 'kpbench-state-'))
  try {
    const spec = inventorySpecFor(lab, base)
    const inv = inventoryFromSpec(spec, 'bench')
    const inventoryFile = join(stateDir, 'inventory.json')
    writeFileSync(inventoryFile, JSON.stringify(spec))
    const names = [...inv.hosts.keys()]
    let lines = 0
    const reporter = () => multiReporter([consoleReporter({ verbose: 0, diff: false, write: () => { lines++ } }), runRecorder(stateDir)])

    /** One playbook run on the first `n` hosts; fails the bench when the run is not what the phase expects. */
    const play = async (what: string, n: number, opts: { tasks?: number; checkMode?: boolean; connector?: Connector; readahead?: boolean; expectChanges: boolean }): Promise<Sample> => {
      const { sample, value: r } = await measure(() => runPlaybook(benchPlaybook(opts.tasks), {
        inventory: inv, connector: opts.connector ?? connectorFor(inv, { hostKeyPolicy: 'strict' }), limit: names.slice(0, n),
        forks: o.forks, checkMode: opts.checkMode, readahead: opts.readahead, reporter: reporter(),
      }))
      verify(what, r, n * (opts.tasks ?? BENCH_TASKS), opts.expectChanges)
      return sample
    }
    const phases = new Map<string, Sample[]>()
    const add = (k: string, s: Sample): void => { phases.set(k, [...(phases.get(k) ?? []), s]) }
    const time = async (k: string, fn: () => Promise<unknown>): Promise<void> => add(k, (await measure(fn)).sample)
    const N = o.hosts

    for (let round = 1; round <= o.runs; round++) {
      log(`bench: round ${round}/${o.runs}: floors`)
      await time('a-raw', () => floors.freshRaw(lab, N))
      await time('a-kp', () => floors.freshKubeplay(lab, N))
      await time('b-raw', () => floors.persistentRaw(lab, N))
      await time('b-kp', () => floors.persistentKubeplay(lab, N))
      const wr = await floors.warmRaw(lab, N)
      await time('b-raw-warm', () => floors.commandsRaw(wr))
      await wr.close()
      const wk = await floors.warmKubeplay(lab, N)
      await time('b-kp-warm', () => floors.commandsKubeplay(wk))
      await time('checks-warm', () => floors.fileChecksKubeplay(wk))
      await wk.close()
      log(`bench: round ${round}/${o.runs}: playbook first / converged (with and without read-ahead) / --check / whole process / warm`)
      rmSync(base, { recursive: true, force: true })
      add('process-first', wholeProcess(inventoryFile, join(stateDir, 'process'), o.forks, N, true))
      rmSync(base, { recursive: true, force: true })
      add('first', await play('first run', N, { expectChanges: true }))
      add('converged', await play('converged run', N, { expectChanges: false }))
      add('no-ahead', await play('converged run without read-ahead', N, { readahead: false, expectChanges: false }))
      add('check', await play('--check run', N, { checkMode: true, expectChanges: false }))
      add('process', wholeProcess(inventoryFile, join(stateDir, 'process'), o.forks, N))
      const warm = await warmConnector(inv, names)
      add('warm', await play('warm converged run', N, { connector: warm.connector, expectChanges: false }))
      await warm.close()
    }

    log(`bench: ${o.repeat} converged passes in this process`)
    const repeats: RepeatRow[] = []
    for (let k = 1; k <= o.repeat; k++) {
      const s = await play(`converged pass ${k}`, N, { expectChanges: false })
      collectGarbage()
      repeats.push({ pass: k, wallMs: s.wallMs, ...memoryNow() })
    }

    const sweep: SweepCell[] = []
    if (o.sweep) {
      const hostCounts = [...new Set([1, 10, 50, N].filter((h) => h <= N))].sort((a, b) => a - b)
      for (const h of hostCounts) {
        for (const tasks of [5, 10, BENCH_TASKS]) {
          log(`bench: sweep ${h} hosts × ${tasks} tasks`)
          const samples: Sample[] = []
          for (let r = 0; r < o.runs; r++) samples.push(await play(`sweep ${h}×${tasks}`, h, { tasks, expectChanges: false }))
          sweep.push({ hosts: h, tasks, wallMs: summarise(samples).wallMs, cpuMs: summarise(samples).cpuMs })
        }
      }
    }

    const s = (k: string) => summarise(phases.get(k)!)
    const bKp = s('b-kp').wallMs
    const bRaw = s('b-raw').wallMs
    const bKpWarm = s('b-kp-warm').wallMs
    const bRawWarm = s('b-raw-warm').wallMs
    const cold = (phase: string, k: string): Row => ({ phase, hosts: N, tasks: BENCH_TASKS, s: s(k), vsKubeplay: s(k).wallMs / bKp, vsRaw: s(k).wallMs / bRaw })
    const F = floors.FLOOR_COMMANDS
    const rows: Row[] = [
      { phase: 'floor (a) fresh connection + 1 cmd, raw ssh2', hosts: N, tasks: 1, s: s('a-raw') },
      { phase: 'floor (a) fresh connection + 1 cmd, connectSsh', hosts: N, tasks: 1, s: s('a-kp') },
      { phase: `floor (b) connect + ${F} cmds, raw ssh2 channel`, hosts: N, tasks: F, s: s('b-raw'), vsKubeplay: bRaw / bKp, vsRaw: 1 },
      { phase: `floor (b) connect + ${F} cmds, SshConnection.exec`, hosts: N, tasks: F, s: s('b-kp'), vsKubeplay: 1, vsRaw: bKp / bRaw },
      { phase: `floor (b) ${F} cmds only, raw ssh2 channel`, hosts: N, tasks: F, s: s('b-raw-warm'), vsKubeplay: bRawWarm / bKpWarm, vsRaw: 1 },
      { phase: `floor (b) ${F} cmds only, SshConnection.exec`, hosts: N, tasks: F, s: s('b-kp-warm'), vsKubeplay: 1, vsRaw: bKpWarm / bRawWarm },
      { phase: `${F} file checks (stat + cat) only, SshConnection.exec`, hosts: N, tasks: F, s: s('checks-warm'), vsKubeplay: s('checks-warm').wallMs / bKpWarm, vsRaw: s('checks-warm').wallMs / bRawWarm },
      cold('first run', 'first'),
      cold('converged run', 'converged'),
      cold('converged run without read-ahead (readahead: false)', 'no-ahead'),
      cold('--check on converged', 'check'),
      cold('first run, whole process (tsx bench/playbook-cli.ts)', 'process-first'),
      cold('converged run, whole process (tsx bench/playbook-cli.ts)', 'process'),
      { phase: 'converged run, connections pre-opened', hosts: N, tasks: BENCH_TASKS, s: s('warm'), vsKubeplay: s('warm').wallMs / bKpWarm, vsRaw: s('warm').wallMs / bRawWarm },
    ]

    const conv = s('converged').wallMs
    // The controller as a user runs it: the whole-process runs' own peaks (this process's RSS also
    // holds the floors' connections and every earlier phase; it is in the header, "process max RSS").
    const userPeak = Math.max(s('process-first').peakRssMb, s('process').peakRssMb)
    const growth = repeats.length > 1 ? repeats[repeats.length - 1]!.heapUsedMb - repeats[0]!.heapUsedMb : 0
    const rssGrowth = repeats.length > 1 ? repeats[repeats.length - 1]!.rssMb - repeats[0]!.rssMb : 0
    const ratio = (x: number, lim: number, what: string, limit: string): Target => ({ what, limit, measured: `${x.toFixed(2)}×`, ok: x <= lim })
    const targets: Target[] = [
      ratio(conv / bKp, 3, 'converged run vs floor (b) connect + 20, SshConnection.exec', '≤ 3×'),
      ratio(conv / bRaw, 3, 'converged run vs floor (b) connect + 20, raw ssh2', '≤ 3×'),
      ratio(s('check').wallMs / bKp, 3, '--check vs floor (b) connect + 20, SshConnection.exec', '≤ 3×'),
      ratio(s('check').wallMs / bRaw, 3, '--check vs floor (b) connect + 20, raw ssh2', '≤ 3×'),
      ratio(s('process').wallMs / bKp, 3, 'converged run as a whole process vs floor (b) connect + 20, SshConnection.exec', '≤ 3×'),
      ratio(s('process').wallMs / bRaw, 3, 'converged run as a whole process vs floor (b) connect + 20, raw ssh2', '≤ 3×'),
      ratio(s('first').wallMs / conv, 2, 'first run vs converged run', '≤ 2×'),
      ratio(s('first').wallMs / s('no-ahead').wallMs, 2, 'first run vs converged run without read-ahead', '≤ 2×'),
      { what: `controller peak RSS (${N} hosts), as a whole process (first and converged runs)`, limit: '≤ 150 MB', measured: `${userPeak.toFixed(0)} MB`, ok: userPeak <= 150 },
      { what: `growth over ${repeats.length} in-process converged passes`, limit: 'none', measured: `heap ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB, RSS ${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(1)} MB`, ok: growth < 5 },
    ]

    const out = [
      `### ${N} hosts × ${BENCH_TASKS} tasks, --forks ${o.forks}, medians of ${o.runs} round${o.runs > 1 ? 's' : ''}`,
      '',
      ...machineLines(m, `Bench wall time ${((Date.now() - t0) / 1000).toFixed(0)} s; load average at end ${machine().load.map((x) => x.toFixed(2)).join(' / ')}; process max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`),
      '',
      ...mainTable(rows),
      '',
      ...targetTable(targets),
      '',
      ...repeatTable(repeats),
      ...(sweep.length ? ['', `Sweep (converged runs, --forks ${o.forks}, wall s):`, '', ...sweepTable(sweep)] : []),
    ]
    const text = out.join('\n')
    log(`bench: done in ${((Date.now() - t0) / 1000).toFixed(0)} s (${lines} reporter lines discarded)`)
    return { rows, targets, repeats, sweep, text }
  } finally {
    await lab.stop()
    rmSync(base, { recursive: true, force: true })
    rmSync(stateDir, { recursive: true, force: true })
  }
}

/** A phase that did not do what it should (a failed host, a change in a converged run) invalidates the figures. */
function verify(what: string, r: RunResult, expected: number, expectChanges: boolean): void {
  const count = (st: string): number => r.results.filter((x) => x.status === st).length
  const bad = r.results.filter((x) => x.status === 'failed' || x.status === 'unreachable')
  const problems = [
    bad.length ? `${bad.length} failed/unreachable (first: ${bad[0]!.host} '${bad[0]!.task}': ${bad[0]!.reason})` : '',
    r.results.length !== expected ? `${r.results.length} task results, expected ${expected}` : '',
    !expectChanges && count('changed') ? `${count('changed')} changed tasks, expected none (first: ${r.results.find((x) => x.status === 'changed')!.task})` : '',
    expectChanges && !count('changed') ? 'no changed task, expected a first run to change things' : '',
  ].filter(Boolean)
  if (problems.length) throw new Error(`bench ${what}: ${problems.join('; ')}`)
}

async function cli(): Promise<void> {
  const o = parseBenchArgs(process.argv.slice(2))
  const report = await runBench(o)
  process.stdout.write(`${report.text}\n`)
  if (o.write) {
    const doc = fileURLToPath(new URL('../docs/performance.md', import.meta.url))
    writeSection(doc, report.text.split('\n'))
    process.stderr.write(`bench: wrote the table into ${doc}\n`)
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli().catch((e) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`)
    process.exitCode = 1
  })
}
