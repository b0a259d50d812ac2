/**
 * The one way to write a check-only step: `problem` reads the host (or only the settings) and returns
 * why the host must not go on, or null; the task then reports `ok` and changes nothing. A problem
 * fails the host in `--check` as in a real run, so a dry-run gate sees "will fail", not "changes
 * pending". Like Ansible's `assert`.
 */
import { defineModule, noChange, type HostContext } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'

export interface AssertParams {
  /** Why the host fails, or null when it may go on. Read-only: it may read the host, never change it. @default no problem */
  readonly problem?: (h: HostContext) => Promise<string | null> | string | null
  /** What the task reports when there is no problem (a settings summary, what was checked). */
  readonly ok: string
}

/** Check-only: fails the host with `problem`'s message, else reports `ok`; never changes anything. */
export const assertion = defineModule<AssertParams>({
  name: 'assert',
  async check(host, p) {
    const problem = p.problem ? await p.problem(host) : null
    if (problem) throw new ModuleError('assert', `${host.name}: ${problem}`)
    return noChange(p.ok)
  },
  async apply() { /* check-only: it never plans a change */ },
})
