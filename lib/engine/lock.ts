/**
 * The per-host run lock and the clean-up of a host's in-flight commands.
 *
 * Lock: `/run/kubeplay.lock` (tmpfs: a reboot, which ends every run, also ends the lock), a JSON
 * line `{ runId, controller, pid, playbook, startedAt, expiresAfterS }`, created with `set -C`
 * (O_EXCL) in the one round trip that also starts a remote heartbeat: a background `sh` that touches
 * the file every `heartbeatS` while our remote shell lives, so the heartbeat is the file's mtime and
 * never waits behind a long task in the command queue. Another run finding the file reads it and its
 * heartbeat age in the same round trip; the controller then decides: refuse, or take over an expired
 * (no heartbeat for `expiresAfterS`) or stale (our own machine, its process gone) lock with a
 * warning, or `--break-lock`. Release removes the file only if it is still ours.
 *
 * Reaping: every command the engine sends carries `KUBEPLAY_RUN=<runId>:<host>` in its environment,
 * inherited by whatever it starts; `reapCommand` kills exactly those processes (plus our heartbeat),
 * found through /proc/<pid>/environ. Closing an SSH session does not end a remote non-tty command
 * (verified: `sleep` survives, re-parented to init), so interrupt and task timeouts reap instead.
 */
import { hostname, userInfo } from 'node:os'
import { raw, sh, type ShellCommand } from '../connection/quote.ts'
import type { Connection } from '../connection/types.ts'

export const LOCK_PATH = '/run/kubeplay.lock'
export const RUN_ENV = 'KUBEPLAY_RUN'

export interface LockOptions {
  /** Remote lock file. @default '/run/kubeplay.lock' */
  readonly path?: string
  /** A lock whose heartbeat is older than this is expired and may be taken over. @default 120 */
  readonly expiresAfterS?: number
  /** @default 30 */
  readonly heartbeatS?: number
  /** Take the lock whoever holds it (`--break-lock`). @default false */
  readonly breakLock?: boolean
}

/** What the lock file says. */
export interface LockInfo {
  readonly runId: string
  readonly controller: string
  readonly pid: number
  readonly playbook?: string
  readonly startedAt: string
  readonly expiresAfterS: number
}

export type LockOutcome =
  /** `heartbeat`: the pid of the remote heartbeat, for the release. */
  | { readonly kind: 'acquired'; readonly warning?: string; readonly heartbeat?: number }
  | { readonly kind: 'refused'; readonly reason: string }
  /** Check mode: nothing written; `warning` when another run holds the host. */
  | { readonly kind: 'read'; readonly warning?: string }

/** Runs started by this process and not finished: a lock of ours that is not among them is stale. */
const liveRuns = new Set<string>()

export function controllerId(): string {
  let user = 'unknown'
  try { user = userInfo().username } catch { /* no passwd entry */ }
  return `${user}@${hostname()}`
}

export function lockInfo(runId: string, playbook: string, expiresAfterS: number, now = new Date()): LockInfo {
  return { runId, controller: controllerId(), pid: process.pid, playbook, startedAt: now.toISOString(), expiresAfterS }
}

const HELD = 'KP_LOCK_HELD'
const TAKEN = 'KP_LOCK_TAKEN'

/**
 * The heartbeat: every `everyS` (the lock was just written, so it sleeps first), touches the lock
 * while the shell `$$` that started it lives and the lock is ours. Its pid is printed after
 * `KP_LOCK_TAKEN`, so the release stops exactly it.
 */
function heartbeat(path: string, runId: string, everyS: number): ShellCommand {
  const loop = `trap 'kill $s 2>/dev/null; exit 0' TERM; while :; do sleep "$4" & s=$!; wait $s; kill -0 "$1" 2>/dev/null && grep -qF "$2" "$3" 2>/dev/null || exit 0; touch -c "$3"; done`
  return sh`sh -c ${loop} ${heartbeatTag(runId)} "$$" ${`"runId":"${runId}"`} ${path} ${String(everyS)} </dev/null >/dev/null 2>&1 &`
}

const heartbeatTag = (runId: string): string => `kubeplay-heartbeat:${runId}`

/** The lock's directory exists, made without a process when it does (/run always). */
const LOCK_DIR = sh`case $p in */*) d=\${p%/*} ;; *) d=. ;; esac; [ -d "$d" ] || mkdir -p "$d" 2>/dev/null`

/**
 * One round trip: create the lock (noclobber) and start the heartbeat, or print the holder's line and
 * its heartbeat age. Prints `KP_LOCK_TAKEN` or `KP_LOCK_HELD <age s>\n<json>`.
 */
export function acquireCommand(info: LockInfo, o: LockOptions = {}): ShellCommand {
  const path = o.path ?? LOCK_PATH
  const line = JSON.stringify(info)
  return sh`p=${path}; umask 022; ${LOCK_DIR}
if ( set -C; printf '%s\n' ${line} >"$p" ) 2>/dev/null; then
  ${heartbeat(path, info.runId, o.heartbeatS ?? 30)}
  echo ${TAKEN} $!
else
  ${raw(HELD_REPORT)}
fi`
}

const HELD_REPORT = `m=$(stat -c %Y "$p" 2>/dev/null || echo 0); echo ${HELD} $(( $(date +%s) - m )); cat "$p" 2>/dev/null; exit 0`

/** Check mode: read who holds the lock, write nothing. */
export function peekCommand(o: LockOptions = {}): ShellCommand {
  return sh`p=${o.path ?? LOCK_PATH}; if [ -e "$p" ]; then ${raw(HELD_REPORT)}; fi; echo ${TAKEN}`
}

/** Replaces the lock only if it still holds exactly `seen` (another run may be taking over too). */
export function takeOverCommand(info: LockInfo, seen: string, o: LockOptions = {}): ShellCommand {
  const path = o.path ?? LOCK_PATH
  return sh`p=${path}; t="$p.kp$$"
if [ "$(cat "$p" 2>/dev/null)" = ${seen} ] && printf '%s\n' ${JSON.stringify(info)} >"$t" && mv -f "$t" "$p"; then
  ${heartbeat(path, info.runId, o.heartbeatS ?? 30)}
  echo ${TAKEN} $!
else
  rm -f "$t"; ${raw(HELD_REPORT)}
fi`
}

/**
 * Removes the lock if it is ours and stops our heartbeat: by its pid when the acquire reported it
 * (checked to still be our heartbeat), else by a search of the host's processes (pkill).
 */
export function releaseCommand(runId: string, o: LockOptions = {}, heartbeat?: number): ShellCommand {
  const stop = heartbeat
    ? sh`grep -qF ${heartbeatTag(runId)} /proc/${String(heartbeat)}/cmdline 2>/dev/null && kill -TERM ${String(heartbeat)} 2>/dev/null`
    : sh`pkill -TERM -f ${`^sh -c .* ${heartbeatTag(runId)} `} 2>/dev/null`
  return sh`p=${o.path ?? LOCK_PATH}; grep -qF ${`"runId":"${runId}"`} "$p" 2>/dev/null && rm -f "$p"; ${stop}; true`
}

/**
 * Kills every process of this run on the host (found by its environment tag), then releases the lock.
 * Sent over a second connection while the first is busy with the command to kill.
 */
export function reapCommand(runId: string, host: string, o: LockOptions = {}): ShellCommand {
  const tag = `${RUN_ENV}=${runTag(runId, host)}`
  return sh`for i in 1 2 3; do ps=$(grep -lzxF ${tag} /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); [ -z "$ps" ] && break; kill -KILL $ps 2>/dev/null; sleep 0.2; done; ${releaseCommand(runId, o)}`
}

export const runTag = (runId: string, host: string): string => `${runId}:${host}`

/** The heartbeat's pid printed after KP_LOCK_TAKEN; undefined when there is none. */
export function heartbeatPid(stdout: string): number | undefined {
  const m = new RegExp(`${TAKEN} (\\d+)`).exec(stdout)
  return m ? Number(m[1]) : undefined
}

/** Parses the holder report; null when the output is not one. */
export function parseHeld(stdout: string): { ageS: number; line: string; info: Partial<LockInfo> } | null {
  const m = new RegExp(`^${HELD} (-?\\d+)\\n([^\\n]*)`).exec(stdout)
  if (!m) return null
  let info: Partial<LockInfo> = {}
  try { info = JSON.parse(m[2]!) as Partial<LockInfo> } catch { /* not ours: a foreign or corrupt file */ }
  return { ageS: Number(m[1]), line: m[2]!, info }
}

export function describeHolder(h: { ageS: number; info: Partial<LockInfo> }): string {
  const i = h.info
  return `locked by ${i.controller ?? 'an unknown controller'}${i.pid ? ` (pid ${i.pid})` : ''} since ${i.startedAt ?? 'an unknown time'}, run ${i.runId ?? '?'}` +
    ` (last heartbeat ${h.ageS} s ago)`
}

/** Why the holder no longer counts, or null when it is alive. */
export function staleReason(h: { ageS: number; info: Partial<LockInfo> }, expiresAfterS: number): string | null {
  const limit = h.info.expiresAfterS ?? expiresAfterS
  if (h.ageS > limit) return `expired: no heartbeat for ${h.ageS} s (limit ${limit} s)`
  if (h.info.controller === controllerId() && h.info.pid) {
    if (h.info.pid === process.pid && h.info.runId && !liveRuns.has(h.info.runId)) return 'left by an earlier run of this process'
    if (h.info.pid !== process.pid && !pidAlive(h.info.pid)) return `its process ${h.info.pid} on this machine is gone`
  }
  return null
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Takes (or, in check mode, inspects) the lock on one host. At most two round trips. */
export async function takeLock(conn: Connection, info: LockInfo, o: LockOptions & { checkMode?: boolean }): Promise<LockOutcome> {
  const become = { become: true }
  if (o.checkMode) {
    const r = await conn.exec(peekCommand(o), become)
    const held = parseHeld(r.stdout)
    if (!held || staleReason(held, o.expiresAfterS ?? 120)) return { kind: 'read' }
    return { kind: 'read', warning: `another run is changing this host: ${describeHolder(held)}; this plan may be out of date` }
  }
  liveRuns.add(info.runId)
  const r = await conn.exec(acquireCommand(info, o), become)
  if (r.stdout.includes(TAKEN)) return { kind: 'acquired', heartbeat: heartbeatPid(r.stdout) }
  const held = parseHeld(r.stdout)
  if (!held) return { kind: 'refused', reason: `cannot create ${o.path ?? LOCK_PATH}: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}` }
  const stale = o.breakLock ? 'broken with --break-lock' : staleReason(held, o.expiresAfterS ?? 120)
  if (!stale) return { kind: 'refused', reason: `${describeHolder(held)}; wait for it, or use --break-lock if that run is gone` }
  const again = await conn.exec(takeOverCommand(info, held.line, o), become)
  if (!again.stdout.includes(TAKEN)) {
    const now = parseHeld(again.stdout)
    return { kind: 'refused', reason: now ? describeHolder(now) : 'the lock changed while taking it over' }
  }
  return { kind: 'acquired', heartbeat: heartbeatPid(again.stdout), warning: `took over the run lock (${stale}): it was ${describeHolder(held)}` }
}

/** Marks the run finished in this process (its locks, if left anywhere, are stale from now on). */
export function endRun(runId: string): void {
  liveRuns.delete(runId)
}
