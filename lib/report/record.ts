/**
 * A run record (`.kubeplay/runs/<runId>.jsonl`, written as the run goes) read back into the run's
 * result, so the JSON and HTML reports can be made after the fact (`kubeplay report`) from any run,
 * including one that was killed before its end: its hosts are then reported as incomplete. The
 * record never holds diffs (they may carry file contents), so neither do these reports.
 */
import { readFileSync } from 'node:fs'
import { ConfigError } from '../errors.ts'
import type { HostRecap, RunResult, TaskResult } from '../engine/results.ts'
import type { ReportExtra } from './json.ts'

const emptyRecap = (): HostRecap => ({ ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 })

/** Pure: the record's text → the run's result and what the reports say about its command line. */
export function parseRunRecord(text: string, file: string, kubeplayVersion: string): { result: RunResult; extra: ReportExtra } {
  const events = text.split('\n').map((l, i) => ({ l, n: i + 1 })).filter((x) => x.l.trim()).map(({ l, n }) => {
    try {
      const e = JSON.parse(l) as { type?: unknown }
      if (typeof e !== 'object' || e === null || typeof e.type !== 'string') throw new Error('no "type"')
      return e as Record<string, unknown> & { type: string }
    } catch (err) {
      throw new ConfigError(`${file}:${n}`, 'line', 'one JSON event of a kubeplay run record', (err as Error).message)
    }
  })
  const start = events.find((e) => e.type === 'run')
  if (!start) throw new ConfigError(file, 'run', 'a kubeplay run record (its first event is {"type":"run",…})', events.length ? `first event of type '${events[0]!.type}'` : 'an empty file')
  const results = events.filter((e) => e.type === 'task') as unknown as TaskResult[]
  const end = events.find((e) => e.type === 'end') as undefined | {
    durationMs: number; recap: Record<string, HostRecap>; failedHosts: string[]; unreachableHosts: string[]; incompleteHosts?: string[]; aborted?: string; at: number
  }
  const startedAt = Number(start.at ?? results[0]?.startedAt ?? 0)
  let result: RunResult
  if (end) {
    result = {
      runId: String(start.runId), playbook: String(start.playbook), checkMode: start.checkMode === true, startedAt,
      durationMs: end.durationMs, results, recap: end.recap, failedHosts: end.failedHosts, unreachableHosts: end.unreachableHosts,
      incompleteHosts: end.incompleteHosts, aborted: end.aborted,
    }
  } else {
    // Killed before its end: the recap is what the finished tasks say.
    const recap: Record<string, HostRecap> = {}
    for (const r of results) {
      const h = (recap[r.host] ??= emptyRecap())
      if (r.status === 'failed' && r.ignored) h.ignored++
      else h[r.status]++
    }
    const lastAt = Math.max(startedAt, ...results.map((r) => r.startedAt + r.durationMs))
    const hosts = Object.keys(recap)
    result = {
      runId: String(start.runId), playbook: String(start.playbook), checkMode: start.checkMode === true, startedAt,
      durationMs: lastAt - startedAt, results, recap,
      failedHosts: hosts.filter((h) => recap[h]!.failed > 0), unreachableHosts: hosts.filter((h) => recap[h]!.unreachable > 0),
      incompleteHosts: hosts, aborted: 'the run record ends before the run did (the process was killed): the hosts\' last tasks are unknown',
    }
  }
  const argv = Array.isArray(start.argv) ? start.argv.map(String) : []
  return { result, extra: { inventory: String(start.inventory ?? ''), argv, kubeplayVersion } }
}

export function readRunRecord(file: string, kubeplayVersion: string): { result: RunResult; extra: ReportExtra } {
  let text: string
  try { text = readFileSync(file, 'utf8') } catch (e) {
    throw new ConfigError('command line', 'RUN', 'a run record (.kubeplay/runs/<run>.jsonl) or "last"', `${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  return parseRunRecord(text, file, kubeplayVersion)
}
