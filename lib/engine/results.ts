/** What a run produces: one result per task per host, a recap per host, and reporter events. */
import type { FileDiff } from './module.ts'

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable'

export interface TaskResult {
  readonly play: string
  readonly host: string
  readonly task: string
  readonly role?: string
  readonly module?: string
  readonly status: TaskStatus
  /** Why: the module's no-change reason, the change summary, the skip reason or the (masked) error. */
  readonly reason: string
  readonly startedAt: number
  readonly durationMs: number
  readonly diff?: FileDiff
  readonly handler?: boolean
  /** Check mode: the change was planned, not applied. */
  readonly planned?: boolean
  /** The failure was ignored (`ignoreErrors`); the host went on. */
  readonly ignored?: boolean
}

export interface HostRecap {
  ok: number
  changed: number
  failed: number
  skipped: number
  unreachable: number
  ignored: number
}

export interface RunResult {
  readonly runId: string
  readonly playbook: string
  readonly checkMode: boolean
  readonly startedAt: number
  readonly durationMs: number
  readonly results: readonly TaskResult[]
  readonly recap: Readonly<Record<string, HostRecap>>
  /** Hosts that failed or were unreachable, in inventory order. */
  readonly failedHosts: readonly string[]
  readonly unreachableHosts: readonly string[]
  /** Hosts that did not get through all their tasks because the run stopped early (interrupt, abort). */
  readonly incompleteHosts?: readonly string[]
  /** Why the run stopped early (max fail percentage, any errors fatal, interrupt). */
  readonly aborted?: string
}

export interface RunInfo {
  readonly runId: string
  readonly playbook: string
  readonly checkMode: boolean
  readonly inventory: string
  readonly argv?: readonly string[]
}

/** Receives events as they happen. All text is already masked. */
export interface Reporter {
  runStart?(info: RunInfo): void
  playStart?(play: string, hosts: readonly string[]): void
  taskStart?(host: string, task: string): void
  taskEnd?(result: TaskResult): void
  message?(level: 'info' | 'warn' | 'verbose', host: string | null, text: string): void
  runEnd?(result: RunResult): void
}

export function emptyRecap(): HostRecap {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 }
}

export function recapOf(results: readonly TaskResult[]): Record<string, HostRecap> {
  const recap: Record<string, HostRecap> = {}
  for (const r of results) {
    const h = (recap[r.host] ??= emptyRecap())
    if (r.ignored) h.ignored++
    else h[r.status]++
  }
  return recap
}

/** Fans events out to several reporters. */
export function multiReporter(reporters: readonly Reporter[]): Reporter {
  return {
    runStart: (i) => reporters.forEach((r) => r.runStart?.(i)),
    playStart: (p, h) => reporters.forEach((r) => r.playStart?.(p, h)),
    taskStart: (h, t) => reporters.forEach((r) => r.taskStart?.(h, t)),
    taskEnd: (res) => reporters.forEach((r) => r.taskEnd?.(res)),
    message: (l, h, t) => reporters.forEach((r) => r.message?.(l, h, t)),
    runEnd: (res) => reporters.forEach((r) => r.runEnd?.(res)),
  }
}
