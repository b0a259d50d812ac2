/**
 * The runtime state of kernel parameters, read from /proc/sys in one round trip: present, writable
 * here (a container's namespaces make some keys read-only), value. Parsing is pure.
 */
import { sh } from '../connection/quote.ts'
import { defineFact } from '../engine/module.ts'
import { normalizeSysctlValue } from './sysctl.ts'

export interface SysctlRuntime {
  /** The kernel has the key (a module may still have to be loaded). */
  readonly present: boolean
  /** Writable here: false for kernel.*, vm.* and some net.* keys inside a container's namespaces. */
  readonly writable: boolean
  /** Whitespace-normalised value; null when absent. */
  readonly value: string | null
}

/** sysctl names map dots to slashes and slashes to dots (`net.ipv4.conf.eth0/100.rp_filter`). */
export function procSysPath(name: string): string {
  return `/proc/sys/${name.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'))}`
}

/** Pure: `name rw|ro value` or `name absent` lines → per-name runtime state. */
export function parseSysctlRuntime(out: string): Map<string, SysctlRuntime> {
  const m = new Map<string, SysctlRuntime>()
  for (const line of out.split('\n')) {
    const [name, state, ...rest] = line.split(' ')
    if (!name || !state) continue
    m.set(name, state === 'absent'
      ? { present: false, writable: false, value: null }
      : { present: true, writable: state === 'rw', value: normalizeSysctlValue(rest.join(' ')) })
  }
  return m
}

/**
 * Runtime value and writability of kernel parameters, read from /proc/sys (`test -w` answers as
 * the kernel will: `sysctl -w` itself exits 0 on some refused writes, so it cannot be trusted).
 */
export const sysctlRuntime = defineFact<readonly string[], Map<string, SysctlRuntime>>({
  name: 'sysctlRuntime',
  command: (names) => sh`for k in ${[...names]}; do
  p=/proc/sys/$(printf '%s' "$k" | tr './' '/.')
  if [ -e "$p" ]; then
    if [ -w "$p" ]; then w=rw; else w=ro; fi
    printf '%s %s %s\n' "$k" "$w" "$(tr -s '[:space:]' ' ' < "$p")"
  else printf '%s absent\n' "$k"; fi
done`,
  parse: (r) => parseSysctlRuntime(r.stdout),
})
