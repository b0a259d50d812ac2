/**
 * Line arithmetic shared by lineInFile and blockInFile: split text into lines remembering whether
 * it ended with a newline, find where to insert, and join back.
 */
import { ModuleError } from '../errors.ts'

export type Anchor = RegExp | 'BOF' | 'EOF'

export interface Lines {
  lines: string[]
  /** Whether the text ended with '\n' (kept as found unless a line is appended at the end). */
  trailingNewline: boolean
}

export function splitLines(text: string): Lines {
  if (text === '') return { lines: [], trailingNewline: true }
  const lines = text.split('\n')
  const trailingNewline = lines[lines.length - 1] === ''
  if (trailingNewline) lines.pop()
  return { lines, trailingNewline }
}

export function joinLines(l: Lines): string {
  return l.lines.length === 0 ? '' : l.lines.join('\n') + (l.trailingNewline ? '\n' : '')
}

/** A copy without the g/y flags, whose `lastIndex` would make `test` answer differently per call. */
export function stateless(re: RegExp): RegExp {
  return re.global || re.sticky ? new RegExp(re.source, re.flags.replace(/[gy]/g, '')) : re
}

export function lastIndexMatching(lines: readonly string[], re: RegExp): number {
  const r = stateless(re)
  for (let i = lines.length - 1; i >= 0; i--) if (r.test(lines[i]!)) return i
  return -1
}

/**
 * Where new lines go (Ansible semantics): after/before the last line matching the anchor, at the
 * start (BOF) or the end (EOF); a regexp that matches nothing means the end.
 */
export function insertionIndex(lines: readonly string[], p: { insertAfter?: Anchor; insertBefore?: Anchor }): number {
  if (p.insertBefore !== undefined) {
    if (p.insertBefore === 'BOF') return 0
    if (p.insertBefore === 'EOF') return lines.length
    const i = lastIndexMatching(lines, p.insertBefore)
    return i < 0 ? lines.length : i
  }
  if (p.insertAfter === undefined || p.insertAfter === 'EOF') return lines.length
  if (p.insertAfter === 'BOF') return 0
  const i = lastIndexMatching(lines, p.insertAfter)
  return i < 0 ? lines.length : i + 1
}

/** Inserts at `at`; lines added at the end get a newline after the previous last line. */
export function insertLines(l: Lines, at: number, added: readonly string[]): Lines {
  const lines = [...l.lines.slice(0, at), ...added, ...l.lines.slice(at)]
  return { lines, trailingNewline: at >= l.lines.length ? true : l.trailingNewline }
}

export function validateAnchors(module: string, path: string, p: { insertAfter?: unknown; insertBefore?: unknown }): void {
  if (p.insertAfter !== undefined && p.insertBefore !== undefined) {
    throw new ModuleError(module, `${path}: expected at most one of insertAfter or insertBefore, found both`)
  }
  for (const key of ['insertAfter', 'insertBefore'] as const) {
    const v = p[key]
    if (v !== undefined && !(v instanceof RegExp) && v !== 'BOF' && v !== 'EOF') {
      throw new ModuleError(module, `${path}: ${key}: expected a RegExp, 'BOF' or 'EOF', found ${JSON.stringify(v)}`)
    }
  }
}
