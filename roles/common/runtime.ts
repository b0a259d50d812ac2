/**
 * Role-local modules for the runtime half of node preparation (the persisted half is plain files
 * written by `template`/`kernelModule`): kernel parameters now, a list of kernel modules, and the
 * running hostname. Each follows the module contract: read-only check, apply does what it planned.
 */
import { sh } from '../../lib/connection/quote.ts'
import { change, defineModule, noChange, type HostContext } from '../../lib/engine/module.ts'
import { ModuleError } from '../../lib/errors.ts'
import { normalizeSysctlValue } from '../../lib/facts/sysctl.ts'
import { kernelModule } from '../../lib/modules/kernel-module.ts'
import { isHostname } from '../../lib/schema/net.ts'
import { sysctlRuntime, type SysctlRuntime } from './facts.ts'

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
    const r = await host.exec(sh`sysctl -q -w ${[...data.writes]}`)
    // procps exits 0 after some refused writes (EINVAL): the values read back are the truth
    const names = data.writes.map((w) => w.slice(0, w.indexOf('=')))
    // not host.fact: the cache still holds what check read
    const after = sysctlRuntime.parse(await host.exec(sysctlRuntime.command(names)), names)
    const failed = data.writes.filter((w) => after.get(w.slice(0, w.indexOf('=')))?.value !== w.slice(w.indexOf('=') + 1))
    if (failed.length) {
      throw new ModuleError('sysctlNow', `${failed.join(', ')}: the kernel kept its old value (sysctl exit ${r.code}: ${r.stderr.trim() || 'no message'})`)
    }
  },
})

export interface KernelModulesParams {
  readonly names: readonly string[]
}

/** Several `kernelModule`s as one task (each name has its own modules-load.d file, so they never collide). */
export const kernelModules = defineModule<KernelModulesParams, readonly string[]>({
  name: 'kernelModules',
  async check(host, p) {
    const todo: string[] = []
    const what: string[] = []
    for (const name of p.names) {
      const plan = await kernelModule.check(host, { name })
      if (plan.changed) { todo.push(name); what.push(plan.summary) }
    }
    if (!todo.length) return noChange(`${p.names.join(', ')}: already loaded and loaded at boot`)
    return change(what.join('; '), { data: todo })
  },
  async apply(host, _p, { data }) {
    // re-checked one by one: check reads with exec, never a cached fact, so each plan is current
    for (const name of data) {
      const plan = await kernelModule.check(host, { name })
      if (plan.changed) await kernelModule.apply(host, { name }, plan)
    }
  },
})

export interface HostnameNowParams {
  readonly name: string
}

/** The running hostname (`hostname NAME`: hostnamectl needs systemd-hostnamed, absent in some containers). */
export const hostnameNow = defineModule<HostnameNowParams, undefined>({
  name: 'hostnameNow',
  async check(host, p) {
    if (!isHostname(p.name)) throw new ModuleError('hostnameNow', `name: expected an RFC 1123 host name, found '${p.name}'`)
    const now = (await host.run(sh`hostname`)).stdout.trim()
    return now === p.name ? noChange(`hostname already ${p.name}`) : change(`hostname ${p.name} (was ${now})`)
  },
  async apply(host: HostContext, p) {
    await host.run(sh`hostname -- ${p.name}`)
  },
})
