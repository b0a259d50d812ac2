/**
 * No swap: the kubelet refuses to start with swap on. `swapoff -a` when /proc/swaps lists any, and
 * every swap entry in /etc/fstab commented out so it stays off after a reboot.
 */
import { sh } from '../connection/quote.ts'
import { change, defineModule, noChange, type FileDiff } from '../engine/module.ts'
import { batchCommand, fileSection, parseBatch, readFileCommand } from '../facts/batch.ts'
import { fstabFields } from './mount.ts'

export interface SwapParams {
  /** `'absent'`: swap off now and every swap line of /etc/fstab commented out. */
  readonly state: 'absent'
  /** @default '/etc/fstab' */
  readonly fstab?: string
}

export interface SwapPlan {
  readonly swapoff: boolean
  readonly fstab: FileDiff | null
}

/** Pure: every active swap entry commented out (`# ` prefix); other lines untouched. */
export function commentSwapLines(fstab: string): string {
  return fstab.split('\n').map((l) => (fstabFields(l)?.[2] === 'swap' ? `# ${l}` : l)).join('\n')
}

/** Pure: /proc/swaps has a header line, then one line per active swap area. */
export function activeSwaps(procSwaps: string): string[] {
  return procSwaps.split('\n').slice(1).map((l) => l.split(/\s+/)[0]!).filter(Boolean)
}

export const swap = defineModule<SwapParams, SwapPlan>({
  name: 'swap',
  async check(host, p) {
    const path = p.fstab ?? '/etc/fstab'
    const [swaps, tab] = parseBatch((await host.exec(batchCommand([sh`cat /proc/swaps`, readFileCommand(path)]))).stdout, 2)
    const active = activeSwaps(swaps!.out)
    const before = fileSection(tab!, path)
    const after = before === null ? null : commentSwapLines(before)
    const fstab = before === after ? null : { path, before, after }
    if (!active.length && !fstab) return noChange(`no active swap and none in ${path}`)
    const what = [active.length && `swapoff ${active.join(' ')}`, fstab && `comment out swap in ${path}`]
    return change(what.filter(Boolean).join(', '), { diff: fstab ?? undefined, data: { swapoff: active.length > 0, fstab } })
  },
  async apply(host, _p, { data }) {
    if (data.swapoff) await host.run(sh`swapoff -a`)
    if (data.fstab?.after != null) await host.conn.writeFile(data.fstab.path, data.fstab.after, {})
  },
})
