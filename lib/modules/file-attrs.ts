/**
 * Parameter checks and attribute handling shared by the file-managing modules (file, copy,
 * template, lineInFile, blockInFile): absolute paths, octal modes, owner/group comparison and the
 * chmod/chown commands that fix only what differs.
 */
import { sh, type ShellCommand } from '../connection/quote.ts'
import { ModuleError } from '../errors.ts'
import type { Fact, FactRead } from '../engine/module.ts'
import { normalizeMode, type FileStat } from '../facts/file-stat.ts'

export interface FileAttrs {
  /** Octal string: '0644', '0755', '2775'. @default unchanged (0644 for a new file) */
  readonly mode?: string
  /** User name or numeric uid. @default unchanged */
  readonly owner?: string
  /** Group name or numeric gid. @default unchanged */
  readonly group?: string
}

/** A module's `reads`: `fact` of each given absolute path (a guess: a wrong one only costs a read). */
export function pathReads(fact: Fact<string, unknown>, ...paths: unknown[]): FactRead[] {
  return paths.filter((p): p is string => typeof p === 'string' && p.startsWith('/')).map((arg) => ({ fact, arg }))
}

function shown(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v)
}

/** Paths are absolute: a relative path means a different file per login directory and sudo. */
export function requirePath(module: string, p: { readonly path?: unknown }, key = 'path'): string {
  const path = p.path
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new ModuleError(module, `${key}: expected an absolute path, found ${shown(path)}`)
  }
  return path
}

/** Validated attrs with the mode in four-digit form, so it compares equal to the host's. */
export function validateAttrs(module: string, path: string, p: FileAttrs): FileAttrs {
  const out: { mode?: string; owner?: string; group?: string } = {}
  if (p.mode !== undefined) {
    const m = typeof p.mode === 'string' ? normalizeMode(p.mode) : undefined
    if (!m) throw new ModuleError(module, `${path}: mode: expected an octal string like '0644', found ${shown(p.mode)}`)
    out.mode = m
  }
  for (const key of ['owner', 'group'] as const) {
    const v = p[key]
    if (v === undefined) continue
    if (typeof v !== 'string' || !/^[A-Za-z0-9_.][A-Za-z0-9_.$-]*$/.test(v)) {
      throw new ModuleError(module, `${path}: ${key}: expected a user/group name or numeric id, found ${shown(v)}`)
    }
    out[key] = v
  }
  return out
}

/** The wanted attrs that differ from the host's (names and numeric ids both match). */
export function attrsToChange(want: FileAttrs, stat: FileStat | null): FileAttrs {
  if (!stat) return want
  const out: { mode?: string; owner?: string; group?: string } = {}
  if (want.mode && want.mode !== stat.mode) out.mode = want.mode
  if (want.owner && want.owner !== stat.owner && want.owner !== String(stat.uid)) out.owner = want.owner
  if (want.group && want.group !== stat.group && want.group !== String(stat.gid)) out.group = want.group
  return out
}

export function hasAttrs(a: FileAttrs): boolean {
  return a.mode !== undefined || a.owner !== undefined || a.group !== undefined
}

/** "mode 0600, owner kp" */
export function describeAttrs(a: FileAttrs): string {
  return [a.mode && `mode ${a.mode}`, a.owner && `owner ${a.owner}`, a.group && `group ${a.group}`].filter(Boolean).join(', ')
}

/**
 * chmod/chown/chgrp for the given attrs. `link`: change the link itself (`-h`), never its target;
 * links have no mode of their own.
 */
export function attrCommands(path: string, a: FileAttrs, opts: { recurse?: boolean; link?: boolean } = {}): ShellCommand[] {
  const r = opts.recurse ? sh`-R ` : sh``
  const h = opts.link ? sh`-h ` : sh``
  const cmds: ShellCommand[] = []
  if (a.mode && !opts.link) cmds.push(sh`chmod ${r}${a.mode} -- ${path}`)
  if (a.owner) cmds.push(sh`chown ${h}${r}${a.owner} -- ${path}`)
  if (a.group) cmds.push(sh`chgrp ${h}${r}${a.group} -- ${path}`)
  return cmds
}
