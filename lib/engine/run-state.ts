/**
 * One run's state, in one place: its options, hosts and locks, the results so far, which hosts died
 * or went unreachable, what runs where now, and why the run was aborted. The run loop (run.ts), the
 * host runner (host-runner.ts), the task runner (task-runner.ts) and the interrupt watch
 * (interrupts.ts) read and change it through these methods.
 */
import { randomBytes } from 'node:crypto'
import { mask } from '../secret.ts'
import type { Inventory } from '../inventory/types.ts'
import { RunHosts, type Connector } from './host.ts'
import { RunGuard, type LockPolicy } from './run-guard.ts'
import { recapOf, type Reporter, type RunResult, type TaskResult, type TaskStatus } from './results.ts'
import type { TagFilter } from './tags.ts'
import type { Play, Playbook } from './task.ts'

export interface RunOptions extends TagFilter {
  readonly inventory: Inventory
  /** Opens a connection to a host (SSH, local, or a stub in tests). */
  readonly connector: Connector
  /** Host pattern intersected with every play's hosts. */
  readonly limit?: string | readonly string[]
  /**
   * Only the `index`-th (1-based) of `count` slices of the hosts: the inventory's hosts, in order, dealt
   * round-robin (host i goes to slice i mod count + 1), so a host is in the same slice in every play.
   */
  readonly shard?: { readonly index: number; readonly count: number }
  /** Plan only: run checks, apply nothing, report what would change. @default false */
  readonly checkMode?: boolean
  /** Hosts worked on at once. @default 20 */
  readonly forks?: number
  readonly reporter?: Reporter
  readonly runId?: string
  /** Skip every task before the first one with this title. */
  readonly startAtTask?: string
  /** Planning for --list-hosts/--list-tasks/--list-tags only (see PreflightContext). */
  readonly listOnly?: boolean
  /**
   * Stops every host before its next task (Ctrl-C); commands in flight get `graceMs` to finish, then
   * they are killed on the host.
   */
  readonly signal?: AbortSignal
  /** Kills the commands in flight now, without waiting for the grace period (a second Ctrl-C). */
  readonly killSignal?: AbortSignal
  /** @default 10000 */
  readonly graceMs?: number
  /** Time limit of every task without its own `timeoutMs`. @default none */
  readonly taskTimeoutMs?: number
  /**
   * Read the facts of the next tasks' checks ahead, several tasks in one round trip (readahead.ts).
   * Checks see the same values either way. @default true
   */
  readonly readahead?: boolean
  /** The run lock on each host (lock.ts); off unless given. The CLI always gives it. */
  readonly lock?: LockPolicy
  readonly argv?: readonly string[]
}

export function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`
}

/** One serial batch of a play: its run-once results and the failure that stops it (anyErrorsFatal). */
export class Batch {
  readonly once = new Map<number, Promise<{ executor: string; result: TaskResult }>>()
  fatal: string | undefined
}

export class RunState {
  readonly runId: string
  readonly checkMode: boolean
  readonly reporter: Reporter
  readonly startedAt = Date.now()
  readonly results: TaskResult[] = []
  /** Hosts that failed or went unreachable: they run no further task. */
  readonly dead = new Set<string>()
  readonly unreachable = new Set<string>()
  /** Host → the task whose commands are running there now. */
  readonly inflight = new Map<string, string>()
  /** Hosts whose in-flight commands were killed: their failure reads as an interrupt. */
  readonly killed = new Map<string, string>()
  /** `play index:host` for every host that got through all its tasks of a play. */
  readonly finished = new Set<string>()
  aborted: string | undefined
  readonly hosts: RunHosts
  readonly guard: RunGuard

  constructor(readonly playbook: Playbook, readonly o: RunOptions) {
    this.runId = o.runId ?? newRunId()
    this.checkMode = o.checkMode ?? false
    this.reporter = o.reporter ?? {}
    this.hosts = new RunHosts(o.inventory, o.connector, this.checkMode,
      (h, t) => this.reporter.message?.('verbose', h, mask(t)), (h, t) => this.warn(h, t), this.runId)
    this.guard = new RunGuard(this.runId, playbook.name, this.hosts, o.lock, this.checkMode, (h, t) => this.warn(h, t))
  }

  warn(host: string | null, text: string): void {
    this.reporter.message?.('warn', host, mask(text))
  }

  /** True once the run was interrupted (Ctrl-C); marks it aborted. */
  interrupted(): boolean {
    if (this.o.signal?.aborted && !this.aborted) this.aborted = 'interrupted'
    return !!this.o.signal?.aborted
  }

  record(r: TaskResult): TaskResult {
    this.results.push(r)
    this.reporter.taskEnd?.(r)
    return r
  }

  /** The host runs nothing more; with anyErrorsFatal, neither does its batch. */
  fail(name: string, r: TaskResult, play: Play, b: Batch): false {
    this.dead.add(name)
    if (r.status === 'unreachable') this.markUnreachable(name)
    if (play.anyErrorsFatal && !b.fatal) b.fatal = `${name} failed '${r.task}'`
    return false
  }

  markUnreachable(name: string): void {
    this.dead.add(name)
    this.unreachable.add(name)
    this.hosts.dropConnection(name)
  }

  /** Kills the host's commands of this run (task timeout, interrupt); its task then fails with `why`. */
  async stopHost(name: string, task: string, why: string): Promise<void> {
    this.killed.set(name, why)
    this.warn(name, `${why}: killing the commands of '${task}'`)
    if (!(await this.guard.reap(name))) this.hosts.dropConnection(name)
  }

  /** The run's result; `planned` gives each play's hosts and whether it had tasks to run. */
  result(planned: readonly { readonly hosts: readonly string[]; readonly tasks: readonly unknown[] }[]): RunResult {
    const order = [...this.o.inventory.hosts.keys()]
    const incomplete = new Set(planned.flatMap(({ hosts, tasks }, pi) =>
      tasks.length ? hosts.filter((h) => !this.dead.has(h) && !this.finished.has(`${pi}:${h}`)) : []))
    return {
      runId: this.runId,
      playbook: this.playbook.name,
      checkMode: this.checkMode,
      startedAt: this.startedAt,
      durationMs: Date.now() - this.startedAt,
      results: this.results,
      recap: Object.fromEntries(Object.entries(recapOf(this.results)).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))),
      failedHosts: order.filter((h) => this.dead.has(h) && !this.unreachable.has(h)),
      unreachableHosts: order.filter((h) => this.unreachable.has(h)),
      ...(incomplete.size ? { incompleteHosts: order.filter((h) => incomplete.has(h)) } : {}),
      aborted: this.aborted,
    }
  }
}

/** One task result, masked, without undefined fields. */
export function taskResult(host: string, play: Play, task: string, status: TaskStatus, reason: string, startedAt: number,
  extra: Partial<TaskResult> = {}): TaskResult {
  const r: TaskResult = { play: play.name, host, task, status, reason: mask(reason), startedAt, durationMs: Date.now() - startedAt, ...extra }
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as TaskResult
}

export function errorText(e: unknown): string {
  return mask(e instanceof Error ? e.message : String(e))
}
