/**
 * A kernel parameter: its runtime value and the text of the file that persists it, in one round
 * trip. A key the running kernel does not have (net.bridge.* before br_netfilter) reads as null.
 */
import { sh } from '../connection/quote.ts'
import { defineFact } from '../engine/module.ts'
import { batchCommand, fileSection, parseBatch, readFileCommand } from './batch.ts'

export interface SysctlQuery {
  readonly name: string
  /** The file that persists it. */
  readonly file: string
}

export interface SysctlState {
  /** Whitespace-normalised runtime value; null when the kernel has no such key. */
  readonly runtime: string | null
  /** The file's text; null when the file does not exist. */
  readonly fileText: string | null
}

/** Multi-value keys (`ip_local_port_range`) read back tab-separated; compare them word by word. */
export function normalizeSysctlValue(v: string | number): string {
  return String(v).trim().split(/\s+/).join(' ')
}

export const sysctlValue = defineFact<SysctlQuery, SysctlState>({
  name: 'sysctlValue',
  command: (q) => batchCommand([sh`sysctl -n -e -- ${q.name} | grep .`, readFileCommand(q.file)]),
  parse: (r, q) => {
    const [rt, file] = parseBatch(r.stdout, 2)
    return {
      runtime: rt!.code === 0 ? normalizeSysctlValue(rt!.out) : null,
      fileText: fileSection(file!, q.file),
    }
  },
})
