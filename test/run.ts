/**
 * `npm test`: everything CI runs. Installs what a fresh Debian 12 machine lacks, type-checks,
 * runs the unit test files in parallel, then brings up one shared lab, runs the lab test files
 * against it (KUBEPLAY_TEST_LAB) and tears it down by pid, whatever happened. Closes with the plain
 * line `N passed, N failed`.
 *
 *   npm test                      all
 *   npm test -- --unit            unit files only (no lab)
 *   npm test -- test/modules      only files under these paths
 *   KUBEPLAY_TEST_DISTROS=debian12,ubuntu2404 npm test   lab phase on each distro (CI default: both)
 *   KUBEPLAY_CLUSTER_DISTRO=debian12 npm test              the real-cluster test's distro (default: the last lab distro)
 *
 * The real-cluster test needs the offline bundles of 1.30.14 and 1.31.4 (/var/cache/kubeplay-bundle):
 * they are built in the background from the start (about 20 + 15 min on 2 cores with cold Go caches;
 * reused in seconds afterwards); that test runs last in its lab phase and waits for them itself.
 * KUBEPLAY_NO_PREBUILD=1 leaves the building to the test itself.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { labDown, labUp, type Distro } from '../lib/lab/index.ts'
import { buildDist, withSourceCondition } from '../scripts/build.ts'
import { CLUSTER_VERSIONS } from './lab/harness.ts'

const root = new URL('..', import.meta.url).pathname
const args = process.argv.slice(2)
const unitOnly = args.includes('--unit')
const filters = args.filter((a) => !a.startsWith('--'))
const distros = (process.env.KUBEPLAY_TEST_DISTROS ?? (process.env.CI ? 'debian12,ubuntu2404' : 'debian12')).split(',') as Distro[]
const clusterDistroOfRun = process.env.KUBEPLAY_CLUSTER_DISTRO ?? distros[distros.length - 1]!
let passed = 0
let failed = 0
let skippedTotal = 0
const failures: string[] = []

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : []
  })
}

const all = walk(join(root, 'test')).map((p) => relative(root, p)).sort()
  .filter((p) => filters.length === 0 || filters.some((f) => p.startsWith(f.replace(/^\.\//, ''))))
const isLab = (p: string): boolean => p.endsWith('.lab.test.ts') || p.startsWith('test/lab/')
const unit = all.filter((p) => !isLab(p))
const lab = unitOnly ? [] : all.filter(isLab)
const CLUSTER_TEST = 'test/playbooks/cluster.lab.test.ts'
const clusterLast = [...lab.filter((f) => f !== CLUSTER_TEST), ...lab.filter((f) => f === CLUSTER_TEST)]

/**
 * A failing file's report: the names of its failed tests, the first failure in full (later ones in
 * a shared-state file like the cluster test often follow from it), the end of the output; the whole
 * output is kept in a log file.
 */
function count(file: string, ok: number, bad: number, output: string): void {
  passed += ok
  failed += bad
  if (!bad) return
  const log = join(tmpdir(), `kubeplay-test-${file.replace(/[^\w.-]+/g, '_')}-${process.pid}.log`)
  writeFileSync(log, output)
  const lines = output.trim().split('\n')
  const names = lines.filter((l) => /^\s+FAIL\s+"/.test(l)).map((l) => l.trim())
  const first = lines.findIndex((l) => /^\s+FAIL\s+"/.test(l))
  const firstBlock = first >= 0 ? lines.slice(first, first + 40) : []
  failures.push([file, `failed tests (${names.length}):`, ...names.map((n) => `  ${n}`), '', 'first failure:', ...firstBlock, '', '…last lines:', ...lines.slice(-25), `(whole output: ${log})`].join('\n'))
}

/** Test files running now: on SIGINT/SIGTERM they are stopped first, so each tears down its own lab. */
const running = new Set<ChildProcess>()

/** SIGTERM to every running test file, by pid; resolves when all have exited (their labs down) or after 3 min. */
function stopRunning(): Promise<void> {
  const waits = [...running].map((c) => new Promise<void>((r) => { c.once('close', () => r()); c.kill('SIGTERM') }))
  return Promise.race([Promise.all(waits).then(() => {}), new Promise<void>((r) => setTimeout(r, 180_000).unref())])
}

/** Runs one uvu file in its own process; counts from uvu's Total/Passed lines (a crash counts as one failure). */
function runFile(file: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const t0 = Date.now()
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    running.add(child)
    let output = ''
    child.stdout.on('data', (b) => { output += b })
    child.stderr.on('data', (b) => { output += b })
    child.on('close', (code) => {
      running.delete(child)
      const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? NaN)
      const ok = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? NaN)
      const skipped = Number(/Skipped:\s+(\d+)/.exec(output)?.[1] ?? 0)
      const secs = ((Date.now() - t0) / 1000).toFixed(1)
      if (Number.isNaN(total) || Number.isNaN(ok)) {
        count(file, 0, 1, output)
        console.log(`FAIL ${file} (crashed, exit ${code}, ${secs} s)`)
      } else {
        // uvu's Total leaves skipped tests out: they are counted apart, never as failures.
        const bad = total - ok + (code !== 0 && total === ok ? 1 : 0)
        count(file, ok, bad, output)
        skippedTotal += skipped
        console.log(`${bad ? 'FAIL' : 'ok  '} ${file}: ${ok}/${total} passed${skipped ? `, ${skipped} skipped` : ''} (${secs} s)`)
        // Each skip says why (a test that skips prints '  skipped: "name": reason').
        for (const line of output.split('\n')) if (/^\s*skipped: /.test(line)) console.log(`     ${line.trim()}`)
      }
      resolve()
    })
  })
}

async function pool(files: string[], n: number, env?: NodeJS.ProcessEnv): Promise<void> {
  const queue = [...files]
  await Promise.all(Array.from({ length: n }, async () => { while (queue.length) await runFile(queue.shift()!, env) }))
}

function ensureMachinePackages(): void {
  const missing = [['/usr/sbin/sshd', 'openssh-server'], ['/usr/bin/ssh', 'openssh-client']].filter(([f]) => !existsSync(f!)).map(([, p]) => p!)
  if (missing.length === 0) return
  console.log(`installing ${missing.join(' ')}`)
  const apt = (a: string[]) => execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...a], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  try { apt(['install', '-y', '--no-install-recommends', ...missing]) } catch { apt(['update', '-qq']); apt(['install', '-y', '--no-install-recommends', ...missing]) }
}

/**
 * The real-cluster test needs the offline bundles of CLUSTER_VERSIONS (the first to build its
 * cluster, the second only for the upgrade, half an hour later): built one after the other in the
 * background, at a lower priority, from the start, while the unit files and the other lab files
 * run. Builds are serialised machine-wide, so the test's own buildBundle waits for one in progress
 * and reuses it. Reused in 2 s when already built; a failure here is reported by the test itself.
 */
function prebuildBundles(): Promise<void> {
  if (!lab.includes(CLUSTER_TEST) || process.env.KUBEPLAY_NO_PREBUILD) return Promise.resolve()
  const logFile = join(tmpdir(), `kubeplay-prebuild-${process.pid}.log`)
  console.log(`bundles ${CLUSTER_VERSIONS.join(', ')}: built in the background (log ${logFile})`)
  const t0 = Date.now()
  return new Promise((resolve) => {
    const out = openSync(logFile, 'a')
    const script = CLUSTER_VERSIONS.map((v) => `npx tsx lib/bundle/cli.ts --kubernetes ${v}`).join(' && ')
    const child = spawn('nice', ['-n', '10', 'sh', '-c', script], { cwd: root, stdio: ['ignore', out, out] })
    child.on('close', (code) => {
      closeSync(out)
      console.log(`bundles ${CLUSTER_VERSIONS.join(', ')}: ${code === 0 ? 'ready' : `build exited ${code} (the cluster test will say why)`} after ${((Date.now() - t0) / 1000).toFixed(0)} s`)
      resolve()
    })
  })
}

/**
 * dist/ rebuilt from the sources under test (npm ci built it once; an edit since would otherwise
 * leave the tests that run it as users do on old code). The test files themselves import kubeplay
 * from its sources, by path and by name alike (one copy per process; see lib/secret.ts).
 */
async function buildDistFirst(): Promise<void> {
  const t0 = Date.now()
  try {
    const r = await buildDist()
    count('build dist/', 1, 0, '')
    console.log(`ok   build dist/: ${r.entries} entries from ${r.inputs} files (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
  } catch (e) {
    count('build dist/', 0, 1, String(e))
    console.log('FAIL build dist/')
  }
  process.env.NODE_OPTIONS = withSourceCondition().NODE_OPTIONS
}

async function main(): Promise<void> {
  ensureMachinePackages()
  await buildDistFirst()
  const bundles = prebuildBundles()
  if (filters.length === 0) {
    const t0 = Date.now()
    try {
      execFileSync(join(root, 'node_modules/.bin/tsc'), ['--noEmit', '-p', root], { stdio: 'pipe' })
      count('tsc --noEmit', 1, 0, '')
      console.log(`ok   tsc --noEmit (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
    } catch (e) {
      count('tsc --noEmit', 0, 1, String((e as { stdout?: Buffer }).stdout ?? e))
      console.log('FAIL tsc --noEmit')
    }
  }
  await pool(unit, 2)
  if (lab.length) {
    for (const distro of distros) {
      const name = `kptest-${distro}`.slice(0, 20)
      const t0 = Date.now()
      console.log(`lab: bringing up ${name} (${distro}, 3 hosts)`)
      let stopping = false
      const stop = (): void => {
        if (stopping) return
        stopping = true
        void stopRunning().then(() => labDown({ name })).finally(() => process.exit(130))
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
      try {
        await labUp({ name, hosts: 3, distro, log: (l) => console.log(`  lab: ${l}`) })
        console.log(`lab: up in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
        // The real-cluster test (its own 7-host kubernetes-mode lab) runs once, on the last distro,
        // after the phase's other files: the bundles it needs are still building meanwhile (its
        // buildBundle waits for a build in progress, then reuses it).
        await pool(clusterLast, 1, { KUBEPLAY_TEST_LAB: name, KUBEPLAY_CLUSTER_DISTRO: clusterDistroOfRun })
      } catch (e) {
        count(`lab ${distro}`, 0, 1, String(e instanceof Error ? e.stack : e))
        console.log(`FAIL lab ${distro}: ${e instanceof Error ? e.message : e}`)
      } finally {
        await labDown({ name }).catch((e) => console.log(`lab down failed: ${e}`))
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
      }
    }
  }
  await bundles
  if (failures.length) console.log(`\n${'='.repeat(30)} failures\n${failures.join(`\n${'-'.repeat(30)}\n`)}`)
  console.log(`\n${passed} passed, ${failed} failed${skippedTotal ? `, ${skippedTotal} skipped` : ''}`)
  process.exitCode = failed ? 1 : 0
}

await main()
