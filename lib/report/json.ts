/**
 * The machine-readable run report (`--json FILE`): one versioned document, documented field by field
 * in docs/json-report.md. Consumers key on `schema`; a field is never renamed or removed within v1,
 * only added. Absent values are `null`, never missing keys, so the shape is the same for every run.
 * Every string is masked again on the way out: the engine already masks results, and a report is
 * exactly the kind of file that gets attached to a ticket.
 */
import { mask } from '../secret.ts'
import { unifiedDiff } from '../engine/diff.ts'
import type { HostRecap, RunResult, TaskResult, TaskStatus } from '../engine/results.ts'

export const JSON_REPORT_SCHEMA = 'kubeplay.run/v1'

export interface ReportExtra {
  /** Where the inventory came from (path, `lab:NAME`). */
  readonly inventory: string
  /** The command-line arguments after the playbook script. */
  readonly argv: readonly string[]
  readonly kubeplayVersion: string
  /** The full command that retries the failed hosts (main.ts's rerun hint), when known. */
  readonly rerun?: string
  /** A report of several runs merged (the shards of one run): each run's id, arguments and times. */
  readonly merged?: readonly MergedRun[]
}

export interface MergedRun { readonly id: string; readonly argv: readonly string[]; readonly startedAt: number; readonly durationMs: number }

export type RunOutcome = 'ok' | 'changed' | 'failed' | 'unreachable' | 'aborted'
export type HostOutcome = 'ok' | 'changed' | 'failed' | 'unreachable'

export interface JsonHost extends HostRecap {
  readonly name: string
  readonly outcome: HostOutcome
}

export interface JsonTask {
  readonly index: number
  readonly play: string
  readonly host: string
  readonly task: string
  readonly role: string | null
  readonly module: string | null
  readonly status: TaskStatus
  readonly reason: string
  readonly handler: boolean
  readonly planned: boolean
  readonly ignored: boolean
  readonly startedAt: string
  readonly offsetMs: number
  readonly durationMs: number
  readonly diff: { readonly path: string; readonly before: string | null; readonly after: string | null; readonly unified: string } | null
}

export interface JsonReport {
  readonly schema: typeof JSON_REPORT_SCHEMA
  readonly kubeplayVersion: string
  readonly run: {
    readonly id: string
    readonly playbook: string
    readonly inventory: string
    readonly argv: readonly string[]
    readonly checkMode: boolean
    readonly startedAt: string
    readonly finishedAt: string
    readonly durationMs: number
    readonly outcome: RunOutcome
    readonly aborted: string | null
    /** The runs this report merges (`kubeplay report RUN RUN…`), or null for one run. */
    readonly merged: readonly { readonly id: string; readonly argv: readonly string[]; readonly startedAt: string; readonly durationMs: number }[] | null
  }
  readonly totals: HostRecap & { readonly hosts: number; readonly tasks: number }
  readonly hosts: readonly JsonHost[]
  readonly failedHosts: readonly string[]
  readonly unreachableHosts: readonly string[]
  readonly incompleteHosts: readonly string[]
  readonly tasks: readonly JsonTask[]
  readonly rerun: { readonly argv: readonly string[]; readonly command: string | null } | null
}

const byName = new Intl.Collator('en', { numeric: true }).compare
const iso = (ms: number): string => new Date(ms).toISOString()
const maskOrNull = (s: string | null): string | null => (s === null ? null : mask(s))

function hostOutcome(name: string, c: HostRecap, r: RunResult): HostOutcome {
  if (r.unreachableHosts.includes(name)) return 'unreachable'
  if (r.failedHosts.includes(name)) return 'failed'
  return c.changed ? 'changed' : 'ok'
}

function task(t: TaskResult, index: number, runStart: number): JsonTask {
  const before = t.diff ? maskOrNull(t.diff.before) : null
  const after = t.diff ? maskOrNull(t.diff.after) : null
  return {
    index,
    play: mask(t.play),
    host: t.host,
    task: mask(t.task),
    role: t.role ?? null,
    module: t.module ?? null,
    status: t.status,
    reason: mask(t.reason),
    handler: !!t.handler,
    planned: !!t.planned,
    ignored: !!t.ignored,
    startedAt: iso(t.startedAt),
    offsetMs: Math.max(0, t.startedAt - runStart),
    durationMs: t.durationMs,
    diff: t.diff ? { path: mask(t.diff.path), before, after, unified: unifiedDiff(before, after, mask(t.diff.path)) } : null,
  }
}

export function toJsonReport(result: RunResult, extra: ReportExtra): JsonReport {
  // recap keys come in the order hosts first finished a task: sort for a stable, scannable table
  const hosts = Object.entries(result.recap).sort(([a], [b]) => byName(a, b)).map(([name, c]): JsonHost => ({ name, ...c, outcome: hostOutcome(name, c, result) }))
  const sum = (k: keyof HostRecap): number => hosts.reduce((n, h) => n + h[k], 0)
  const incomplete = result.incompleteHosts ?? []
  const failing = result.failedHosts.length + result.unreachableHosts.length + incomplete.length > 0
  const outcome: RunOutcome = result.aborted ? 'aborted' : result.failedHosts.length ? 'failed'
    : result.unreachableHosts.length ? 'unreachable' : sum('changed') ? 'changed' : 'ok'
  const argv = extra.argv.map(mask)
  return {
    schema: JSON_REPORT_SCHEMA,
    kubeplayVersion: extra.kubeplayVersion,
    run: {
      id: result.runId,
      playbook: result.playbook,
      inventory: mask(extra.inventory),
      argv,
      checkMode: result.checkMode,
      startedAt: iso(result.startedAt),
      finishedAt: iso(result.startedAt + result.durationMs),
      durationMs: result.durationMs,
      outcome,
      aborted: result.aborted === undefined ? null : mask(result.aborted),
      merged: extra.merged ? extra.merged.map((m) => ({ id: m.id, argv: m.argv.map(mask), startedAt: iso(m.startedAt), durationMs: m.durationMs })) : null,
    },
    totals: {
      hosts: hosts.length, tasks: result.results.length,
      ok: sum('ok'), changed: sum('changed'), failed: sum('failed'), skipped: sum('skipped'), unreachable: sum('unreachable'), ignored: sum('ignored'),
    },
    hosts,
    failedHosts: [...result.failedHosts],
    unreachableHosts: [...result.unreachableHosts],
    incompleteHosts: [...incomplete],
    tasks: result.results.map((t, i) => task(t, i, result.startedAt)),
    // Merged shards have no one state directory to --retry from: name the hosts instead.
    rerun: !failing ? null : extra.merged
      ? { argv: [...argv, '--limit', [...new Set([...result.failedHosts, ...result.unreachableHosts, ...incomplete])].join(':')], command: null }
      : { argv: [...argv.filter((a) => a !== '--retry'), '--retry'], command: extra.rerun === undefined ? null : mask(extra.rerun) },
  }
}

/** The report as the text written to `--json FILE`: two-space indented, newline-terminated. */
export function jsonReportText(result: RunResult, extra: ReportExtra): string {
  return `${JSON.stringify(toJsonReport(result, extra), null, 2)}\n`
}
