/**
 * The benchmark as a smoke test: `npm run bench -- --hosts 3 --quick` runs to the end, stops its
 * sshd daemons and prints the tables with every expected row. No timing is asserted: this machine
 * is shared and the figures are only meaningful from a real bench run.
 */
import { spawn } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseBenchArgs } from '../../bench/run.ts'
import { BEGIN, END, markers, writeSection } from '../../bench/table.ts'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('../..', import.meta.url).pathname

function runBenchChild(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; pid: number | undefined; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b) => { stdout += b })
    child.stderr.on('data', (b) => { stderr += b })
    child.on('close', (code) => resolve({ code, pid: child.pid, stdout, stderr }))
  })
}

test('--quick with 3 hosts completes and prints every row of the tables', async () => {
  const r = await runBenchChild(['--hosts', '3', '--quick', '--no-write'])
  assert.is(r.code, 0, r.stderr)
  const rows = r.stdout.split('\n').filter((l) => l.startsWith('| ')).map((l) => l.split('|').map((c) => c.trim()))
  const phases = rows.map((c) => c[1])
  for (const phase of [
    'floor (a) fresh connection + 1 cmd, raw ssh2',
    'floor (a) fresh connection + 1 cmd, connectSsh',
    'floor (b) connect + 20 cmds, raw ssh2 channel',
    'floor (b) connect + 20 cmds, SshConnection.exec',
    'floor (b) 20 cmds only, raw ssh2 channel',
    'floor (b) 20 cmds only, SshConnection.exec',
    'first run',
    'converged run',
    'converged run without read-ahead (readahead: false)',
    '--check on converged',
    'converged run, connections pre-opened',
    'first run, whole process (tsx bench/playbook-cli.ts)',
    'converged run, whole process (tsx bench/playbook-cli.ts)',
  ]) {
    const row = rows.find((c) => c[1] === phase)
    assert.ok(row, `row '${phase}' missing in:\n${r.stdout}`)
    assert.is(row![2], '3', `${phase}: hosts`)
    assert.ok(Number.isFinite(Number(row![4]!.split(' ')[0])), `${phase}: wall is a number`)
  }
  assert.ok(phases.some((p) => p?.startsWith('converged run vs floor (b)')), 'targets table')
  assert.ok(phases.some((p) => p?.startsWith('converged run as a whole process vs floor (b)')), 'the whole-process target')
  assert.ok(rows.some((c) => c[1] === '2' && c.length === 6), 'repeat table has pass 2')
  assert.match(r.stdout, /Machine: .+, \d+ cores/)
})

test('the bench leaves no sshd of its own and no per-host files behind', async () => {
  // Its own TMPDIR tells the bench's daemons apart from those of other tests running meanwhile.
  const own = mkdtempSync(join(tmpdir(), 'kpbench-tmp-'))
  try {
    const r = await runBenchChild(['--hosts', '2', '--quick', '--no-write', '--repeat', '1'], { TMPDIR: own })
    assert.is(r.code, 0, r.stderr)
    assert.equal(sshdChildren(own), [], 'sshd daemons left running')
    assert.not.ok(existsSync(`/tmp/kpbench/${r.pid}`), 'per-host dirs removed')
  } finally {
    rmSync(own, { recursive: true, force: true })
  }
})

/** Pids of sshd daemons started with a kp-sshd- config (the loopback harness's) under `dir`. */
function sshdChildren(dir: string): string[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).filter((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      return cmd.includes('sshd') && cmd.includes(`${dir}/kp-sshd-`)
    } catch { return false }
  })
}

test('options: defaults, --quick implies one round and no docs write, bad values are refused', () => {
  const d = parseBenchArgs([])
  assert.equal([d.hosts, d.forks, d.runs, d.repeat, d.sweep, d.write], [50, 50, 3, 5, false, true])
  const q = parseBenchArgs(['--hosts', '3', '--quick'])
  assert.equal([q.hosts, q.runs, q.write], [3, 1, false])
  assert.is(parseBenchArgs(['--quick', '--write']).write, true)
  assert.is(parseBenchArgs(['--hosts', '80']).forks, 80)
  assert.throws(() => parseBenchArgs(['--hosts', '0']), /--hosts: expected a positive integer/)
  assert.throws(() => parseBenchArgs(['--frobs']), /unknown option --frobs/)
})

test('writeSection replaces only the marked section and keeps the prose around it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kpbench-doc-'))
  try {
    const doc = join(dir, 'performance.md')
    writeFileSync(doc, `# Perf\n\nintro\n\n${BEGIN}\nold table\n${END}\n\nafter\n`)
    writeSection(doc, ['new table'])
    assert.is(readFileSync(doc, 'utf8'), `# Perf\n\nintro\n\n${BEGIN}\nnew table\n${END}\n\nafter\n`)
    const fresh = join(dir, 'none.md')
    writeSection(fresh, ['t'])
    assert.ok(readFileSync(fresh, 'utf8').includes(`${BEGIN}\nt\n${END}`))
    // A named section is found by its name, whatever command its begin marker names.
    const m = markers('startup', 'npx tsx bench/startup.ts --write')
    writeFileSync(doc, `a\n<!-- startup:begin (old words) -->\n<!-- startup:end -->\nb\n`)
    writeSection(doc, ['rows'], m)
    assert.is(readFileSync(doc, 'utf8'), `a\n${m.begin}\nrows\n${m.end}\nb\n`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
