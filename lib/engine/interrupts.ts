/**
 * Ctrl-C during a run: the first interrupt stops every host before its next task and gives the
 * commands in flight `graceMs` to finish, then kills them on their hosts; a second one (killSignal)
 * kills them at once.
 */
import type { RunState } from './run-state.ts'

/** Starts watching the run's signals; the returned function stops watching. */
export function watchInterrupts(s: RunState): () => void {
  const { signal, killSignal } = s.o
  const graceMs = s.o.graceMs ?? 10_000
  let graceTimer: NodeJS.Timeout | undefined
  const killInFlight = (why: string): void => {
    clearTimeout(graceTimer)
    for (const [h, t] of s.inflight) if (!s.killed.has(h)) void s.stopHost(h, t, why)
  }
  const onInterrupt = (): void => {
    if (s.inflight.size) s.warn(null, `interrupted: waiting up to ${graceMs / 1000} s for ${s.inflight.size} task(s) in flight (${[...s.inflight.keys()].join(', ')}), then killing them`)
    graceTimer = setTimeout(() => killInFlight(`interrupted: still running after the ${graceMs / 1000} s grace period`), graceMs)
  }
  const onKill = (): void => killInFlight('interrupted twice: killed without waiting')
  if (signal?.aborted) onInterrupt()
  else signal?.addEventListener('abort', onInterrupt, { once: true })
  killSignal?.addEventListener('abort', onKill, { once: true })
  return () => {
    clearTimeout(graceTimer)
    signal?.removeEventListener('abort', onInterrupt)
    killSignal?.removeEventListener('abort', onKill)
  }
}
