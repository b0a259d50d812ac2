/**
 * Serial batches (`serial: 2`, `'30%'`, `[1, '50%']`) and when a batch's failures stop the run
 * (anyErrorsFatal, maxFailPercentage, a whole serial batch failed), as ansible-playbook does.
 */
import { ConfigError } from '../errors.ts'
import type { Play } from './task.ts'

/** Splits hosts into serial batches: counts, percentages, or a growing list (`[1, '50%']`). */
export function batches(hosts: readonly string[], serial: Play['serial'], where = 'serial'): string[][] {
  if (serial === undefined) return [[...hosts]]
  const specs = (Array.isArray(serial) ? serial : [serial]) as (number | string)[]
  const sizes = specs.map((s) => {
    const pct = typeof s === 'string' ? /^(\d+(?:\.\d+)?)%$/.exec(s) : null
    const n = typeof s === 'number' ? s : pct ? Math.floor((hosts.length * Number(pct[1])) / 100) : NaN
    if (typeof s === 'number' ? !Number.isInteger(s) || s < 1 : !pct) {
      throw new ConfigError('playbook', where, 'a positive integer or a percentage like "30%"', JSON.stringify(s))
    }
    return Math.max(1, n)
  })
  const out: string[][] = []
  for (let i = 0, k = 0; i < hosts.length; k++) {
    const n = sizes[Math.min(k, sizes.length - 1)]!
    out.push(hosts.slice(i, i + n))
    i += n
  }
  return out
}

/** Why the run stops after this batch, or undefined to go on. */
export function batchVerdict(play: Play, batch: readonly string[], failed: number, fatal: string | undefined): string | undefined {
  if (fatal) return `anyErrorsFatal: ${fatal}`
  if (play.maxFailPercentage !== undefined && (failed * 100) / batch.length > play.maxFailPercentage) {
    return `play '${play.name}': ${failed} of ${batch.length} hosts failed, over maxFailPercentage ${play.maxFailPercentage}`
  }
  if (play.serial !== undefined && failed === batch.length) return `play '${play.name}': every host of a serial batch failed`
  return undefined
}
