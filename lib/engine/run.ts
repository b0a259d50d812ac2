/**
 * The run loop. Plays in order; within a play, serial batches in order; within a batch, hosts in
 * parallel (bounded by `forks`), each host running its tasks in order: check → (apply unless check
 * mode). A failed host stops only its own tasks. Handlers run once per host at the end of the play
 * or at a flush, only if notified. The parts: plan.ts (what runs where, before any connection),
 * batches.ts, run-state.ts, host-runner.ts, task-runner.ts, interrupts.ts.
 */
import PQueue from 'p-queue'
import { batches, batchVerdict } from './batches.ts'
import { runHost } from './host-runner.ts'
import { watchInterrupts } from './interrupts.ts'
import { planPlaybook } from './plan.ts'
import type { RunResult } from './results.ts'
import { Batch, RunState, type RunOptions } from './run-state.ts'
import type { Playbook } from './task.ts'

export type { RunOptions } from './run-state.ts'
export { newRunId } from './run-state.ts'
export { planPlaybook, playbookTags, type PlayPlan } from './plan.ts'
export { batches } from './batches.ts'

export async function runPlaybook(pb: Playbook, o: RunOptions): Promise<RunResult> {
  const plans = planPlaybook(pb, o)
  const s = new RunState(pb, o)
  const { reporter } = s
  const stopWatching = watchInterrupts(s)
  const queue = new PQueue({ concurrency: Math.max(1, o.forks ?? 20) })

  // A host's lock is released and its connection closed once it has no task in any later play,
  // while the others still run (an interrupted run releases them all at its end, after reaping).
  const lastPlay = new Map<string, number>()
  plans.forEach((p, pi) => { if (p.tasks.length > 0) for (const h of p.hosts) lastPlay.set(h, pi) })

  reporter.runStart?.({ runId: s.runId, playbook: pb.name, checkMode: s.checkMode, inventory: o.inventory.source, argv: o.argv })
  try {
    for (const [pi, { play, hosts: playHosts, tasks, unknown }] of plans.entries()) {
      if (s.aborted || s.interrupted()) break
      // A play none of whose tasks are selected (--tags, --skip-tags) is not shown at all.
      if (tasks.length === 0) continue
      const active = playHosts.filter((h) => !s.dead.has(h))
      reporter.playStart?.(play.name, active)
      for (const n of unknown) reporter.message?.('warn', null, `play '${play.name}': no host or group '${n}' in ${o.inventory.source}; skipped`)
      if (active.length === 0) {
        reporter.message?.('info', null, `play '${play.name}': no hosts matched`)
        continue
      }
      for (const batch of batches(active, play.serial)) {
        if (s.aborted || s.interrupted()) break
        const b = new Batch()
        await Promise.all(batch.map((h) => queue.add(async () => {
          if (await runHost(s, h, play, tasks, b)) s.finished.add(`${pi}:${h}`)
          if (lastPlay.get(h) === pi && !s.o.signal?.aborted) {
            await s.guard.release(h)
            // Done with this host: its connection goes too (a later cross-host read reconnects), so a
            // run holds about `forks` connections at a time, not one per host.
            s.hosts.dropConnection(h)
          }
        })))
        const stop = batchVerdict(play, batch, batch.filter((h) => s.dead.has(h)).length, b.fatal)
        if (stop) s.aborted = stop
      }
    }
  } finally {
    stopWatching()
    await s.guard.releaseAll()
    await s.hosts.closeAll()
  }
  s.interrupted() // an interrupt during the last tasks still marks the run
  if (s.aborted) reporter.message?.('warn', null, `run aborted: ${s.aborted}`)
  const result = s.result(plans)
  reporter.runEnd?.(result)
  return result
}
