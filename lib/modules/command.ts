/**
 * Runs a program with arguments: every word is quoted and the program is exec'd directly, so no
 * value can be read as shell syntax. Not idempotent by itself: use creates/removes/changedWhen.
 */
import type { Secret } from '../secret.ts'
import { sh } from '../connection/quote.ts'
import { defineModule } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'
import { applyRun, checkRun, guardReads, type RunData, type RunParams } from './run-command.ts'

export interface CommandParams extends RunParams {
  /** Program and arguments: `['kubeadm', 'init', '--config', path]`. */
  readonly argv: readonly (string | Secret)[]
}

export const command = defineModule<CommandParams, RunData>({
  name: 'command',
  reads: guardReads,
  check(host, p) {
    if (!Array.isArray(p.argv) || p.argv.length === 0 || p.argv[0] === '') {
      throw new ModuleError('command', `argv: expected a non-empty array (program first), found ${JSON.stringify(p.argv)}`)
    }
    return checkRun(host, 'command', p, sh`exec ${p.argv}`)
  },
  apply: (host, p, plan) => applyRun(host, p, plan.data),
})
