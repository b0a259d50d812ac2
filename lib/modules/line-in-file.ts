/**
 * One line present in (or absent from) a text file, Ansible lineinfile semantics: `match` names the
 * line(s) it replaces (the last match is replaced), an exact copy already present is left alone,
 * new lines go after/before the last line matching the anchor (default: end of file).
 */
import { defineModule, noChange } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'
import { fileContent } from '../facts/file-content.ts'
import { applyContentFile, contentReads, currentText, planContentFile, type ContentFileData } from './content-file.ts'
import { requirePath, type FileAttrs } from './file-attrs.ts'
import { insertionIndex, insertLines, joinLines, lastIndexMatching, splitLines, stateless, validateAnchors, type Anchor } from './text-edit.ts'

export interface LineInFileParams extends FileAttrs {
  /** Absolute path of the file to edit. */
  readonly path: string
  /** The whole line, without newline. Required for 'present'; for 'absent' either this or `match`. */
  readonly line?: string
  /** Line(s) that `line` replaces ('present': the last match) or that are removed ('absent': all). */
  readonly match?: RegExp
  /** @default 'present' */
  readonly state?: 'present' | 'absent'
  /** Where a new line goes: after the last line matching, or 'BOF'/'EOF'. @default 'EOF' */
  readonly insertAfter?: Anchor
  /** Where a new line goes: before the last line matching, or 'BOF'/'EOF'. */
  readonly insertBefore?: Anchor
  /** Create the file when it does not exist. @default false (a missing file is an error) */
  readonly create?: boolean
  /** Command run on the temp file before it replaces the target; `%s` is the temp path. */
  readonly validate?: string
}

function validate(p: LineInFileParams): string {
  const path = requirePath('lineInFile', p)
  const state = p.state ?? 'present'
  if (state !== 'present' && state !== 'absent') {
    throw new ModuleError('lineInFile', `${path}: state: expected 'present' or 'absent', found ${JSON.stringify(state)}`)
  }
  if (p.line !== undefined && (typeof p.line !== 'string' || p.line.includes('\n'))) {
    throw new ModuleError('lineInFile', `${path}: line: expected one line of text (no newline), found ${JSON.stringify(p.line)}`)
  }
  if (p.match !== undefined && !(p.match instanceof RegExp)) {
    throw new ModuleError('lineInFile', `${path}: match: expected a RegExp, found ${JSON.stringify(p.match)}`)
  }
  if (state === 'present' && p.line === undefined) throw new ModuleError('lineInFile', `${path}: line: expected the line to put in the file, found nothing`)
  if (state === 'absent' && p.line === undefined && p.match === undefined) {
    throw new ModuleError('lineInFile', `${path}: expected line or match to say which lines to remove, found neither`)
  }
  validateAnchors('lineInFile', path, p)
  return path
}

/** Pure: the desired text for the current text. Returns `text` itself when nothing changes. */
export function editLines(text: string, p: LineInFileParams): string {
  validate(p)
  const l = splitLines(text)
  if ((p.state ?? 'present') === 'absent') {
    const re = p.match && stateless(p.match)
    const kept = l.lines.filter((x) => !(re ? re.test(x) : x === p.line))
    return kept.length === l.lines.length ? text : joinLines({ ...l, lines: kept })
  }
  const line = p.line!
  if (p.match) {
    const i = lastIndexMatching(l.lines, p.match)
    if (i >= 0) {
      if (l.lines[i] === line) return text
      const lines = [...l.lines]
      lines[i] = line
      return joinLines({ ...l, lines })
    }
  }
  if (l.lines.includes(line)) return text
  return joinLines(insertLines(l, insertionIndex(l.lines, p), [line]))
}

export const lineInFile = defineModule<LineInFileParams, ContentFileData>({
  name: 'lineInFile',
  reads: contentReads,
  async check(host, p) {
    const path = validate(p)
    const absent = p.state === 'absent'
    const what = absent ? `line ${JSON.stringify(p.line ?? String(p.match))} absent` : `line ${JSON.stringify(p.line)} present`
    const current = await host.fact(fileContent, path)
    if (absent && !current) return noChange(`${path}: does not exist, so no line to remove`)
    const after = editLines(currentText('lineInFile', path, current, p.create ?? false), p)
    return planContentFile('lineInFile', { path, content: after, mode: p.mode, owner: p.owner, group: p.group, validate: p.validate }, current, what)
  },
  apply: (host, _p, plan) => applyContentFile(host, plan.data),
})
