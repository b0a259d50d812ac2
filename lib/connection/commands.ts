/**
 * Shell commands shared by every Connection implementation, so local and SSH hosts write and read
 * files with exactly the same semantics.
 */
import { randomBytes } from 'node:crypto'
import { CommandError } from '../errors.ts'
import { raw, sh, type ShellCommand } from './quote.ts'
import type { Connection, ExecOptions, ExecResult, WriteOptions } from './types.ts'

const ABSENT = '__kubeplay_absent__'

/** Reads a file to stdout; exits 3 with a marker on stderr when it does not exist. */
export function readFileCommand(path: string): ShellCommand {
  return sh`if [ -e ${path} ] || [ -L ${path} ]; then exec cat -- ${path}; else echo ${ABSENT} >&2; exit 3; fi`
}

export function isAbsent(r: ExecResult): boolean {
  return r.code === 3 && r.stderr.includes(ABSENT)
}

/**
 * Writes stdin to `path` atomically: a temp file in the same directory (same filesystem, so the
 * rename is atomic), the old file's mode/owner or the requested ones, exact byte count, fsync,
 * optional validate (`%s` = temp path), then rename. On any failure the temp file is removed and the
 * target is untouched.
 *
 * Few processes, since a first run writes many files: the shell itself creates the temp file
 * (noclobber, i.e. O_EXCL: never through an existing name or symlink; a random name from the
 * controller) with its final mode when that needs no chmod (a mode without execute or special bits,
 * or 0644 for a new file); `dd` writes and fsyncs the content and its own report gives the byte count.
 * A new file is then `dd` + `mv`; a rewrite adds `chmod`/`chown --reference` (the old file's attrs).
 */
export function atomicWriteCommand(path: string, opts: WriteOptions = {}, size?: number): ShellCommand {
  if (opts.mode !== undefined && !/^0?[0-7]{3,4}$/.test(opts.mode)) {
    throw new TypeError(`writeFile ${path}: mode: expected an octal string like '0644', found '${opts.mode}'`)
  }
  const mode = opts.mode === undefined ? undefined : parseInt(opts.mode, 8)
  // The umask that creates the file with its final mode (0666 & ~umask), when one can.
  const umaskFor = (m: number): string => (0o777 & ~m).toString(8).padStart(4, '0')
  const created = mode === undefined ? umaskFor(0o644) : (mode & ~0o666) === 0 ? umaskFor(mode) : '0077'
  const lines = [
    sh`p=${path}`.text,
    // The directory by parameter expansion, not $(dirname): one process less per write.
    'case $p in */*) d=${p%/*}; d=${d:-/} ;; *) d=. ;; esac',
    `t="$d/.kubeplay.${randomBytes(6).toString('hex')}"`,
    mode === undefined
      ? `if [ -e "$p" ]; then umask 0077; else umask ${created}; fi`
      : `umask ${created}`,
    // `true`, not `:`: a failed redirection of a special built-in would end the shell.
    'set -C; true >"$t" || exit 1; set +C',
    `trap 'rm -f "$t"' EXIT`,
    // Attributes go on the empty temp file first, so the fsync below makes content and inode durable
    // together. A requested mode replaces the old one: copying it first would be one chmod too many.
    mode === undefined
      ? 'if [ -e "$p" ]; then chmod --reference="$p" "$t" && chown --reference="$p" "$t" 2>/dev/null; fi'
      : 'if [ -e "$p" ]; then chown --reference="$p" "$t" 2>/dev/null; fi',
  ]
  if (mode !== undefined && (mode & ~0o666) !== 0) lines.push(sh`chmod ${opts.mode!} "$t" || exit 1`.text)
  if (opts.owner || opts.group) {
    lines.push(opts.owner
      ? sh`chown ${opts.group ? `${opts.owner}:${opts.group}` : opts.owner} "$t" || exit 1`.text
      : sh`chgrp ${opts.group!} "$t" || exit 1`.text)
  }
  if (size === undefined) {
    lines.push('dd of="$t" bs=65536 conv=fsync status=none || exit 1')
  } else {
    // Content and fsync in one process (dd conv=fsync); its last line says how many bytes it wrote
    // ("1 byte copied", "12 bytes copied" or "1234 bytes (1.2 kB, 1.2 KiB) copied").
    lines.push(
      'o=$(LC_ALL=C dd of="$t" bs=65536 conv=fsync 2>&1) || { printf \'%s\\n\' "$o" >&2; exit 1; }',
      `case $o in *"\n${size} byte"*) ;; *) rm -f "$t"; echo "short write: expected ${size} bytes" >&2; exit 1 ;; esac`,
    )
  }
  if (opts.validate) {
    const v = opts.validate.includes('%s') ? opts.validate.split('%s').join('"$t"') : `${opts.validate} "$t"`
    lines.push(`( ${v} ) >&2 || { echo "validation failed: exit $?" >&2; exit 4; }`)
  }
  lines.push('mv -f -- "$t" "$p" || exit 1', 'trap - EXIT')
  return sh`${raw(lines.join('\n'))}`
}

/** exec that throws CommandError on a non-zero exit. */
export async function run(conn: Connection, cmd: ShellCommand, opts?: ExecOptions): Promise<ExecResult> {
  const r = await conn.exec(cmd, opts)
  if (r.code !== 0) throw new CommandError(conn.host, cmd.masked, r.code, r.stdout, r.stderr)
  return r
}

/** readFile for any Connection built on exec. */
export async function readFileVia(conn: Connection, path: string, opts: { become?: boolean } = {}): Promise<Buffer | null> {
  const cmd = readFileCommand(path)
  const r = await conn.exec(cmd, opts)
  if (isAbsent(r)) return null
  if (r.code !== 0) throw new CommandError(conn.host, cmd.masked, r.code, '', r.stderr)
  return r.stdoutBytes
}

/** writeFile for any Connection built on exec: one round trip, content on stdin. */
export async function writeFileVia(conn: Connection, path: string, content: string | Buffer, opts: WriteOptions = {}): Promise<void> {
  // The size check: a connection lost mid-send makes dash run the write with a truncated here-document.
  const cmd = atomicWriteCommand(path, opts, typeof content === 'string' ? Buffer.byteLength(content) : content.length)
  const r = await conn.exec(cmd, { stdin: content, become: opts.become })
  if (r.code !== 0) throw new CommandError(conn.host, `write ${path}`, r.code, r.stdout, r.stderr)
}
