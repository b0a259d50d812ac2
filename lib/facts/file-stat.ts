/**
 * What a path is: type, mode, owner, group, size and link target, read with one `stat` (lstat:
 * links are not followed). `null` means the path does not exist, which is not the same as an empty
 * file. The header format is shared with `fileContent` so both parse the same way.
 */
import { CommandError } from '../errors.ts'
import { joinCommands, raw, sh, type ShellCommand } from '../connection/quote.ts'
import type { ExecResult } from '../connection/types.ts'
import { defineFact } from '../engine/module.ts'

export type FileType = 'file' | 'directory' | 'link' | 'other'

export interface FileStat {
  readonly type: FileType
  /** Four octal digits: '0644', '2755'. */
  readonly mode: string
  readonly owner: string
  readonly uid: number
  readonly group: string
  readonly gid: number
  readonly size: number
  /** Symlinks only: the target as written in the link. */
  readonly target?: string
}

const ABSENT_EXIT = 3
const ABSENT_MARK = '__kubeplay_absent__'
/** One field per line: no field can contain a newline (type names, octal, user/group names, numbers). */
const HEADER_LINES = 7
const HEADER = raw(`stat --printf '%F\\n%a\\n%U\\n%u\\n%G\\n%g\\n%s\\n'`)

/** `then` runs after the header when the path exists; `"$p"` is the path. */
export function statScript(path: string, then: ShellCommand): ShellCommand {
  return sh`p=${path}
if [ -e "$p" ] || [ -L "$p" ]; then ${HEADER} -- "$p" || exit 1; ${then}
else echo ${ABSENT_MARK} >&2; exit ${ABSENT_EXIT}; fi`
}

/** Octal mode as four digits, or undefined when `m` is not an octal mode. */
export function normalizeMode(m: string): string | undefined {
  if (!/^0?[0-7]{3,4}$/.test(m)) return undefined
  return parseInt(m, 8).toString(8).padStart(4, '0')
}

function statType(t: string): FileType {
  if (t === 'regular file' || t === 'regular empty file') return 'file'
  if (t === 'directory') return 'directory'
  if (t === 'symbolic link') return 'link'
  return 'other'
}

/**
 * Splits a statScript result into the stat and the bytes after the header; null when absent.
 * Throws CommandError for anything else (permission denied, no stat binary).
 */
export function parseStatOutput(r: ExecResult, path: string, what: string): { stat: Omit<FileStat, 'target'>; rest: Buffer } | null {
  if (r.code === ABSENT_EXIT && r.stderr.includes(ABSENT_MARK)) return null
  if (r.code !== 0) throw new CommandError(what, `stat ${path}`, r.code, r.stdout, r.stderr)
  const bytes = r.stdoutBytes
  let at = 0
  const fields: string[] = []
  for (let i = 0; i < HEADER_LINES; i++) {
    const nl = bytes.indexOf(0x0a, at)
    if (nl < 0) throw new CommandError(what, `stat ${path}`, r.code, r.stdout, `unexpected stat output: ${JSON.stringify(r.stdout.slice(0, 200))}`)
    fields.push(bytes.subarray(at, nl).toString('utf8'))
    at = nl + 1
  }
  const [type, mode, owner, uid, group, gid, size] = fields as [string, string, string, string, string, string, string]
  return {
    stat: { type: statType(type), mode: normalizeMode(mode) ?? mode, owner, uid: Number(uid), group, gid: Number(gid), size: Number(size) },
    rest: bytes.subarray(at),
  }
}

export const fileStat = defineFact<string, FileStat | null>({
  name: 'fileStat',
  // readlink prints the target plus a newline; targets may themselves contain newlines, so only the last is dropped.
  command: (path) => statScript(path, sh`if [ -L "$p" ]; then readlink -- "$p" || exit 1; fi`),
  parse(r, path) {
    const s = parseStatOutput(r, path, 'fileStat')
    if (!s) return null
    if (s.stat.type !== 'link') return s.stat
    return { ...s.stat, target: s.rest.toString('utf8').replace(/\n$/, '') }
  },
})

export interface TreeAttrs {
  readonly path: string
  readonly mode?: string
  readonly owner?: string
  readonly group?: string
}

/**
 * A directory's stat plus whether anything below it (itself included) has other attrs than
 * wanted: the recursive check of `file` in the same single round trip.
 */
export const fileTreeStat = defineFact<TreeAttrs, { stat: FileStat; treeDiffers: boolean } | null>({
  name: 'fileTreeStat',
  command(a) {
    const tests: ShellCommand[] = []
    if (a.mode) tests.push(sh`! -perm ${a.mode}`)
    if (a.owner) tests.push(sh`! -user ${a.owner}`)
    if (a.group) tests.push(sh`! -group ${a.group}`)
    const find = tests.length === 0
      ? sh`:`
      : sh`if [ -d "$p" ] && ! [ -L "$p" ]; then find "$p" \\( ${joinCommands(tests, ' -o ')} \\) -print -quit || exit 1; fi`
    return statScript(a.path, find)
  },
  parse(r, a) {
    const s = parseStatOutput(r, a.path, 'fileTreeStat')
    return s && { stat: s.stat, treeDiffers: s.rest.length > 0 }
  },
})
