/**
 * The run loop. Plays in order; within a play, serial batches in order; within a batch, hosts in
 * parallel (bounded by `forks`), each host running its tasks in order: check → (apply unless check
 * mode). A failed host stops only its own tasks. Handlers run once per host at the end of the play
 * or at a flush, only if notified.
 */
import { randomBytes } from 'node:crypto'
import PQueue from 'p-queue'
import { mask } from '../secret.ts'
import type { Connection } from '../connection/types.ts'
import { ConfigError, ConfigErrors, ConnectError, TimeoutError } from '../errors.ts'
import { selectHosts } from '../inventory/pattern.ts'
import type { Inventory } from '../inventory/types.ts'
import { RunHosts, type Connector } from './host.ts'
import { RunGuard, type LockPolicy } from './lock.ts'
import type { HostContext } from './module.ts'
import { recapOf, type Reporter, type RunResult, type TaskResult, type TaskStatus } from './results.ts'
import { isSelected, validateTags, type TagFilter } from './tags.ts'
import { flatten, rolesOf, type FlatTask, type Handler, type Play, type Playbook, type Task } from './task.ts'

export interface RunOptions extends TagFilter {
  readonly inventory: Inventory
  /** Opens a connection to a host (SSH, local, or a stub in tests). */
  readonly connector: Connector
  /** Host pattern intersected with every play's hosts. */
  readonly limit?: string | readonly string[]
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
  /** The run lock on each host (lock.ts); off unless given. The CLI always gives it. */
  readonly lock?: LockPolicy
  readonly argv?: readonly string[]
}

export function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`
}

/** Every tag a playbook's tasks carry (including role names). */
export function playbookTags(pb: Playbook): Set<string> {
  const tags = new Set<string>()
  for (const p of pb.plays) for (const t of flatten(p)) t.tags.forEach((x) => tags.add(x))
  return tags
}

/** Splits hosts into serial batches: counts, percentages, or a growing list (`[1, '50%']`). */
export function batches(hosts: readonly string[], serial: Play['serial'], where = 'serial'): string[][] {
  if (serial === undefined) return [[...hosts]]
  const specs = (Array.isArray(serial) ? serial : [serial]) as (number | string)[]
  const sizes = specs.map((s) => {
    const pct = typeof s === 'string' ? /^(\d+(?:\.\d+)?)%$/.exec(s) : null
    const n = typeof s === 'number' ? s : pct ? Math.floor((hosts.length * Number(pct[1])) / 100) : NaN
    if (typeof s === 'number' ? !Number.isInteger(s) || s < 1 : !pct) {
      throw new ConfigError('playbook', where, 'a positive integer or a percentage like "30%"', JSON.stringify(s))
    }
    return Math.max(1, n)
  })
  const out: string[][] = []
  for (let i = 0, k = 0; i < hosts.length; k++) {
    const n = sizes[Math.min(k, sizes.length - 1)]!
    out.push(hosts.slice(i, i + n))
    i += n
  }
  return out
}

interface PlayPlan {
  readonly play: Play
  readonly hosts: string[]
  readonly tasks: FlatTask[]
  /** Names in the play's host pattern that the inventory lacks (the play skips them, like Ansible). */
  readonly unknown: string[]
  /** The play's hosts before --limit (what its roles' inventory checks look at). */
  readonly all: string[]
}

/** Resolves hosts and tasks of every play, validating patterns and tags; contacts nothing. */
export function planPlaybook(pb: Playbook, o: Omit<RunOptions, 'connector'>): PlayPlan[] {
  validateTags(o, playbookTags(pb))
  const limit = o.limit ? new Set(selectHosts(o.inventory, o.limit, '--limit')) : null
  let started = !o.startAtTask
  if (o.startAtTask && !pb.plays.some((p) => flatten(p).some((t) => t.item.title === o.startAtTask))) {
    throw new ConfigError('--start-at-task', o.startAtTask, 'the title of a task in the playbook', 'no such task')
  }
  const plans = pb.plays.map((play) => {
    const unknown: string[] = []
    const all = selectHosts(o.inventory, play.hosts, `play '${play.name}' hosts`, { onUnknown: (n) => unknown.push(n) })
    const hosts = all.filter((h) => !limit || limit.has(h))
    batches(hosts, play.serial, `play '${play.name}' serial`)
    const flat = flatten(play).filter((t) => {
      if (!started && t.item.title === o.startAtTask) started = true
      return started
    })
    const withRole = (t: FlatTask): boolean => t.item.kind === 'task' && !!t.item.withRole
    const picked = new Set(flat.filter((t) => !withRole(t) && isSelected(t.tags, o)))
    const rolesPicked = new Set([...picked].map((t) => t.role).filter(Boolean))
    let tasks = flat.filter((t) => picked.has(t) ||
      (withRole(t) && rolesPicked.has(t.role) && isSelected(t.tags, { skipTags: o.skipTags })))
    // A flush alone does nothing: do not contact the play's hosts for it.
    if (tasks.every((t) => t.item.kind === 'flush')) tasks = []
    return { play, hosts, tasks, unknown, all }
  })
  // A role's inventory checks apply when some of its tasks are selected (a --tags run without it, or
  // --skip-tags on it, does not need its settings); --limit does not matter (joins need the masters),
  // nor does a play pattern matching no host (the checks say which group is missing).
  const problems = new Map<string, ConfigError>()
  const ctx = { listOnly: !!o.listOnly }
  for (const e of pb.preflight?.(o.inventory, ctx) ?? []) problems.set(e.message, e)
  for (const { play, tasks, all } of plans) {
    const selected = new Set<unknown>(tasks.map((t) => t.item))
    if (selected.size === 0) continue
    for (const r of rolesOf(play)) {
      if (!r.preflight || !flatten({ name: r.name, hosts: [], items: [r] }).some((t) => selected.has(t.item))) continue
      for (const e of r.preflight(o.inventory, all, ctx)) problems.set(e.message, e)
    }
  }
  if (problems.size) throw new ConfigErrors([...problems.values()])
  // Like ansible-playbook: nothing to target is an error, not a quiet success.
  const targeted = plans.filter((p) => p.tasks.length > 0)
  if (targeted.length && targeted.every((p) => p.hosts.length === 0)) {
    if (limit) throw new ConfigError('--limit', [o.limit!].flat().join(':'), `a pattern selecting hosts of the plays (${[...new Set(targeted.flatMap((p) => p.all))].join(', ') || 'none in the inventory'})`, 'none of them')
    const unknown = [...new Set(targeted.flatMap((p) => p.unknown))]
    throw new ConfigError(o.inventory.source, 'hosts', `hosts for the plays (${targeted.map((p) => `'${p.play.name}': ${[p.play.hosts].flat().join(':')}`).join('; ')})`,
      o.inventory.hosts.size === 0 ? 'an empty inventory' : unknown.length ? `no host or group named ${unknown.map((n) => `'${n}'`).join(', ')}` : 'no host in those groups')
  }
  return plans
}

class Batch {
  readonly once = new Map<number, Promise<{ executor: string; result: TaskResult }>>()
  fatal: string | undefined
}

export async function runPlaybook(pb: Playbook, o: RunOptions): Promise<RunResult> {
  const plans = planPlaybook(pb, o)
  const runId = o.runId ?? newRunId()
  const checkMode = o.checkMode ?? false
  const reporter = o.reporter ?? {}
  const startedAt = Date.now()
  const results: TaskResult[] = []
  const dead = new Set<string>()
  const unreachable = new Set<string>()
  const warn = (h: string | null, t: string): void => reporter.message?.('warn', h, mask(t))
  const hosts = new RunHosts(o.inventory, o.connector, checkMode,
    (h, t) => reporter.message?.('verbose', h, mask(t)), warn, runId)
  const guard = new RunGuard(runId, pb.name, hosts, o.lock, checkMode, warn)
  const queue = new PQueue({ concurrency: Math.max(1, o.forks ?? 20) })
  /** Host → the task whose commands are running there now. */
  const inflight = new Map<string, string>()
  /** Hosts whose in-flight commands were killed: their failure reads as an interrupt. */
  const killed = new Map<string, string>()
  /** `play index:host` for every host that got through all its tasks of a play. */
  const finished = new Set<string>()
  let aborted: string | undefined
  const interrupted = (): boolean => {
    if (o.signal?.aborted && !aborted) aborted = 'interrupted'
    return !!o.signal?.aborted
  }
  const graceMs = o.graceMs ?? 10_000
  let graceTimer: NodeJS.Timeout | undefined
  const killInFlight = (why: string): void => {
    clearTimeout(graceTimer)
    for (const [h, t] of inflight) if (!killed.has(h)) void stopHost(h, t, why)
  }
  const onInterrupt = (): void => {
    if (inflight.size) warn(null, `interrupted: waiting up to ${graceMs / 1000} s for ${inflight.size} task(s) in flight (${[...inflight.keys()].join(', ')}), then killing them`)
    graceTimer = setTimeout(() => killInFlight(`interrupted: still running after the ${graceMs / 1000} s grace period`), graceMs)
  }
  const onKill = (): void => killInFlight('interrupted twice: killed without waiting')
  if (o.signal?.aborted) onInterrupt()
  else o.signal?.addEventListener('abort', onInterrupt, { once: true })
  o.killSignal?.addEventListener('abort', onKill, { once: true })
  const record = (r: TaskResult): TaskResult => {
    results.push(r)
    reporter.taskEnd?.(r)
    return r
  }

  reporter.runStart?.({ runId, playbook: pb.name, checkMode, inventory: o.inventory.source, argv: o.argv })
  try {
    for (const [pi, { play, hosts: playHosts, tasks, unknown }] of plans.entries()) {
      if (aborted || interrupted()) break
      // A play none of whose tasks are selected (--tags, --skip-tags) is not shown at all.
      if (tasks.length === 0) continue
      const active = playHosts.filter((h) => !dead.has(h))
      reporter.playStart?.(play.name, active)
      for (const n of unknown) reporter.message?.('warn', null, `play '${play.name}': no host or group '${n}' in ${o.inventory.source}; skipped`)
      if (active.length === 0) {
        reporter.message?.('info', null, `play '${play.name}': no hosts matched`)
        continue
      }
      for (const batch of batches(active, play.serial)) {
        if (aborted || interrupted()) break
        const b = new Batch()
        await Promise.all(batch.map((h) => queue.add(async () => {
          if (await runHost(h, play, tasks, b)) finished.add(`${pi}:${h}`)
        })))
        const failed = batch.filter((h) => dead.has(h)).length
        if (b.fatal) aborted = `anyErrorsFatal: ${b.fatal}`
        else if (play.maxFailPercentage !== undefined && (failed * 100) / batch.length > play.maxFailPercentage) {
          aborted = `play '${play.name}': ${failed} of ${batch.length} hosts failed, over maxFailPercentage ${play.maxFailPercentage}`
        } else if (play.serial !== undefined && failed === batch.length) {
          aborted = `play '${play.name}': every host of a serial batch failed`
        }
      }
    }
  } finally {
    clearTimeout(graceTimer)
    o.signal?.removeEventListener('abort', onInterrupt)
    o.killSignal?.removeEventListener('abort', onKill)
    await guard.releaseAll()
    await hosts.closeAll()
  }
  interrupted() // an interrupt during the last tasks still marks the run
  if (aborted) reporter.message?.('warn', null, `run aborted: ${aborted}`)
  const order = [...o.inventory.hosts.keys()]
  const incomplete = new Set(plans.flatMap(({ hosts: ph, tasks }, pi) =>
    tasks.length ? ph.filter((h) => !dead.has(h) && !finished.has(`${pi}:${h}`)) : []))
  const result: RunResult = {
    runId,
    playbook: pb.name,
    checkMode,
    startedAt,
    durationMs: Date.now() - startedAt,
    results,
    recap: Object.fromEntries(Object.entries(recapOf(results)).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))),
    failedHosts: order.filter((h) => dead.has(h) && !unreachable.has(h)),
    unreachableHosts: order.filter((h) => unreachable.has(h)),
    ...(incomplete.size ? { incompleteHosts: order.filter((h) => incomplete.has(h)) } : {}),
    aborted,
  }
  reporter.runEnd?.(result)
  return result

  /** True when the host ran every task of the play. */
  async function runHost(name: string, play: Play, tasks: FlatTask[], b: Batch): Promise<boolean> {
    if (aborted || b.fatal || interrupted()) return false
    let conn: Connection
    const t0 = Date.now()
    try {
      conn = await hosts.connection(name)
    } catch (e) {
      markUnreachable(name)
      record({ play: play.name, host: name, task: 'Connect', status: 'unreachable', reason: errorText(e), startedAt: t0, durationMs: Date.now() - t0 })
      return false
    }
    try {
      const refused = await guard.take(name, conn)
      if (refused) return fail(name, record(taskResult(name, play, 'Take the run lock', 'failed', refused, t0)), play, b)
    } catch (e) {
      const r = taskResult(name, play, 'Take the run lock', e instanceof ConnectError ? 'unreachable' : 'failed', errorText(e), t0)
      record(r)
      return fail(name, r, play, b)
    }
    const ctx = hosts.context(name, conn, play.vars ?? {}, false, play.become)
    const ro = hosts.context(name, conn, play.vars ?? {}, true, play.become)
    const notified = new Map<Handler, string>()

    const runHandlers = async (): Promise<boolean> => {
      for (const [h, by] of notified) {
        notified.delete(h)
        const r = checkMode
          ? taskResult(name, play, h.title, 'changed', `would run (notified by '${by}')`, Date.now(), { handler: true, planned: true })
          : { ...(await runTask(h, ctx, ro, play)), handler: true }
        record(r)
        if (r.status === 'failed' || r.status === 'unreachable') return fail(name, r, play, b)
      }
      return true
    }

    for (const t of tasks) {
      if (b.fatal || interrupted()) return false
      const item = t.item
      if (item.kind === 'flush') {
        if (!(await runHandlers())) return false
        continue
      }
      let r: TaskResult
      if (item.runOnce) {
        let shared = b.once.get(t.index)
        if (!shared) {
          shared = runTask(item, ctx, ro, play, t.role).then((result) => ({ executor: name, result }))
          b.once.set(t.index, shared)
          r = (await shared).result
        } else {
          const s = await shared
          const failedThere = s.result.status === 'failed' || s.result.status === 'unreachable'
          r = taskResult(name, play, item.title, failedThere ? 'failed' : 'skipped',
            `${failedThere ? 'failed' : 'ran'} once on ${s.executor}: ${s.result.status}`, Date.now(), { role: t.role })
        }
      } else {
        r = await runTask(item, ctx, ro, play, t.role)
      }
      record(r)
      if (r.status === 'changed' && item.notify) for (const h of item.notify) if (!notified.has(h)) notified.set(h, item.title)
      if ((r.status === 'failed' && !r.ignored) || r.status === 'unreachable') return fail(name, r, play, b)
    }
    return !interrupted() && (await runHandlers()) && !interrupted()
  }

  /** Kills the host's commands of this run (task timeout, interrupt); its task then fails with `why`. */
  async function stopHost(name: string, task: string, why: string): Promise<void> {
    killed.set(name, why)
    warn(name, `${why}: killing the commands of '${task}'`)
    if (!(await guard.reap(name))) hosts.dropConnection(name)
  }

  function fail(name: string, r: TaskResult, play: Play, b: Batch): false {
    dead.add(name)
    if (r.status === 'unreachable') markUnreachable(name)
    if (play.anyErrorsFatal && !b.fatal) b.fatal = `${name} failed '${r.task}'`
    return false
  }

  function markUnreachable(name: string): void {
    dead.add(name)
    unreachable.add(name)
    hosts.dropConnection(name)
  }

  async function runTask(item: Task | Handler, ctx: HostContext, ro: HostContext, play: Play, roleName?: string): Promise<TaskResult> {
    const t0 = Date.now()
    const extra = { role: roleName, module: item.module.name }
    reporter.taskStart?.(ctx.name, item.title)
    inflight.set(ctx.name, item.title)
    try {
      if (item.kind === 'task' && item.when && !(await item.when(ctx))) {
        return taskResult(ctx.name, play, item.title, 'skipped', item.whenReason ?? 'condition is false', t0, extra)
      }
      const timeoutMs = (item.kind === 'task' ? item.timeoutMs : undefined) ?? o.taskTimeoutMs
      const params = typeof item.params === 'function' ? await (item.params as (h: HostContext) => unknown)(ctx) : item.params
      const plan = await withTimeout(item.module.check(ro, params), timeoutMs, ctx.name, item.title)
      if (!plan.changed) return taskResult(ctx.name, play, item.title, 'ok', plan.reason, t0, extra)
      const diff = plan.diff && {
        path: plan.diff.path,
        before: plan.diff.before === null ? null : mask(plan.diff.before),
        after: plan.diff.after === null ? null : mask(plan.diff.after),
      }
      if (checkMode) return taskResult(ctx.name, play, item.title, 'changed', plan.summary, t0, { ...extra, diff, planned: true })
      const outcome = await withTimeout(item.module.apply(ctx, params, plan), timeoutMs, ctx.name, item.title)
      hosts.invalidateFacts(ctx.name)
      const changed = outcome?.changed ?? true
      const reason = outcome?.output ? `${plan.summary}: ${mask(outcome.output).trim().slice(0, 500)}` : plan.summary
      return taskResult(ctx.name, play, item.title, changed ? 'changed' : 'ok', reason, t0, { ...extra, diff: changed ? diff : undefined })
    } catch (e) {
      hosts.invalidateFacts(ctx.name)
      const why = killed.get(ctx.name)
      if (why) return taskResult(ctx.name, play, item.title, 'failed', `${why} (${errorText(e)})`, t0, extra)
      if (e instanceof ConnectError) return taskResult(ctx.name, play, item.title, 'unreachable', errorText(e), t0, extra)
      if (e instanceof TaskTimeout) await stopHost(ctx.name, item.title, 'task timed out').then(() => killed.delete(ctx.name))
      const ignored = item.kind === 'task' && item.ignoreErrors ? true : undefined
      return taskResult(ctx.name, play, item.title, 'failed', errorText(e), t0, { ...extra, ignored })
    } finally {
      inflight.delete(ctx.name)
    }
  }
}

function taskResult(host: string, play: Play, task: string, status: TaskStatus, reason: string, startedAt: number,
  extra: Partial<TaskResult> = {}): TaskResult {
  const r: TaskResult = { play: play.name, host, task, status, reason: mask(reason), startedAt, durationMs: Date.now() - startedAt, ...extra }
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as TaskResult
}

function errorText(e: unknown): string {
  return mask(e instanceof Error ? e.message : String(e))
}

/** The task-level limit (the engine's), told apart from a command's own `timeoutMs`. */
class TaskTimeout extends TimeoutError {}

async function withTimeout<T>(p: Promise<T>, ms: number | undefined, host: string, what: string): Promise<T> {
  if (!ms) return p
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new TaskTimeout(host, `task '${what}'`, ms)), ms) })])
  } finally {
    clearTimeout(timer)
  }
}
