/**
 * One host through one play: connect, take the run lock, run the play's tasks in order (run-once
 * tasks once per batch, shared), notify handlers and run them at a flush and at the end. A failure
 * stops this host only (and its batch with anyErrorsFatal).
 */
import type { Connection } from '../connection/types.ts'
import { ConnectError } from '../errors.ts'
import type { TaskResult } from './results.ts'
import { errorText, taskResult, type Batch, type RunState } from './run-state.ts'
import { Readahead } from './readahead.ts'
import { runTask } from './task-runner.ts'
import type { FlatTask, Handler, Play } from './task.ts'

/** True when the host ran every task of the play. */
export async function runHost(s: RunState, name: string, play: Play, tasks: readonly FlatTask[], b: Batch): Promise<boolean> {
  if (s.aborted || b.fatal || s.interrupted()) return false
  let conn: Connection
  const t0 = Date.now()
  try {
    conn = await s.hosts.connection(name)
  } catch (e) {
    s.markUnreachable(name)
    s.record({ play: play.name, host: name, task: 'Connect', status: 'unreachable', reason: errorText(e), startedAt: t0, durationMs: Date.now() - t0 })
    return false
  }
  try {
    const refused = await s.guard.take(name, conn)
    if (refused) return s.fail(name, s.record(taskResult(name, play, 'Take the run lock', 'failed', refused, t0)), play, b)
  } catch (e) {
    const r = taskResult(name, play, 'Take the run lock', e instanceof ConnectError ? 'unreachable' : 'failed', errorText(e), t0)
    s.record(r)
    return s.fail(name, r, play, b)
  }
  const ctx = s.hosts.context(name, conn, play.vars ?? {}, false, play.become)
  const ro = s.hosts.context(name, conn, play.vars ?? {}, true, play.become)
  const notified = new Map<Handler, string>()
  const readahead = s.o.readahead === false ? undefined : new Readahead(s.hosts, name, tasks, ro)

  const runHandlers = async (): Promise<boolean> => {
    for (const [h, by] of notified) {
      notified.delete(h)
      const r = s.checkMode
        ? taskResult(name, play, h.title, 'changed', `would run (notified by '${by}')`, Date.now(), { handler: true, planned: true })
        : { ...(await runTask(s, h, ctx, ro, play)), handler: true }
      s.record(r)
      if (r.status === 'failed' || r.status === 'unreachable') return s.fail(name, r, play, b)
    }
    return true
  }

  for (const [i, t] of tasks.entries()) {
    if (b.fatal || s.interrupted()) return false
    const item = t.item
    if (item.kind === 'flush') {
      if (!(await runHandlers())) return false
      continue
    }
    let r: TaskResult
    if (item.runOnce) {
      let shared = b.once.get(t.index)
      if (!shared) {
        shared = runTask(s, item, ctx, ro, play, t.role).then((result) => ({ executor: name, result }))
        b.once.set(t.index, shared)
        r = (await shared).result
      } else {
        const done = await shared
        const failedThere = done.result.status === 'failed' || done.result.status === 'unreachable'
        r = taskResult(name, play, item.title, failedThere ? 'failed' : 'skipped',
          `${failedThere ? 'failed' : 'ran'} once on ${done.executor}: ${done.result.status}`, Date.now(), { role: t.role })
      }
    } else {
      r = await runTask(s, item, ctx, ro, play, t.role, readahead && (() => readahead.before(i)))
    }
    s.record(r)
    if (r.status === 'changed' && item.notify) for (const h of item.notify) if (!notified.has(h)) notified.set(h, item.title)
    if ((r.status === 'failed' && !r.ignored) || r.status === 'unreachable') return s.fail(name, r, play, b)
  }
  return !s.interrupted() && (await runHandlers()) && !s.interrupted()
}
