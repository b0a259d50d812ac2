/**
 * Kernel parameters set at runtime only (`sysctl -w`), several in one task, each verified by reading
 * it back from /proc/sys; persisting them is another task's job (a `template` of sysctl.d, or `sysctl`).
 */
import { sh } from '../connection/quote.ts'
import { change, defineModule, noChange, type HostContext } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'
import { normalizeSysctlValue } from '../facts/sysctl.ts'
import { sysctlRuntime, type SysctlRuntime } from '../facts/sysctl-runtime.ts'

export interface SysctlNowParams {
  /** name → value, already persisted by another task. */
  readonly values: Readonly<Record<string, string | number>>
  /** Where the values are persisted, for messages. */
  readonly file: string
}

export interface SysctlNowPlan {
  /** `name=value` words for `sysctl -w`. */
  readonly writes: readonly string[]
  /** Differ at runtime but cannot be written here: persisted only. */
  readonly readOnly: readonly { name: string; runtime: string; want: string }[]
  /** Not in the running kernel (yet): only possible in check mode, before modules load. */
  readonly missing: readonly string[]
}

/** Pure: what to write now, what to leave to the next boot, what the kernel lacks. */
export function planSysctlNow(values: SysctlNowParams['values'], state: ReadonlyMap<string, SysctlRuntime>): SysctlNowPlan {
  const writes: string[] = []
  const readOnly: { name: string; runtime: string; want: string }[] = []
  const missing: string[] = []
  for (const [name, v] of Object.entries(values)) {
    const want = normalizeSysctlValue(v)
    const s = state.get(name)
    if (!s?.present) missing.push(name)
    else if (s.value === want) continue
    else if (s.writable) writes.push(`${name}=${want}`)
    else readOnly.push({ name, runtime: s.value ?? '', want })
  }
  return { writes, readOnly, missing }
}

const KEY = /^[A-Za-z0-9_][A-Za-z0-9_.\/-]*$/

/**
 * Kernel parameters set at runtime with `sysctl -w`, verified by reading them back. A key that is
 * read-only here (nf_conntrack_max in a container's network namespace) is a warning, not a failure:
 * the file persists it for a host where it can apply.
 */
export const sysctlNow = defineModule<SysctlNowParams, SysctlNowPlan>({
  name: 'sysctlNow',
  async check(host, p) {
    const names = Object.keys(p.values)
    const bad = names.find((n) => !KEY.test(n))
    if (bad !== undefined) throw new ModuleError('sysctlNow', `expected keys like 'net.ipv4.ip_forward', found '${bad}'`)
    const plan = planSysctlNow(p.values, await host.fact(sysctlRuntime, names))
    for (const r of plan.readOnly) {
      host.warn(`${r.name} is read-only here (${r.runtime}, wanted ${r.want}): persisted in ${p.file}, applies where the kernel lets it (a container shares its host's limit)`)
    }
    if (plan.missing.length && !host.checkMode) {
      const hint = plan.missing.some((n) => n.startsWith('net.bridge.')) ? ' (br_netfilter must be loaded first)' : ''
      throw new ModuleError('sysctlNow', `${plan.missing.join(', ')}: expected the running kernel to have these keys, found none in /proc/sys${hint}`)
    }
    if (!plan.writes.length) {
      const later = plan.missing.length ? `; ${plan.missing.join(', ')} not in the kernel until its module loads` : ''
      const ro = plan.readOnly.length ? `; ${plan.readOnly.length} read-only here (persisted only)` : ''
      return noChange(`${names.length - plan.readOnly.length - plan.missing.length} kernel parameters already set${ro}${later}`)
    }
    return change(`sysctl -w ${plan.writes.join(' ')}`, { data: plan })
  },
  async apply(host, _p, { data }) {
    const w = await writeSysctls(host, data.writes)
    if (w.refused.length) {
      throw new ModuleError('sysctlNow', `${w.refused.join(', ')}: the kernel kept its old value (sysctl exit ${w.code}: ${w.output || 'no message'})`)
    }
  },
})

/**
 * `sysctl -w` every `name=value`, then the values read back from /proc/sys: procps exits 0 after some
 * refused writes (read-only in a container's network namespace, EINVAL, clamped), so the read-back
 * is the truth. The sysctl module and sysctlNow both write through here.
 */
export async function writeSysctls(host: HostContext, writes: readonly string[]): Promise<{ refused: string[]; now: Map<string, SysctlRuntime>; code: number; output: string }> {
  const r = await host.exec(sh`sysctl -q -w ${[...writes]}`)
  const names = writes.map((w) => w.slice(0, w.indexOf('=')))
  // not host.fact: the cache still holds what check read
  const now = sysctlRuntime.parse(await host.exec(sysctlRuntime.command(names)), names)
  const refused = writes.filter((w) => now.get(w.slice(0, w.indexOf('=')))?.value !== w.slice(w.indexOf('=') + 1))
  return { refused, now, code: r.code, output: (r.stderr.trim() || r.stdout.trim()) }
}
