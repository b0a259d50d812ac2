/**
 * What a path is: type, mode, owner, group, size and link target, read with one `stat` (lstat:
 * links are not followed). `null` means the path does not exist, which is not the same as an empty
 * file. The header format is shared with `fileContent` so both parse the same way.
 */
import { CommandError } from '../errors.ts'
import { joinCommands, raw, sh, type Raw, type ShellCommand } from '../connection/quote.ts'
import type { ExecResult } from '../connection/types.ts'
import { defineFact, type FactRead, type FactReadahead } from '../engine/module.ts'

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
  return { stat: statOf(fields), rest: bytes.subarray(at) }
}

/** One stat record from the HEADER_LINES lines of HEADER's output. */
function statOf(fields: readonly string[]): Omit<FileStat, 'target'> {
  const [type, mode, owner, uid, group, gid, size] = fields as [string, string, string, string, string, string, string]
  return { type: statType(type), mode: normalizeMode(mode) ?? mode, owner, uid: Number(uid), group, gid: Number(gid), size: Number(size) }
}

const AHEAD_MARK = '__kubeplay_ahead__'

/** Keeps the positional parameters for which `test` holds; prints one 1/0 per parameter. */
const keep = (test: string): Raw => raw(`m=; n=$#
while [ "$n" -gt 0 ]; do p=$1; shift; n=$((n - 1)); if ${test}; then set -- "$@" "$p"; m=\${m}1; else m=\${m}0; fi; done
printf '%s\\n' "$m"`)

/**
 * `fileStat` and `fileContent` of many paths in one command and at most two processes: one `stat`
 * of every path that exists (the same test and format as `statScript`), one `cat` of the regular
 * files whose content is wanted, cut apart by the sizes `stat` gave. Every value is what the fact
 * itself would give; left unknown (read on its own when asked): a symlink's `fileStat` (its target
 * needs readlink), and everything of a part a concurrent change made inconsistent (a count, a type,
 * a byte total, an exit code).
 */
export const fileReadahead: FactReadahead = {
  name: 'files',
  command(reads) {
    const { stats, contents } = aheadPaths(reads)
    return sh`set -- ${stats}; ${keep(`[ -e "$p" ] || [ -L "$p" ]`)}
s=0; [ $# -eq 0 ] || ${HEADER} -- "$@" || s=$?; printf '%s %d\n' ${AHEAD_MARK} "$s"
set -- ${contents}; ${keep(`[ -f "$p" ] && ! [ -L "$p" ]`)}
s=0; [ $# -eq 0 ] || cat -- "$@" || s=$?; printf '\n%s %d\n' ${AHEAD_MARK} "$s"`
  },
  parse(r, reads) {
    const { stats, contents } = aheadPaths(reads)
    const known = new Map<string, Omit<FileStat, 'target'> | null>()
    const bodies = new Map<string, Buffer | null>()
    const out = r.stdoutBytes
    let at = 0
    const line = (): string | undefined => {
      const nl = out.indexOf(0x0a, at)
      if (nl < 0) return undefined
      const l = out.subarray(at, nl).toString('utf8')
      at = nl + 1
      return l
    }
    const bits = line()
    if (bits !== undefined && bits.length === stats.length) {
      const found: Omit<FileStat, 'target'>[] = []
      const n = [...bits].filter((b) => b === '1').length
      for (let i = 0; i < n; i++) {
        const f = Array.from({ length: HEADER_LINES }, line)
        if (f.some((x) => x === undefined)) break
        found.push(statOf(f as string[]))
      }
      if (found.length === n && line() === `${AHEAD_MARK} 0`) {
        let k = 0
        stats.forEach((p, i) => known.set(p, bits[i] === '1' ? found[k++]! : null))
      }
    }
    const cbits = known.size > 0 ? line() : undefined
    if (cbits !== undefined && cbits.length === contents.length) {
      const cut: [string, Buffer][] = []
      let from = at
      let ok = true
      contents.forEach((p, i) => {
        const st = known.get(p)
        if (st === undefined || (cbits[i] === '1') !== (st?.type === 'file')) { ok = false; return }
        if (cbits[i] === '1') { cut.push([p, out.subarray(from, from + st!.size)]); from += st!.size }
      })
      if (ok && out.subarray(from).toString('utf8') === `\n${AHEAD_MARK} 0\n`) {
        for (const p of contents) bodies.set(p, null)
        for (const [p, b] of cut) bodies.set(p, b)
      }
    }
    return reads.map(({ fact, arg }) => {
      const st = known.get(arg as string)
      if (st === undefined) return undefined
      if (fact.name === 'fileStat') return st === null ? null : st.type === 'link' ? undefined : st
      if (st === null) return null
      const body = bodies.get(arg as string)
      return body === undefined ? undefined : { stat: st, content: st.type === 'file' ? body : null }
    })
  },
}

/** The distinct paths to stat (every read's) and those whose content is wanted (fileContent's). */
function aheadPaths(reads: readonly FactRead[]): { stats: string[]; contents: string[] } {
  const stats = new Set<string>()
  const contents = new Set<string>()
  for (const { fact, arg } of reads) {
    if (typeof arg !== 'string') continue
    stats.add(arg)
    if (fact.name === 'fileContent') contents.add(arg)
  }
  return { stats: [...stats], contents: [...contents] }
}

export const fileStat = defineFact<string, FileStat | null>({
  name: 'fileStat',
  readahead: fileReadahead,
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
