/**
 * Runs a shell script the user wrote, under /bin/sh (dash: POSIX only). The text is deliberately
 * sent as written; any value interpolated into it should come from `sh` (pass a ShellCommand) so
 * it is quoted. Not idempotent by itself: use creates/removes/changedWhen.
 */
import { raw, sh, ShellCommand } from '../connection/quote.ts'
import { defineModule } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'
import { applyRun, checkRun, guardReads, type RunData, type RunParams } from './run-command.ts'

export interface ShellParams extends RunParams {
  /** The script: literal text, or a command built with `sh` (its values quoted and masked). */
  readonly cmd: string | ShellCommand
}

export const shell = defineModule<ShellParams, RunData>({
  name: 'shell',
  reads: guardReads,
  check(host, p) {
    if (!(p.cmd instanceof ShellCommand) && (typeof p.cmd !== 'string' || p.cmd.trim() === '')) {
      throw new ModuleError('shell', `cmd: expected a non-empty script, found ${JSON.stringify(p.cmd)}`)
    }
    const script = p.cmd instanceof ShellCommand ? p.cmd : sh`${raw(p.cmd)}`
    return checkRun(host, 'shell', p, script)
  },
  apply: (host, p, plan) => applyRun(host, p, plan.data),
})
