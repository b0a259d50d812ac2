/**
 * Console output. Two modes:
 * - plain (pipes, CI, `write` given): one line per finished task, prefixed by host, in the order the
 *   tasks end: stable and greppable in CI logs;
 * - live (stdout is a terminal and `CI` is unset): a per-host progress block redrawn in place
 *   (progress.ts); only what a reader needs afterwards scrolls above it: changed, failed, unreachable
 *   and ignored tasks (every task with -v), diffs with --diff, warnings, -v messages.
 * Both end with ansible-playbook's PLAY RECAP, the slowest tasks and the rerun hint; in live mode the
 * block is erased first, so the run collapses to its recap. Every line is masked once more on the
 * way out: the engine masks results, but a message from anywhere must not leak a Secret either.
 */
import { mask } from '../secret.ts'
import { unifiedDiff } from '../engine/diff.ts'
import type { Reporter, RunResult, TaskResult } from '../engine/results.ts'
import { paintDiffLine, paintWith, useColor, type Colour, type Paint } from './colour.ts'
import { createProgress, type ProgressOptions, type ProgressStream } from './progress.ts'

export { useColor } from './colour.ts'

export interface ConsoleOptions {
  readonly verbose: number
  readonly diff: boolean
  /** @default useColor(stream) */
  readonly color?: boolean
  /** Plain mode's line sink; giving one turns live mode off unless `live` says otherwise. */
  readonly write?: (line: string) => void
  /** The command to print after a failed run (`… --retry`). */
  readonly rerunHint?: string
  /** Live per-host progress. @default stream is a TTY, `CI` unset, TERM not dumb, no `write` */
  readonly live?: boolean
  /** Where output goes. @default process.stdout */
  readonly stream?: ProgressStream
  /** Clock and timer for the live block (tests). */
  readonly now?: ProgressOptions['now']
  readonly schedule?: ProgressOptions['schedule']
}

const STATUS_COLOUR: Record<TaskResult['status'], Colour> = { ok: 'green', changed: 'yellow', failed: 'red', skipped: 'cyan', unreachable: 'red' }

export function consoleReporter(o: ConsoleOptions): Reporter {
  const stream: ProgressStream = o.stream ?? process.stdout
  const color = o.color ?? useColor(stream)
  const paint = paintWith(color)
  const live = o.live ?? (!o.write && !!stream.isTTY && !process.env.CI && process.env.TERM !== 'dumb')
  const progress = live ? createProgress({ stream, color, now: o.now, schedule: o.schedule }) : undefined
  const sink = o.write ?? ((l: string) => { stream.write(`${l}\n`) })
  const emit = (...lines: string[]): void => {
    const masked = lines.map(mask)
    if (progress) progress.log(masked)
    else masked.forEach((l) => sink(l))
  }
  let hostWidth = 8
  let checkMode = false
  return {
    runStart(info) {
      checkMode = info.checkMode
      const shard = info.argv?.find((a, i) => info.argv?.[i - 1] === '--shard' || a.startsWith('--shard='))?.replace('--shard=', '')
      emit(paint('bold', `kubeplay ${info.playbook}${info.checkMode ? ' (check mode: nothing will be changed)' : ''} — inventory ${info.inventory}${shard ? ` — shard ${shard}` : ''} — run ${info.runId}`))
    },
    playStart(play, hosts) {
      hostWidth = Math.max(8, ...hosts.map((h) => h.length))
      emit('', paint('bold', `PLAY [${play}] ${hosts.length ? hosts.join(', ') : '(no hosts)'}`))
      progress?.play(play, hosts)
    },
    taskStart(host, task) {
      progress?.taskStart(host, task)
    },
    taskEnd(r) {
      progress?.taskEnd(r)
      const worthKeeping = r.status !== 'ok' && r.status !== 'skipped'
      if (progress && !worthKeeping && o.verbose === 0) return
      emit(...taskLines(r, o, paint, hostWidth))
    },
    message(level, host, text) {
      if (level === 'verbose' && o.verbose === 0) return
      const prefix = host ? `${host.padEnd(hostWidth)} ` : ''
      emit(...text.split('\n').map((t, i) => {
        const line = `${prefix}${level === 'warn' && i === 0 ? 'WARNING: ' : ''}${t}`
        return level === 'warn' ? paint('yellow', line) : paint('dim', line)
      }))
    },
    runEnd(r) {
      progress?.stop()
      const lines = recapLines(r, paint)
      if (!checkMode && (r.failedHosts.length || r.unreachableHosts.length) && o.rerunHint) lines.push('', `to retry the failed hosts: ${o.rerunHint}`)
      lines.map(mask).forEach((l) => sink(l))
    },
  }
}

/** One finished task: `host  status  title (N ms) — reason`, then its diff with --diff. */
export function taskLines(r: TaskResult, o: Pick<ConsoleOptions, 'verbose' | 'diff'>, paint: Paint, hostWidth = 8): string[] {
  const label = r.ignored ? 'ignored' : r.planned && r.status === 'changed' ? 'would' : r.status
  const head = `${r.host.padEnd(hostWidth)} ${paint(r.ignored ? 'yellow' : STATUS_COLOUR[r.status], label.padEnd(11))} ${r.handler ? 'handler: ' : ''}${r.task}`
  const time = paint('dim', ` (${r.durationMs} ms)`)
  const showReason = r.status !== 'ok' || o.verbose > 0
  const lines = [`${head}${time}${showReason && r.reason ? ` — ${firstLines(r.reason, r.status === 'failed' ? 12 : 1)}` : ''}`]
  if (o.diff && r.diff && r.status === 'changed') {
    for (const line of unifiedDiff(r.diff.before, r.diff.after, r.diff.path).split('\n')) lines.push(`    ${paintDiffLine(line, paint)}`)
  }
  return lines
}

function firstLines(s: string, n: number): string {
  const lines = s.split('\n')
  return lines.length <= n ? lines.join('\n    ') : `${lines.slice(0, n).join('\n    ')} …`
}

/** PLAY RECAP + slowest tasks + totals. */
export function recapLines(r: RunResult, paint: Paint = (_c, s) => s): string[] {
  const hosts = Object.keys(r.recap)
  const w = Math.max(8, ...hosts.map((h) => h.length))
  const lines = ['', paint('bold', 'PLAY RECAP')]
  for (const h of hosts) {
    const c = r.recap[h]!
    const colour: Colour = c.failed || c.unreachable ? 'red' : c.changed ? 'yellow' : 'green'
    lines.push(`${paint(colour, h.padEnd(w))} : ok=${c.ok} changed=${c.changed} unreachable=${c.unreachable} failed=${c.failed} skipped=${c.skipped} ignored=${c.ignored}`)
  }
  const slow = [...r.results].sort((a, b) => b.durationMs - a.durationMs).slice(0, 5).filter((t) => t.durationMs > 0)
  if (slow.length) {
    lines.push('', 'slowest tasks:')
    for (const t of slow) lines.push(`  ${String(t.durationMs).padStart(7)} ms  ${t.host}  ${t.task}`)
  }
  const changed = Object.values(r.recap).reduce((n, c) => n + c.changed, 0)
  lines.push('', `${r.checkMode ? 'planned changes' : 'changed'}: ${changed}, hosts: ${hosts.length}, failed: ${r.failedHosts.length}, unreachable: ${r.unreachableHosts.length}, time: ${(r.durationMs / 1000).toFixed(1)} s${r.aborted ? `, aborted: ${r.aborted}` : ''}`)
  return lines
}
