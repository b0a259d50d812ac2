/**
 * A kernel parameter, persisted in a sysctl.d file and applied at runtime with `sysctl -w` (never
 * `sysctl --system`: in containers it fails on read-only kernel.* keys). Several keys may share one
 * file: each task edits only its own line.
 */
import { sh } from '../connection/quote.ts'
import { change, defineModule, noChange, type FileDiff } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'
import { writeSysctls } from './sysctl-now.ts'
import { normalizeSysctlValue, sysctlValue } from '../facts/sysctl.ts'

export const DEFAULT_SYSCTL_FILE = '/etc/sysctl.d/99-kubeplay.conf'

export interface SysctlParams {
  /** `net.ipv4.ip_forward` */
  readonly name: string
  /** Value as `sysctl -n` prints it (whitespace-separated lists are compared word by word). */
  readonly value: string | number
  /** @default '/etc/sysctl.d/99-kubeplay.conf' */
  readonly file?: string
  /** absent removes the line from the file; the runtime value stays. @default 'present' */
  readonly state?: 'present' | 'absent'
  /** Also set the runtime value. @default true */
  readonly reload?: boolean
}

export interface SysctlPlan {
  readonly file: FileDiff | null
  /** Value for `sysctl -w`, or null when the runtime value is already right. */
  readonly write: string | null
}

const KEY = /^[A-Za-z0-9_][A-Za-z0-9_.\/-]*$/

/** Either spelling of a key (`net.ipv4.ip_forward`, `net/ipv4/ip_forward`) as sysctl.d reads it. */
function sameKey(a: string, b: string): boolean {
  return a.replace(/\//g, '.') === b.replace(/\//g, '.')
}

/**
 * Pure: the file's text with `name = value` set (first assignment replaced in place, repeats
 * dropped, appended when missing) or, for value null, every assignment of `name` removed.
 */
export function editSysctlConf(text: string, name: string, value: string | number | null): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n')
  const out: string[] = []
  let done = false
  for (const line of lines) {
    const m = /^\s*-?\s*([^=#;\s][^=]*?)\s*=/.exec(line)
    if (!m || !sameKey(m[1]!, name)) { out.push(line); continue }
    if (value !== null && !done) out.push(`${name} = ${normalizeSysctlValue(value)}`)
    done = true
  }
  if (value !== null && !done) out.push(`${name} = ${normalizeSysctlValue(value)}`)
  return out.length ? `${out.join('\n')}\n` : ''
}

export const sysctl = defineModule<SysctlParams, SysctlPlan>({
  name: 'sysctl',
  async check(host, p) {
    if (!KEY.test(p.name)) throw new ModuleError('sysctl', `name: expected a key like 'net.ipv4.ip_forward', found '${p.name}'`)
    const value = normalizeSysctlValue(p.value)
    if (p.state !== 'absent' && (value === '' || /[\n#;]/.test(value))) {
      throw new ModuleError('sysctl', `${p.name}: value: expected a non-empty single-line value, found '${p.value}'`)
    }
    const file = p.file ?? DEFAULT_SYSCTL_FILE
    const s = await host.fact(sysctlValue, { name: p.name, file })
    const present = p.state !== 'absent'
    if (present && (p.reload ?? true) && s.runtime === null) {
      const hint = p.name.startsWith('net.bridge.') ? ' (load br_netfilter first: kernelModule { name: "br_netfilter" })' : ''
      throw new ModuleError('sysctl', `${p.name}: expected the running kernel to have this key, found none in /proc/sys${hint}`)
    }
    const before = s.fileText
    const edited = editSysctlConf(before ?? '', p.name, present ? value : null)
    const after = before === null && !present ? null : edited
    const fileDiff = after === before ? null : { path: file, before, after }
    const write = present && (p.reload ?? true) && s.runtime !== value ? value : null
    if (!fileDiff && write === null) return noChange(`${p.name}: already ${present ? `${value} (file and runtime)` : 'absent from ' + file}`)
    const what = [fileDiff && `${present ? 'set' : 'remove'} ${p.name} in ${file}`, write !== null && `sysctl -w ${p.name}=${value} (was ${s.runtime})`]
    return change(what.filter(Boolean).join(', '), { diff: fileDiff ?? undefined, data: { file: fileDiff, write } })
  },
  async apply(host, p, { data }) {
    if (data.file?.after != null) {
      await host.run(sh`mkdir -p -- "$(dirname -- ${data.file.path})"`)
      await host.conn.writeFile(data.file.path, data.file.after, { mode: '0644' })
    }
    if (data.write !== null) {
      const w = await writeSysctls(host, [`${p.name}=${data.write}`])
      if (w.refused.length) {
        throw new ModuleError('sysctl', `${p.name}: the kernel kept ${w.now.get(p.name)?.value ?? 'no value'} after sysctl -w ${data.write} (read-only here, or out of range): ${w.output}`)
      }
    }
  },
})
