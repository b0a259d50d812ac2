/** Reading run results in tests: `host task: reason` lines by status, and the error a promise rejects with. */
import * as assert from 'uvu/assert'
import type { RunResult, TaskStatus } from '../../lib/engine/results.ts'

export function taskLines(r: RunResult, ...statuses: TaskStatus[]): string[] {
  return r.results.filter((x) => statuses.includes(x.status)).map((x) => `${x.host} ${x.task}: ${x.reason}`)
}

/** Failed and unreachable tasks ([] when the run went well). */
export const failures = (r: RunResult): string[] => taskLines(r, 'failed', 'unreachable')
export const changes = (r: RunResult): string[] => taskLines(r, 'changed')

/** The error `p` rejects with; fails the test when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (e) {
    return e as Error
  }
  return assert.unreachable('expected a rejection') as never
}
