/**
 * Shell commands shared by every Connection implementation, so local and SSH hosts write and read
 * files with exactly the same semantics.
 */
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
 * rename is atomic), the old file's mode/owner or the requested ones, fsync, optional validate
 * (`%s` = temp path), then rename. On any failure the temp file is removed and the target is
 * untouched.
 */
export function atomicWriteCommand(path: string, opts: WriteOptions = {}, size?: number): ShellCommand {
  if (opts.mode !== undefined && !/^0?[0-7]{3,4}$/.test(opts.mode)) {
    throw new TypeError(`writeFile ${path}: mode: expected an octal string like '0644', found '${opts.mode}'`)
  }
  const lines = [
    sh`p=${path}`.text,
    // The directory by parameter expansion, not $(dirname): one process less per write.
    'case $p in */*) d=${p%/*}; d=${d:-/} ;; *) d=. ;; esac',
    't=$(mktemp "$d/.kubeplay.XXXXXX") || exit 1',
    `trap 'rm -f "$t"' EXIT`,
    // Attributes go on the empty temp file first, so the fsync below makes content and inode durable
    // together. A requested mode replaces the old one: copying or defaulting it first would be one
    // chmod too many.
    opts.mode
      ? 'if [ -e "$p" ]; then chown --reference="$p" "$t" 2>/dev/null; fi'
      : 'if [ -e "$p" ]; then chmod --reference="$p" "$t" && chown --reference="$p" "$t" 2>/dev/null; else chmod 0644 "$t"; fi',
  ]
  if (opts.mode) lines.push(sh`chmod ${opts.mode} "$t" || exit 1`.text)
  if (opts.owner || opts.group) {
    lines.push(opts.owner
      ? sh`chown ${opts.group ? `${opts.owner}:${opts.group}` : opts.owner} "$t" || exit 1`.text
      : sh`chgrp ${opts.group!} "$t" || exit 1`.text)
  }
  // Content and fsync in one process (dd conv=fsync) instead of cat + sync.
  lines.push('dd of="$t" bs=65536 conv=fsync status=none || exit 1')
  if (size !== undefined) {
    lines.push(`[ "$(wc -c <"$t")" -eq ${size} ] || { rm -f "$t"; echo "short write: expected ${size} bytes" >&2; exit 1; }`)
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
