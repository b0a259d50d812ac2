/** A local group, read with getent and changed with groupadd/groupmod/groupdel. */
import { sh, type ShellCommand } from '../connection/quote.ts'
import { change, defineModule, noChange } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'

export interface GroupParams {
  /** Group name. */
  readonly name: string
  /** Numeric group id. @default chosen by groupadd */
  readonly gid?: number
  /** A system group (gid from the system range) when created. @default false */
  readonly system?: boolean
  /** @default 'present' */
  readonly state?: 'present' | 'absent'
}

/** Pure: a `getent group` line → name and gid; null for no line. */
export function parseGroupEntry(line: string): { name: string; gid: number } | null {
  const [name, , gid] = line.trim().split(':')
  return name && gid !== undefined ? { name, gid: Number(gid) } : null
}

/** Shared with user: names that useradd/groupadd accept (and that cannot be read as an option). */
export function validAccountName(module: string, key: string, name: string): void {
  if (!/^[a-z_][a-z0-9_.-]*\$?$/i.test(name) || name.length > 32) {
    throw new ModuleError(module, `${key}: expected a user or group name like 'etcd', found '${name}'`)
  }
}

/** Pure: the command that makes the group as asked, or null when it already is. */
export function planGroup(p: GroupParams, current: { gid: number } | null): ShellCommand | null {
  if (p.state === 'absent') return current ? sh`groupdel ${p.name}` : null
  if (!current) {
    return sh`groupadd ${p.gid !== undefined ? sh`-g ${p.gid}` : sh``} ${p.system ? sh`-r` : sh``} ${p.name}`
  }
  if (p.gid !== undefined && current.gid !== p.gid) return sh`groupmod -g ${p.gid} ${p.name}`
  return null
}

export const group = defineModule<GroupParams, ShellCommand>({
  name: 'group',
  async check(host, p) {
    validAccountName('group', 'name', p.name)
    const r = await host.exec(sh`getent group ${p.name}`)
    const cmd = planGroup(p, r.code === 0 ? parseGroupEntry(r.stdout) : null)
    if (!cmd) return noChange(`group ${p.name}: already ${p.state ?? 'present'}`)
    return change(cmd.masked.replace(/\s+/g, ' '), { data: cmd })
  },
  async apply(host, _p, plan) {
    await host.run(plan.data)
  },
})
