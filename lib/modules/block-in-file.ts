/**
 * A block of lines between two marker lines, Ansible blockinfile semantics: an existing marked
 * block is replaced in place, a new one goes after/before the last line matching the anchor
 * (default: end of file); 'absent' (or an empty block) removes the block and its markers.
 */
import { defineModule, noChange } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'
import { fileContent } from '../facts/file-content.ts'
import { applyContentFile, contentReads, currentText, planContentFile, type ContentFileData } from './content-file.ts'
import { requirePath, type FileAttrs } from './file-attrs.ts'
import { insertionIndex, insertLines, joinLines, splitLines, validateAnchors, type Anchor } from './text-edit.ts'

export const DEFAULT_MARKER = '# {mark} KUBEPLAY MANAGED BLOCK'

export interface BlockInFileParams extends FileAttrs {
  /** Absolute path of the file to edit. */
  readonly path: string
  /** The lines between the markers; one trailing newline is ignored. */
  readonly block: string
  /** Marker line; `{mark}` becomes BEGIN / END. Distinct markers let several blocks share a file. @default DEFAULT_MARKER */
  readonly marker?: string
  /** @default 'present' */
  readonly state?: 'present' | 'absent'
  /** Where a new block goes: after the last line matching, or 'BOF'/'EOF'. @default 'EOF' */
  readonly insertAfter?: Anchor
  /** Where a new block goes: before the last line matching, or 'BOF'/'EOF'. */
  readonly insertBefore?: Anchor
  /** Create the file when it does not exist. @default false (a missing file is an error) */
  readonly create?: boolean
  /** Command run on the temp file before it replaces the target; `%s` is the temp path. */
  readonly validate?: string
}

function validate(p: BlockInFileParams): { path: string; begin: string; end: string } {
  const path = requirePath('blockInFile', p)
  const state = p.state ?? 'present'
  if (state !== 'present' && state !== 'absent') {
    throw new ModuleError('blockInFile', `${path}: state: expected 'present' or 'absent', found ${JSON.stringify(state)}`)
  }
  if (typeof p.block !== 'string' && !(state === 'absent' && p.block === undefined)) {
    throw new ModuleError('blockInFile', `${path}: block: expected a string, found ${JSON.stringify(p.block)}`)
  }
  const marker = p.marker ?? DEFAULT_MARKER
  if (typeof marker !== 'string' || !marker.includes('{mark}') || marker.includes('\n')) {
    throw new ModuleError('blockInFile', `${path}: marker: expected one line containing '{mark}', found ${JSON.stringify(marker)}`)
  }
  validateAnchors('blockInFile', path, p)
  return { path, begin: marker.replace('{mark}', 'BEGIN'), end: marker.replace('{mark}', 'END') }
}

/** Pure: the desired text for the current text. Returns `text` itself when nothing changes. */
export function editBlock(text: string, p: BlockInFileParams): string {
  const { path, begin, end } = validate(p)
  const l = splitLines(text)
  // Trailing blanks are ignored when finding markers: editors and other tools add them.
  const b = l.lines.findIndex((x) => x.trimEnd() === begin)
  const e = l.lines.findIndex((x, i) => i > b && x.trimEnd() === end)
  if ((b < 0) !== (e < 0)) {
    throw new ModuleError('blockInFile', `${path}: expected both '${begin}' and '${end}' in this order, found ${b < 0 ? `only '${end}'` : `'${begin}' without a later '${end}'`}`)
  }
  const body = (p.block ?? '').replace(/\n$/, '')
  const wanted = p.state === 'absent' || body === '' ? [] : [begin, ...body.split('\n'), end]
  if (b >= 0) {
    const current = l.lines.slice(b, e + 1)
    if (current.length === wanted.length && current.every((x, i) => x === wanted[i])) return text
    return joinLines({ ...l, lines: [...l.lines.slice(0, b), ...wanted, ...l.lines.slice(e + 1)] })
  }
  if (wanted.length === 0) return text
  return joinLines(insertLines(l, insertionIndex(l.lines, p), wanted))
}

export const blockInFile = defineModule<BlockInFileParams, ContentFileData>({
  name: 'blockInFile',
  reads: contentReads,
  async check(host, p) {
    const { path, begin } = validate(p)
    const what = `block '${begin}' ${p.state ?? 'present'}`
    const current = await host.fact(fileContent, path)
    if (p.state === 'absent' && !current) return noChange(`${path}: does not exist, so no block to remove`)
    const after = editBlock(currentText('blockInFile', path, current, p.create ?? false), p)
    return planContentFile('blockInFile', { path, content: after, mode: p.mode, owner: p.owner, group: p.group, validate: p.validate }, current, what)
  },
  apply: (host, _p, plan) => applyContentFile(host, plan.data),
})
