/** Pure: `kubectl diff` output read per object, shown as one report diff and summarised (the kubectl module's check). */
import type { FileDiff } from '../engine/module.ts'

/** One object's section of a `kubectl diff`: `apps.v1.Deployment.metallb-system.controller`. */
export interface ObjectDiff {
  readonly object: string
  readonly before: string
  readonly after: string
}

/**
 * Pure: a `kubectl diff` (unified diffs of LIVE vs MERGED files, one per object) split into per-object
 * before/after texts, so the engine shows and masks it like any file diff.
 */
export function parseKubectlDiff(text: string): ObjectDiff[] {
  const out: ObjectDiff[] = []
  let cur: { object: string; before: string[]; after: string[] } | null = null
  const flush = (): void => { if (cur) out.push({ object: cur.object, before: cur.before.join('\n'), after: cur.after.join('\n') }) }
  for (const line of text.split('\n')) {
    const head = /^diff .*?(\S+)\s+\S+$/.exec(line)
    if (head) {
      flush()
      cur = { object: head[1]!.split('/').pop()!, before: [], after: [] }
      continue
    }
    if (!cur || /^(---|\+\+\+|@@) /.test(line) || line.startsWith('\\ No newline')) continue
    if (line.startsWith('-')) cur.before.push(line.slice(1))
    else if (line.startsWith('+')) cur.after.push(line.slice(1))
    else if (line.startsWith(' ') || line === '') { cur.before.push(line.slice(1)); cur.after.push(line.slice(1)) }
  }
  flush()
  return out
}

/** Pure: per-object diffs as one FileDiff (a `# object` header before each), for the report. */
export function objectsDiff(objects: readonly ObjectDiff[], label: string): FileDiff {
  const join = (side: 'before' | 'after'): string => objects.map((o) => `# ${o.object}\n${o[side]}`).join('\n')
  return { path: label, before: join('before'), after: join('after') }
}

/** Pure: summary of what would change. */
export function diffSummary(objects: readonly ObjectDiff[]): string {
  const names = objects.map((o) => o.object)
  const shown = names.slice(0, 4).join(', ') + (names.length > 4 ? `, +${names.length - 4} more` : '')
  return `apply ${names.length} object${names.length === 1 ? '' : 's'} (${shown})`
}
