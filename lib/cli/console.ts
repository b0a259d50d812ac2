/**
 * Console output: one plain line per finished task, prefixed by host (stable in CI logs), file diffs
 * with --diff, then ansible-playbook's PLAY RECAP, the slowest tasks and the rerun hint.
 * Colour only on a TTY and never with NO_COLOR. Everything printed here is already masked.
 */
import { mask } from '../connection/quote.ts'
import { unifiedDiff } from '../engine/diff.ts'
import type { Reporter, RunResult, TaskResult } from '../engine/results.ts'

export interface ConsoleOptions {
  readonly verbose: number
  readonly diff: boolean
  readonly color?: boolean
  readonly write?: (line: string) => void
  /** The command to print after a failed run (`… --retry`). */
  readonly rerunHint?: string
}

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const
type Colour = keyof typeof CODES

export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return !!stream.isTTY && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb'
}

const STATUS_COLOUR: Record<TaskResult['status'], Colour> = { ok: 'green', changed: 'yellow', failed: 'red', skipped: 'cyan', unreachable: 'red' }

export function consoleReporter(o: ConsoleOptions): Reporter {
  const color = o.color ?? useColor()
  const out = o.write ?? ((l: string) => process.stdout.write(`${l}\n`))
  const paint = (c: Colour, s: string): string => (color ? `\x1b[${CODES[c]}m${s}\x1b[0m` : s)
  const hostWidth = { n: 8 }
  let checkMode = false
  return {
    runStart(info) {
      checkMode = info.checkMode
      out(paint('bold', `kubeplay ${info.playbook}${info.checkMode ? ' (check mode: nothing will be changed)' : ''} — inventory ${info.inventory} — run ${info.runId}`))
    },
    playStart(play, hosts) {
      hostWidth.n = Math.max(8, ...hosts.map((h) => h.length))
      out('')
      out(paint('bold', `PLAY [${play}] ${hosts.length ? hosts.join(', ') : '(no hosts)'}`))
    },
    taskEnd(r) {
      const label = r.ignored ? 'ignored' : r.planned && r.status === 'changed' ? 'would' : r.status
      const head = `${r.host.padEnd(hostWidth.n)} ${paint(r.ignored ? 'yellow' : STATUS_COLOUR[r.status], label.padEnd(11))} ${r.handler ? 'handler: ' : ''}${r.task}`
      const time = paint('dim', ` (${r.durationMs} ms)`)
      const showReason = r.status !== 'ok' || o.verbose > 0
      out(`${head}${time}${showReason && r.reason ? ` — ${firstLines(r.reason, r.status === 'failed' ? 12 : 1)}` : ''}`)
      if (o.diff && r.diff && r.status === 'changed') {
        for (const line of unifiedDiff(r.diff.before, r.diff.after, r.diff.path).split('\n')) {
          out(`    ${line.startsWith('+') ? paint('green', line) : line.startsWith('-') ? paint('red', line) : line}`)
        }
      }
    },
    message(level, host, text) {
      if (level === 'verbose' && o.verbose === 0) return
      const prefix = host ? `${host.padEnd(hostWidth.n)} ` : ''
      out(level === 'warn' ? paint('yellow', `${prefix}WARNING: ${mask(text)}`) : paint('dim', `${prefix}${mask(text)}`))
    },
    runEnd(r) {
      for (const line of recapLines(r, paint)) out(line)
      if (!checkMode && (r.failedHosts.length || r.unreachableHosts.length) && o.rerunHint) {
        out('')
        out(`to retry the failed hosts: ${o.rerunHint}`)
      }
    },
  }
}

function firstLines(s: string, n: number): string {
  const lines = s.split('\n')
  return lines.length <= n ? lines.join('\n    ') : `${lines.slice(0, n).join('\n    ')} …`
}

/** PLAY RECAP + slowest tasks + totals. */
export function recapLines(r: RunResult, paint: (c: Colour, s: string) => string = (_c, s) => s): string[] {
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
