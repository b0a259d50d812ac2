/**
 * A path's type and attributes: a directory, an existing file, a symlink, an empty file (touch) or
 * nothing. Check is one `stat` round trip (plus a `find` in the same command for `recurse`); apply
 * is one command chain doing exactly the planned steps.
 */
import { joinCommands, sh, type ShellCommand } from '../connection/quote.ts'
import { change, defineModule, noChange, type Change, type NoChange } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'
import { fileStat, fileTreeStat, type FileStat } from '../facts/file-stat.ts'
import { attrCommands, attrsToChange, describeAttrs, hasAttrs, pathReads, requirePath, validateAttrs, type FileAttrs } from './file-attrs.ts'

export type FileState = 'directory' | 'file' | 'link' | 'absent' | 'touch'

export interface FileParams extends FileAttrs {
  /** Absolute path of the file, directory or link. */
  readonly path: string
  /**
   * 'file' only sets attrs of an existing file (it never creates one; see `copy`); 'touch' creates
   * an empty file when missing but, unlike Ansible, leaves timestamps alone so reruns change nothing.
   * @default 'link' when `src` is set, else 'file'
   */
  readonly state?: FileState
  /** Link target for 'link', as written into the link (may be relative to the link's directory). */
  readonly src?: string
  /** 'directory' only: owner/group/mode apply to everything below too. @default false */
  readonly recurse?: boolean
}

export interface FileData {
  readonly steps: readonly ShellCommand[]
}

const STATES: readonly FileState[] = ['directory', 'file', 'link', 'absent', 'touch']

const KIND: Record<FileStat['type'], string> = { file: 'a regular file', directory: 'a directory', link: 'a symlink', other: 'a special file' }

function validate(p: FileParams): { path: string; state: FileState; attrs: FileAttrs } {
  const path = requirePath('file', p)
  const state = p.state ?? (p.src !== undefined ? 'link' : 'file')
  const fail = (msg: string): never => { throw new ModuleError('file', `${path}: ${msg}`) }
  if (!STATES.includes(state)) fail(`state: expected one of ${STATES.map((s) => `'${s}'`).join(', ')}, found ${JSON.stringify(state)}`)
  if (state === 'link' && (typeof p.src !== 'string' || p.src === '')) fail(`src: expected the link target for state 'link', found ${JSON.stringify(p.src)}`)
  if (state !== 'link' && p.src !== undefined) fail(`src: expected only with state 'link', found it with state '${state}'`)
  if (state === 'link' && p.mode !== undefined) fail(`mode: expected no mode for a symlink (it has none; set it on the target), found '${p.mode}'`)
  if (p.recurse && state !== 'directory') fail(`recurse: expected only with state 'directory', found it with state '${state}'`)
  return { path, state, attrs: validateAttrs('file', path, p) }
}

function attrsPlan(path: string, what: string, want: FileAttrs, diff: FileAttrs, opts: { recurse?: boolean; link?: boolean } = {}): Change<FileData> | NoChange {
  if (!hasAttrs(diff)) return noChange(`${path}: already ${what}${hasAttrs(want) ? ` with ${describeAttrs(want)}` : ''}`)
  const where = opts.recurse ? `${path} and everything below` : path
  return change(`set ${describeAttrs(diff)} on ${where}`, { data: { steps: attrCommands(path, diff, opts) } })
}

export const file = defineModule<FileParams, FileData>({
  name: 'file',
  reads: (p) => (p.recurse ? [] : pathReads(fileStat, p.path)),
  async check(host, p) {
    const { path, state, attrs } = validate(p)
    const recurse = state === 'directory' && !!p.recurse && hasAttrs(attrs)
    let stat: FileStat | null
    let treeDiffers = false
    if (recurse) {
      const t = await host.fact(fileTreeStat, { path, ...attrs })
      stat = t?.stat ?? null
      treeDiffers = t?.treeDiffers ?? false
    } else {
      stat = await host.fact(fileStat, path)
    }
    const found = stat ? KIND[stat.type] : 'nothing'
    const withAttrs = hasAttrs(attrs) ? ` with ${describeAttrs(attrs)}` : ''

    switch (state) {
      case 'absent':
        if (!stat) return noChange(`${path}: already absent`)
        return change(`remove ${found} ${path}`, { data: { steps: [stat.type === 'directory' ? sh`rm -rf -- ${path}` : sh`rm -f -- ${path}`] } })
      case 'directory':
        if (!stat) return change(`create directory ${path}${withAttrs}`, { data: { steps: [sh`mkdir -p -- ${path}`, ...attrCommands(path, attrs, { recurse })] } })
        if (stat.type !== 'directory') throw new ModuleError('file', `${path}: expected a directory or nothing, found ${found}`)
        return attrsPlan(path, 'a directory', attrs, recurse ? (treeDiffers ? attrs : {}) : attrsToChange(attrs, stat), { recurse })
      case 'file':
        if (stat?.type !== 'file') throw new ModuleError('file', `${path}: expected an existing regular file (state 'file' does not create one; use 'touch' or copy), found ${found}`)
        return attrsPlan(path, 'a file', attrs, attrsToChange(attrs, stat))
      case 'touch':
        if (!stat) return change(`create empty file ${path}${withAttrs}`, { data: { steps: [sh`touch -- ${path}`, ...attrCommands(path, attrs)] } })
        return attrsPlan(path, found, attrs, attrsToChange(attrs, stat), { link: stat.type === 'link' })
      case 'link': {
        const src = p.src!
        if (stat?.type === 'link' && stat.target === src) return attrsPlan(path, `a symlink to ${src}`, attrs, attrsToChange(attrs, stat), { link: true })
        if (stat && stat.type !== 'link') {
          throw new ModuleError('file', `${path}: expected a symlink or nothing, found ${found} (remove it first with state 'absent')`)
        }
        const verb = stat ? `repoint symlink ${path} from ${stat.target} to` : `create symlink ${path} ->`
        return change(`${verb} ${src}`, { data: { steps: [sh`ln -sfn -- ${src} ${path}`, ...attrCommands(path, attrs, { link: true })] } })
      }
    }
  },
  async apply(host, _p, plan) {
    await host.run(joinCommands(plan.data.steps, ' && '))
  },
})
