/**
 * The capability bounding set of the host's root shell (`CapBnd` of /proc/self/status): what any
 * process there, containerd and runc included, can ever hold. Containers used as nodes (the lab's,
 * kind's) lack some, and the runtime must be told.
 */
import { sh } from '../connection/quote.ts'
import { CommandError } from '../errors.ts'
import { defineFact } from '../engine/module.ts'

/** Linux capability numbers kubeplay asks about. */
export const CAP = { SYS_RESOURCE: 24 } as const

/** Pure: the bounding set from /proc/self/status text, as a bigint mask. */
export function parseCapBnd(status: string): bigint | null {
  const m = /^CapBnd:\s*([0-9a-fA-F]+)$/m.exec(status)
  return m ? BigInt(`0x${m[1]}`) : null
}

export const hasCapability = (mask: bigint, cap: number): boolean => ((mask >> BigInt(cap)) & 1n) === 1n

export const capabilityBoundingSet = defineFact<undefined, bigint>({
  name: 'capabilityBoundingSet',
  become: true,
  command: () => sh`cat /proc/self/status`,
  parse(r) {
    const mask = r.code === 0 ? parseCapBnd(r.stdout) : null
    if (mask === null) throw new CommandError('capabilityBoundingSet', 'cat /proc/self/status', r.code, r.stdout, r.stderr || 'no CapBnd line')
    return mask
  },
})
