/**
 * Running hosts: boot the supervisor, wait for SSH + systemd, stop by pid (never by name), and
 * measure. Pids read from files are trusted only after /proc confirms they are still ours.
 */
import { spawn } from 'node:child_process'
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { alive, run, sleep, tryRun } from './exec.ts'
import { hostCgroups, hostFiles, isMounted } from './host.ts'
import { machineName } from './paths.ts'

const readPid = (path: string): number | null => {
  try {
    const n = Number(readFileSync(path, 'utf8').trim())
    return Number.isInteger(n) && n > 0 ? n : null
  } catch {
    return null
  }
}

const cmdline = (pid: number): string => {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ') } catch { return '' }
}

/** The supervisor pid, if that process is alive and still runs this host's run.sh. */
export function supervisorPid(lab: string, host: string): number | null {
  const f = hostFiles(lab, host)
  const pid = readPid(f.supervisorPid)
  return pid && alive(pid) && cmdline(pid).includes(f.runSh) ? pid : null
}

/** The current nspawn pid (changes on in-host reboot), if alive and nspawn of this machine. */
export function nspawnPid(lab: string, host: string): number | null {
  const pid = readPid(hostFiles(lab, host).nspawnPid)
  return pid && alive(pid) && cmdline(pid).includes(machineName(lab, host)) ? pid : null
}

/** Starts the supervisor in its own session; it outlives this process. */
export function bootHost(lab: string, host: string): number {
  const f = hostFiles(lab, host)
  rmSync(f.stop, { force: true })
  rmSync(f.nspawnPid, { force: true })
  const out = openSync(f.console, 'a')
  const child = spawn(f.runSh, [], { detached: true, stdio: ['ignore', out, out] })
  closeSync(out)
  child.unref()
  if (!child.pid) throw new Error(`${lab}/${host}: cannot start ${f.runSh}`)
  writeFileSync(f.supervisorPid, `${child.pid}\n`)
  return child.pid
}

export interface SshTarget {
  readonly address: string
  readonly keyFile: string
  readonly knownHosts: string
}

/** ssh argv with strict host-key checking against the lab's known_hosts only. */
export function sshArgs(t: SshTarget, user = 'root'): string[] {
  return ['-F', '/dev/null', '-i', t.keyFile, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${t.knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'ConnectTimeout=3', '-o', 'LogLevel=ERROR', `${user}@${t.address}`]
}

/** `systemctl is-system-running` over SSH, bounded by `timeout 5` (never `--wait`: it can hang). */
export async function systemState(t: SshTarget): Promise<string> {
  const r = await run('timeout', ['5', 'ssh', ...sshArgs(t), 'systemctl is-system-running'], { allowFail: true })
  return r.stdout.trim() || `unreachable(${r.code})`
}

const ready = (s: string): boolean => s === 'running' || s === 'degraded'

/** Polls until the host's systemd is running or degraded. */
export async function waitHost(lab: string, host: string, t: SshTarget, timeoutMs = 240_000): Promise<void> {
  const t0 = Date.now()
  let state = 'none'
  for (;;) {
    state = await systemState(t)
    if (ready(state)) return
    if (!supervisorPid(lab, host)) throw new Error(`${lab}/${host}: host exited while booting; console:\n${consoleTail(lab, host)}`)
    if (Date.now() - t0 > timeoutMs) throw new Error(`${lab}/${host} (${t.address}): not ready after ${timeoutMs} ms (state ${state}); console:\n${consoleTail(lab, host)}`)
    await sleep(300)
  }
}

export async function isReady(t: SshTarget): Promise<boolean> {
  return ready(await systemState(t))
}

function consoleTail(lab: string, host: string): string {
  try { return readFileSync(hostFiles(lab, host).console, 'utf8').trim().split('\n').slice(-15).join('\n') } catch { return '(none)' }
}

/** Every pid in the host's cgroup subtree (v2 view when available). */
export function cgroupPids(lab: string, host: string): number[] {
  const pids: number[] = []
  const walk = (dir: string): void => {
    try { for (const l of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (l.trim()) pids.push(Number(l)) } catch { return }
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name))
  }
  const cgs = hostCgroups(lab, host)
  const v2 = cgs.filter((c) => !c.startsWith('/sys/fs/cgroup/systemd/'))
  for (const c of v2.length ? v2 : cgs) walk(c)
  return [...new Set(pids)]
}

/** cgroupfs directories list files but are removed with a plain rmdir(2), leaves first. */
function rmdirTree(dir: string): void {
  if (!existsSync(dir)) return
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmdirTree(join(dir, e.name))
  try { rmdirSync(dir) } catch { /* still busy: a later down retries */ }
}

/**
 * Halts one host: stop marker, SIGTERM to nspawn (systemd inside shuts down cleanly), up to
 * `graceMs`, then SIGKILL to the supervisor and cgroup.kill for up to 5 s. True once nothing of it runs.
 */
async function haltHost(lab: string, host: string, graceMs: number): Promise<boolean> {
  const f = hostFiles(lab, host)
  if (existsSync(f.dir)) writeFileSync(f.stop, '')
  const np = nspawnPid(lab, host)
  if (np) { try { process.kill(np, 'SIGTERM') } catch { /* gone */ } }
  const busy = (): boolean => supervisorPid(lab, host) !== null || cgroupPids(lab, host).length > 0
  const t0 = Date.now()
  while (busy() && Date.now() - t0 < graceMs) await sleep(100)
  if (busy()) {
    const sp = supervisorPid(lab, host)
    if (sp) { try { process.kill(sp, 'SIGKILL') } catch { /* gone */ } }
    for (const c of hostCgroups(lab, host)) if (existsSync(join(c, 'cgroup.kill'))) writeFileSync(join(c, 'cgroup.kill'), '1')
    const t1 = Date.now()
    while (busy() && Date.now() - t1 < 5_000) await sleep(100)
  }
  return !busy()
}

/**
 * Stops one host: halted (10 s grace), then the overlay unmounted and the cgroups removed. Safe on a
 * host that is already gone.
 */
export async function stopHost(lab: string, host: string): Promise<void> {
  const f = hostFiles(lab, host)
  await haltHost(lab, host, 10_000)
  if (isMounted(f.root) && !(await tryRun('umount', [f.root]))) await run('umount', ['-l', f.root])
  for (const c of hostCgroups(lab, host)) rmdirTree(c)
  const m = machineName(lab, host)
  for (const d of [`/run/systemd/nspawn/propagate/${m}`, `/run/systemd/nspawn/unix-export/${m}`]) rmSync(d, { recursive: true, force: true })
}

/**
 * Powers one host off the way a power button does (halted with 30 s grace) and keeps everything a
 * power-on needs: its root overlay, its containerd dir, its cgroups. `bootHost` + `waitHost` power
 * it on again.
 */
export async function powerOffHost(lab: string, host: string): Promise<void> {
  if (!(await haltHost(lab, host, 30_000))) throw new Error(`${lab}/${host}: still running after power-off`)
}

/** Removes the lab's cgroup parents once its hosts are gone. */
export function removeLabCgroups(lab: string): void {
  for (const c of hostCgroups(lab, 'x').map((p) => join(p, '..'))) {
    rmdirTree(c)
    try { rmdirSync(join(c, '..')) } catch { /* other labs still there */ }
  }
}

/** Proportional set size of every process of the host, in MiB. */
export function hostPssMiB(lab: string, host: string): number {
  let kb = 0
  for (const pid of cgroupPids(lab, host)) {
    try {
      const m = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
      kb += Number(m?.[1] ?? 0)
    } catch { /* exited */ }
  }
  return Math.round(kb / 1024)
}

/** Bytes used by the host's upper layer (its changes over the base). */
export function upperBytes(lab: string, host: string): number {
  let total = 0
  const walk = (dir: string): void => {
    let entries
    try { entries = readdirSync(dir, { withFileTypes: true }) } catch { return }
    for (const e of entries) {
      const p = join(dir, e.name)
      try {
        if (e.isDirectory()) walk(p)
        else total += (e.isSymbolicLink() ? lstatSync(p) : statSync(p)).blocks * 512
      } catch { /* vanished */ }
    }
  }
  walk(hostFiles(lab, host).upper)
  return total
}
