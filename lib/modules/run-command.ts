/**
 * Shared core of `command` and `shell`: the creates/removes guards, chdir/env as a POSIX prelude,
 * and the changedWhen/failedWhen decisions after the run.
 */
import { joinCommands, sh, type ShellCommand } from '../connection/quote.ts'
import { type Secret } from '../secret.ts'
import type { ExecResult } from '../connection/types.ts'
import { change, noChange, type ApplyOutcome, type FactRead, type HostContext, type Plan } from '../engine/module.ts'
import { pathReads } from './file-attrs.ts'
import { CommandError, ModuleError } from '../errors.ts'
import { fileStat } from '../facts/file-stat.ts'

export interface RunParams {
  /** Skip when this path exists (the command creates it). */
  readonly creates?: string
  /** Skip when this path does not exist (the command removes it). */
  readonly removes?: string
  /** Whether a run changed anything. @default always true */
  readonly changedWhen?: (r: ExecResult) => boolean
  /** Whether a run failed. @default a non-zero exit */
  readonly failedWhen?: (r: ExecResult) => boolean
  /** Working directory; the command fails when it does not exist. */
  readonly chdir?: string
  /** Extra environment variables (values may be Secrets). */
  readonly env?: Readonly<Record<string, string | Secret>>
  /** Bytes fed to the command's standard input. */
  readonly stdin?: string | Buffer
}

export interface RunData {
  readonly command: ShellCommand
}

/** What `checkRun` reads first: its guards' stats. */
export const guardReads = (p: RunParams): FactRead[] => pathReads(fileStat, p.creates, p.removes)

/** Guards first (one stat each, cached): a skipped command costs no more than a `test -e`. */
export async function checkRun(host: HostContext, module: string, p: RunParams, command: ShellCommand): Promise<Plan<RunData>> {
  for (const key of ['creates', 'removes', 'chdir'] as const) {
    const v = p[key]
    if (v !== undefined && (typeof v !== 'string' || v === '')) throw new ModuleError(module, `${key}: expected a path, found ${JSON.stringify(v)}`)
  }
  if (p.creates !== undefined && (await host.fact(fileStat, p.creates)) !== null) return noChange(`${p.creates} exists`)
  if (p.removes !== undefined && (await host.fact(fileStat, p.removes)) === null) return noChange(`${p.removes} does not exist`)
  const prelude: ShellCommand[] = []
  for (const [k, v] of Object.entries(p.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new ModuleError(module, `env: expected variable names like FOO_BAR, found ${JSON.stringify(k)}`)
    prelude.push(sh`export ${k}=${v}`)
  }
  if (p.chdir !== undefined) prelude.push(sh`cd -- ${p.chdir} || exit 1`)
  const full = joinCommands([...prelude, command], '\n')
  return change(`run ${command.masked}`, { data: { command: full } })
}

export async function applyRun(host: HostContext, p: RunParams, d: RunData): Promise<ApplyOutcome> {
  const r = await host.exec(d.command, p.stdin !== undefined ? { stdin: p.stdin } : {})
  const failed = p.failedWhen ? p.failedWhen(r) : r.code !== 0
  if (failed) throw new CommandError(host.name, d.command.masked, r.code, r.stdout, r.stderr)
  return { changed: p.changedWhen ? p.changedWhen(r) : true, output: r.stdout }
}
