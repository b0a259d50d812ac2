/**
 * One task (or handler) on one host: its condition, then the module's check with the read-only
 * context, then, unless in check mode, its apply. Results are masked; a task-level timeout kills the
 * task's commands on the host; a failure after a kill reads as the kill's reason.
 */
import { mask } from '../secret.ts'
import { ConnectError, TimeoutError } from '../errors.ts'
import type { HostContext } from './module.ts'
import type { TaskResult } from './results.ts'
import { errorText, taskResult, type RunState } from './run-state.ts'
import type { Handler, Play, Task } from './task.ts'

/** `ahead`: reads facts ahead (readahead.ts) right before the check, within the task's time limit. */
export async function runTask(s: RunState, item: Task | Handler, ctx: HostContext, ro: HostContext, play: Play, roleName?: string, ahead?: () => Promise<void>): Promise<TaskResult> {
  const t0 = Date.now()
  const extra = { role: roleName, module: item.module.name }
  s.reporter.taskStart?.(ctx.name, item.title)
  s.inflight.set(ctx.name, item.title)
  try {
    if (item.kind === 'task' && item.when && !(await item.when(ctx))) {
      return taskResult(ctx.name, play, item.title, 'skipped', item.whenReason ?? 'condition is false', t0, extra)
    }
    const timeoutMs = (item.kind === 'task' ? item.timeoutMs : undefined) ?? s.o.taskTimeoutMs
    const params = typeof item.params === 'function' ? await (item.params as (h: HostContext) => unknown)(ctx) : item.params
    const plan = await withTimeout(ahead ? ahead().then(() => item.module.check(ro, params)) : item.module.check(ro, params), timeoutMs, ctx.name, item.title)
    if (!plan.changed) return taskResult(ctx.name, play, item.title, 'ok', plan.reason, t0, extra)
    const diff = plan.diff && {
      path: plan.diff.path,
      before: plan.diff.before === null ? null : mask(plan.diff.before),
      after: plan.diff.after === null ? null : mask(plan.diff.after),
    }
    if (s.checkMode) return taskResult(ctx.name, play, item.title, 'changed', plan.summary, t0, { ...extra, diff, planned: true })
    const outcome = await withTimeout(item.module.apply(ctx, params, plan), timeoutMs, ctx.name, item.title)
    s.hosts.invalidateFacts(ctx.name)
    const changed = outcome?.changed ?? true
    const reason = outcome?.output ? `${plan.summary}: ${mask(outcome.output).trim().slice(0, 500)}` : plan.summary
    return taskResult(ctx.name, play, item.title, changed ? 'changed' : 'ok', reason, t0, { ...extra, diff: changed ? diff : undefined })
  } catch (e) {
    s.hosts.invalidateFacts(ctx.name)
    const why = s.killed.get(ctx.name)
    if (why) return taskResult(ctx.name, play, item.title, 'failed', `${why} (${errorText(e)})`, t0, extra)
    if (e instanceof ConnectError) return taskResult(ctx.name, play, item.title, 'unreachable', errorText(e), t0, extra)
    if (e instanceof TaskTimeout) await s.stopHost(ctx.name, item.title, 'task timed out').then(() => s.killed.delete(ctx.name))
    const ignored = item.kind === 'task' && item.ignoreErrors ? true : undefined
    return taskResult(ctx.name, play, item.title, 'failed', errorText(e), t0, { ...extra, ignored })
  } finally {
    s.inflight.delete(ctx.name)
  }
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
