/**
 * Shared core of the modules that manage one file's whole content: copy, template, lineInFile and
 * blockInFile compute the desired bytes, then plan and apply through here. Check reads stat and
 * content in one round trip (the `fileContent` fact); apply writes atomically through the
 * connection (temp file, attrs, validate, rename) or only fixes attrs when the bytes already match.
 */
import { inspect } from 'node:util'
import { joinCommands, sh } from '../connection/quote.ts'
import { isSecret, mask, reveal, type Secret } from '../secret.ts'
import { ModuleError } from '../errors.ts'
import { change, noChange, type ApplyOutcome, type FactRead, type FileDiff, type HostContext, type Plan } from '../engine/module.ts'
import { fileContent, type FileContent } from '../facts/file-content.ts'
import { attrCommands, attrsToChange, describeAttrs, hasAttrs, pathReads, requirePath, validateAttrs, type FileAttrs } from './file-attrs.ts'

export interface ContentFileParams extends FileAttrs {
  /** Absolute path of the file to write. */
  readonly path: string
  /** The whole desired content. A Secret never appears in diffs, logs or reports. */
  readonly content: string | Buffer | Secret
  /** Command run on the temp file before it replaces the target; `%s` is the temp path (`visudo -cf %s`). */
  readonly validate?: string
  /** Keep a copy of the replaced file next to it (`<path>.<timestamp>~`). @default false */
  readonly backup?: boolean
}

export interface ContentFileData {
  readonly path: string
  /** Null when only the attrs differ. */
  readonly content: string | Buffer | Secret | MaskedText | null
  /** For a write: every wanted attr; for attrs only: those that differ. */
  readonly attrs: FileAttrs
  readonly validate?: string
  readonly backup: boolean
}

function bytesOf(c: string | Buffer | Secret): Buffer {
  return Buffer.isBuffer(c) ? c : Buffer.from(isSecret(c) ? c.reveal() : c, 'utf8')
}

/** The text of `b`, or null when it is not UTF-8 text (a NUL byte or an invalid sequence). */
export function textOf(b: Buffer): string | null {
  if (b.includes(0)) return null
  const s = b.toString('utf8')
  return Buffer.from(s, 'utf8').equals(b) ? s : null
}

function shownContent(b: Buffer, hide: boolean): string {
  const text = textOf(b)
  if (text === null) return `[binary: ${b.length} bytes]`
  return hide ? mask(text) : text
}

/** A Secret, or text holding a secret value this process knows (a template rendered with one). */
function holdsSecret(c: string | Buffer | Secret): boolean {
  if (isSecret(c)) return true
  const text = typeof c === 'string' ? c : c.toString('utf8')
  return mask(text) !== text
}

/**
 * Rendered text holding a secret, as it travels in plan data (which may be logged or serialised):
 * prints masked. Not a Secret, which would register the whole file as a secret and mask every diff of it.
 */
export class MaskedText {
  readonly #text: string
  constructor(text: string) { this.#text = text }
  reveal(): string { return this.#text }
  toString(): string { return mask(this.#text) }
  toJSON(): string { return mask(this.#text) }
  [inspect.custom](): string { return `MaskedText(${JSON.stringify(mask(this.#text))})` }
}

function sealed(c: string | Buffer | Secret): string | Buffer | Secret | MaskedText {
  return typeof c === 'string' && holdsSecret(c) ? new MaskedText(c) : c
}

/**
 * Before/after for the report. Text holding secrets is shown masked on both sides. The old side may
 * hold an old secret kubeplay no longer knows (a rotated password): an old line that differs from
 * every new line but has the shape of a new line holding a secret (`stats auth admin:***`) gets the
 * same slots masked. A whole Secret's old content stays hidden.
 */
function diffOf(path: string, current: FileContent | null, desired: string | Buffer | Secret): FileDiff {
  const after = bytesOf(desired)
  const secretish = holdsSecret(desired)
  const before = current?.content ?? null
  const newText = textOf(after)
  return {
    path,
    before: before === null ? null
      : isSecret(desired) ? '[hidden: the new content is secret]'
      : secretish && newText !== null && textOf(before) !== null ? maskOldSide(textOf(before)!, newText)
      : shownContent(before, secretish),
    after: shownContent(after, secretish),
  }
}

const reEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Pure: the old text with known secrets masked, and the secret slots of the new text's lines masked in changed old lines. */
export function maskOldSide(oldText: string, newText: string): string {
  const newLines = new Set(newText.split('\n'))
  const shapes: RegExp[] = []
  for (const line of newLines) {
    const masked = mask(line)
    if (masked === line) continue
    shapes.push(new RegExp(`^${masked.split('***').map(reEscape).join('(.*?)')}$`, 'sd'))
  }
  return oldText.split('\n').map((line) => {
    if (newLines.has(line)) return mask(line)
    for (const re of shapes) {
      const m = re.exec(line)
      if (!m) continue
      // Rebuild the line with each captured slot (what stood where the new line has a secret) masked.
      let out = ''
      let at = 0
      for (const [start, end] of m.indices!.slice(1) as [number, number][]) {
        out += `${line.slice(at, start)}***`
        at = end
      }
      return mask(out + line.slice(at))
    }
    return mask(line)
  }).join('\n')
}

export function validateContentParams(module: string, p: Omit<ContentFileParams, 'content'>): { path: string; attrs: FileAttrs } {
  const path = requirePath(module, p)
  if (p.validate !== undefined && (typeof p.validate !== 'string' || p.validate.trim() === '')) {
    throw new ModuleError(module, `${path}: validate: expected a command like 'visudo -cf %s', found ${JSON.stringify(p.validate)}`)
  }
  return { path, attrs: validateAttrs(module, path, p) }
}

/** Refuses to put file content where something else than a file (or a link, which is replaced) lives. */
function requireFileOrNothing(module: string, path: string, current: FileContent | null): void {
  const t = current?.stat.type
  if (t === 'directory' || t === 'other') {
    throw new ModuleError(module, `${path}: expected a regular file or nothing, found ${t === 'other' ? 'a special file' : 'a directory'}`)
  }
}

/** The current text of a file that a line/block edit starts from. */
export function currentText(module: string, path: string, current: FileContent | null, create: boolean): string {
  requireFileOrNothing(module, path, current)
  if (!current) {
    if (create) return ''
    throw new ModuleError(module, `${path}: expected an existing file, found none (set create: true to create it)`)
  }
  if (!current.content) throw new ModuleError(module, `${path}: expected a regular file, found a symlink`)
  const text = textOf(current.content)
  if (text === null) throw new ModuleError(module, `${path}: expected a UTF-8 text file, found binary content`)
  return text
}

/** The plan for `p` given the host's current file. `what` names the edit in summary and reason ("line 'x' present"). */
export function planContentFile(module: string, p: ContentFileParams, current: FileContent | null, what?: string): Plan<ContentFileData> {
  const { path, attrs } = validateContentParams(module, p)
  requireFileOrNothing(module, path, current)
  const desired = bytesOf(p.content)
  const data = { path, validate: p.validate, backup: p.backup ?? false }
  const suffix = what ? ` (${what})` : ''
  if (!current || !current.content) {
    const verb = current ? `replace symlink ${path} with a file` : `create ${path}`
    return change(`${verb}${suffix}`, { diff: diffOf(path, current, p.content), data: { ...data, content: sealed(p.content), attrs } })
  }
  const attrsDiff = attrsToChange(attrs, current.stat)
  if (!current.content.equals(desired)) {
    const also = hasAttrs(attrsDiff) ? `; ${describeAttrs(attrsDiff)}` : ''
    return change(`update ${path}${suffix}${also}`, { diff: diffOf(path, current, p.content), data: { ...data, content: sealed(p.content), attrs } })
  }
  if (hasAttrs(attrsDiff)) return change(`set ${describeAttrs(attrsDiff)} on ${path}`, { data: { ...data, content: null, attrs: attrsDiff } })
  return noChange(`${path}: content${hasAttrs(attrs) ? ` and ${describeAttrs(attrs)}` : ''} already as wanted${suffix}`)
}

/** What `checkContentFile` reads, for the modules' `reads`. */
export const contentReads = (p: { readonly path?: unknown }): FactRead[] => pathReads(fileContent, p.path)

/** Reads the host's file (one round trip) and plans. */
export async function checkContentFile(host: HostContext, module: string, p: ContentFileParams): Promise<Plan<ContentFileData>> {
  const path = requirePath(module, p)
  return planContentFile(module, p, await host.fact(fileContent, path))
}

function backupPath(path: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')
  return `${path}.${stamp}~`
}

export async function applyContentFile(host: HostContext, d: ContentFileData): Promise<ApplyOutcome> {
  if (d.content === null) {
    await host.run(joinCommands(attrCommands(d.path, d.attrs), ' && '))
    return { changed: true }
  }
  let output: string | undefined
  if (d.backup) {
    const bp = backupPath(d.path)
    // Only a regular file is worth keeping; a missing file or a replaced link has nothing to back up.
    const r = await host.run(sh`if [ -f ${d.path} ] && ! [ -L ${d.path} ]; then cp -p -- ${d.path} ${bp} && echo copied; fi`)
    if (r.stdout.trim() === 'copied') output = `backup: ${bp}`
  }
  const content = Buffer.isBuffer(d.content) ? d.content : d.content instanceof MaskedText ? d.content.reveal() : reveal(d.content)
  await host.conn.writeFile(d.path, content, { ...d.attrs, validate: d.validate })
  return { changed: true, output }
}
