/** A local user account, read with getent/id and changed with useradd/usermod/userdel. */
import { sh, type ShellCommand } from '../connection/quote.ts'
import { change, defineModule, noChange } from '../engine/module.ts'
import { batchCommand, parseBatch } from '../facts/batch.ts'
import { validAccountName } from './group.ts'

export interface UserParams {
  /** Login name. */
  readonly name: string
  /** Numeric user id. @default chosen by useradd */
  readonly uid?: number
  /** Primary group (must exist). @default a group named after the user, as useradd makes it */
  readonly group?: string
  /** Supplementary groups (must exist). */
  readonly groups?: readonly string[]
  /** Add to `groups` without leaving the others. @default false (exactly `groups`) */
  readonly append?: boolean
  /** Login shell. @default useradd's default (`/bin/sh` on Debian) */
  readonly shell?: string
  /** Home directory (created when missing). @default `/home/<name>` */
  readonly home?: string
  /** A system account (uid from the system range, no home created). @default false */
  readonly system?: boolean
  /** absent with remove: also delete the home directory and mail spool. @default false */
  readonly remove?: boolean
  /** @default 'present' */
  readonly state?: 'present' | 'absent'
}

export interface UserEntry {
  readonly uid: number
  readonly home: string
  readonly shell: string
  /** Primary group name. */
  readonly group: string
  /** Supplementary group names. */
  readonly groups: readonly string[]
}

/** Pure: `getent passwd` line, `id -gn` and `id -Gn` output → the account; null when absent. */
export function parseUserEntry(passwd: string, primary: string, all: string): UserEntry | null {
  const f = passwd.trim().split(':')
  if (f.length < 7) return null
  const group = primary.trim()
  return {
    uid: Number(f[2]), home: f[5]!, shell: f[6]!, group,
    groups: all.trim().split(/\s+/).filter((g) => g && g !== group).sort(),
  }
}

/** Pure: the useradd/usermod/userdel command, or null when the account is already as asked. */
export function planUser(p: UserParams, cur: UserEntry | null): ShellCommand | null {
  const opt = (flag: string, v: string | number | undefined) => (v === undefined ? sh`` : sh`${flag} ${v}`)
  if (p.state === 'absent') return cur ? sh`userdel ${p.remove ? sh`-r` : sh``} ${p.name}` : null
  const groups = p.groups ? [...new Set(p.groups)].sort() : undefined
  if (!cur) {
    return sh`useradd ${opt('-u', p.uid)} ${opt('-g', p.group)} ${opt('-G', groups?.join(','))} ${opt('-s', p.shell)} ${opt('-d', p.home)} ${p.system ? sh`-r` : sh`-m`} ${p.name}`
  }
  const missing = groups?.filter((g) => !cur.groups.includes(g)) ?? []
  const extra = groups && !p.append ? cur.groups.filter((g) => !groups.includes(g)) : []
  const changes = [
    p.uid !== undefined && p.uid !== cur.uid && opt('-u', p.uid),
    p.group !== undefined && p.group !== cur.group && opt('-g', p.group),
    (missing.length > 0 || extra.length > 0) && (p.append ? sh`-a -G ${missing.join(',')}` : sh`-G ${groups!.join(',')}`),
    p.shell !== undefined && p.shell !== cur.shell && opt('-s', p.shell),
    p.home !== undefined && p.home !== cur.home && opt('-d', p.home),
  ].filter((c): c is ShellCommand => !!c)
  return changes.length ? sh`usermod ${changes} ${p.name}` : null
}

export const user = defineModule<UserParams, ShellCommand>({
  name: 'user',
  async check(host, p) {
    validAccountName('user', 'name', p.name)
    for (const g of [p.group ?? 'root', ...(p.groups ?? [])]) validAccountName('user', 'groups', g)
    const [pw, gid, gs] = parseBatch((await host.exec(batchCommand([
      sh`getent passwd ${p.name}`, sh`id -gn ${p.name}`, sh`id -Gn ${p.name}`,
    ]))).stdout, 3)
    const cur = pw!.code === 0 ? parseUserEntry(pw!.out, gid!.out, gs!.out) : null
    const cmd = planUser(p, cur)
    if (!cmd) return noChange(`user ${p.name}: already ${p.state ?? 'present'}`)
    return change(cmd.masked.replace(/\s+/g, ' '), { data: cmd })
  },
  async apply(host, _p, plan) {
    await host.run(plan.data)
  },
})
