/**
 * A bench run as a whole process, the way a user runs a playbook: `tsx bench/playbook-cli.ts -i
 * inventory.json`, start-up, inventory loading and cold SSH included. Wall time, the child's CPU
 * (this process's children, from /proc/self/stat), the machine's CPU, and the child's peak RSS (GNU
 * time's %M). Fails when the run is not a run of every host that changed something (a first run) or
 * nothing (a converged run), as asked.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { childCpuMs, machineBusyMs, type Sample } from './measure.ts'
import { withoutSourceCondition } from '../scripts/build.ts'

const ROOT = fileURLToPath(new URL('../', import.meta.url))

export function wholeProcess(inventoryFile: string, stateDir: string, forks: number, hosts: number, first = false): Sample {
  const tsx = `${ROOT}node_modules/.bin/tsx`
  const argv = [tsx, 'bench/playbook-cli.ts', '-i', inventoryFile, '--state-dir', stateDir, '--forks', String(forks)]
  const timed = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', 'kpbench-maxrss-kb %M', ...argv] : argv
  const cpu0 = childCpuMs()
  const busy0 = machineBusyMs()
  const t0 = performance.now()
  const r = spawnSync(timed[0]!, timed.slice(1), { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 2 ** 20, env: { ...withoutSourceCondition(), CI: 'true' } })
  const wallMs = performance.now() - t0
  const out = `${r.stdout}${r.stderr}`
  const done = /changed: (\d+), hosts: (\d+), failed: (\d+), unreachable: (\d+)/.exec(out)
  if (r.status !== 0 || !done || (done[1] === '0') !== !first || Number(done[2]) !== hosts || done[3] !== '0' || done[4] !== '0') {
    const want = first ? 'a first run' : 'a converged run'
    throw new Error(`bench whole process: expected ${want} of ${hosts} hosts (exit 0, changed: ${first ? 'some' : '0'}), found exit ${r.status}: ${out.split('\n').slice(-5).join(' | ')}`)
  }
  const kb = Number(/kpbench-maxrss-kb (\d+)/.exec(r.stderr)?.[1] ?? NaN)
  return { wallMs, cpuMs: childCpuMs() - cpu0, peakRssMb: kb / 1024, machineCpuMs: machineBusyMs() - busy0 }
}
