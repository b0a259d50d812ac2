/**
 * Several run records of one playbook — the shards of one run (`--shard I/N` in N CI jobs) — read as
 * one run, so `kubeplay report` gives one JSON and one HTML report for all of them. Each host must
 * come from one record only; the playbook and check mode must agree.
 */
import { ConfigError } from '../errors.ts'
import type { HostRecap, RunResult } from '../engine/results.ts'
import type { ReportExtra } from './json.ts'

export interface ReadRun { readonly file: string; readonly result: RunResult; readonly extra: ReportExtra }

/** Pure: `--shard I/N` (and `--shard=I/N`) taken out of a command line. */
export function withoutShard(argv: readonly string[]): string[] {
  return argv.filter((a, i) => a !== '--shard' && argv[i - 1] !== '--shard' && !a.startsWith('--shard='))
}

/** Pure: the runs as one (one run is returned as it is). */
export function mergeRuns(runs: readonly ReadRun[]): { result: RunResult; extra: ReportExtra } {
  const [first, ...rest] = runs
  if (!first) throw new ConfigError('command line', 'RUN', 'one run record or more', 'none')
  if (!rest.length) return first
  const owner = new Map<string, string>()
  for (const { file, result } of runs) {
    if (result.playbook !== first.result.playbook) throw new ConfigError(file, 'playbook', `'${first.result.playbook}', as in ${first.file} (merged runs are the shards of one playbook's run)`, `'${result.playbook}'`)
    if (result.checkMode !== first.result.checkMode) throw new ConfigError(file, 'checkMode', `${first.result.checkMode}, as in ${first.file}`, String(result.checkMode))
    for (const host of Object.keys(result.recap)) {
      const other = owner.get(host)
      if (other !== undefined) throw new ConfigError(file, 'hosts', `hosts no other merged run has (each host in one shard)`, `'${host}', also in ${other}`)
      owner.set(host, file)
    }
  }
  const results = runs.flatMap((r) => r.result.results).sort((a, b) => a.startedAt - b.startedAt)
  const recap: Record<string, HostRecap> = {}
  for (const r of runs) Object.assign(recap, r.result.recap)
  const startedAt = Math.min(...runs.map((r) => r.result.startedAt))
  const endedAt = Math.max(...runs.map((r) => r.result.startedAt + r.result.durationMs))
  const union = (k: 'failedHosts' | 'unreachableHosts' | 'incompleteHosts'): string[] => runs.flatMap((r) => r.result[k] ?? [])
  const aborted = runs.filter((r) => r.result.aborted).map((r) => `run ${r.result.runId}: ${r.result.aborted}`)
  const result: RunResult = {
    runId: runs.map((r) => r.result.runId).join('+'),
    playbook: first.result.playbook,
    checkMode: first.result.checkMode,
    startedAt,
    durationMs: endedAt - startedAt,
    results,
    recap,
    failedHosts: union('failedHosts'),
    unreachableHosts: union('unreachableHosts'),
    incompleteHosts: union('incompleteHosts'),
    ...(aborted.length ? { aborted: aborted.join('; ') } : {}),
  }
  const inventories = [...new Set(runs.map((r) => r.extra.inventory))]
  const extra: ReportExtra = {
    inventory: inventories.join(', '),
    argv: withoutShard(first.extra.argv),
    kubeplayVersion: first.extra.kubeplayVersion,
    merged: runs.map((r) => ({ id: r.result.runId, argv: [...r.extra.argv], startedAt: r.result.startedAt, durationMs: r.result.durationMs })),
  }
  return { result, extra }
}
