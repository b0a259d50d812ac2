/**
 * The confirmation destructive playbooks require: `-e confirm=yes`. Checked statically
 * (`confirmProblem`, for a preflight hook) and as the first task of the run, on one host, before
 * any other task anywhere.
 */
import type { Inventory } from '../../lib/inventory/types.ts'
import { task, type PreflightContext, type Task } from '../../lib/engine/task.ts'
import { ConfigError } from '../../lib/errors.ts'
import type { Vars } from '../../lib/inventory/types.ts'
import { assertion } from '../../lib/modules/assert.ts'

export function confirmProblem(vars: Readonly<Vars>, what: string): ConfigError | null {
  return vars.confirm === 'yes' || vars.confirm === true ? null
    : new ConfigError('command line', 'confirm', `-e confirm=yes to ${what}`, vars.confirm === undefined ? 'nothing' : JSON.stringify(vars.confirm))
}

export function confirmTask(what: string): Task {
  return task(`Require -e confirm=yes (${what})`, assertion, {
    problem: async (h) => confirmProblem(h.vars, what)?.message ?? null,
    ok: 'confirmed with -e confirm=yes',
  }, { tags: ['always'] })
}

/** -e confirm=yes is checked before any connection too (extra vars reach every host's vars). */
export function confirmPreflight(what: string) {
  return (inv: Inventory, ctx: PreflightContext = {}): ConfigError[] => {
    if (ctx.listOnly) return []
    const first = [...inv.hosts.values()][0]
    const problem = confirmProblem(first?.vars ?? {}, what)
    return problem ? [problem] : []
  }
}
