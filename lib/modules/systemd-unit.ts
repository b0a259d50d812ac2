/**
 * A unit file (or a drop-in for one) under /etc/systemd/system. systemd only sees the change after
 * `daemon-reload`, which runs only when the file changed.
 */
import { sh } from '../connection/quote.ts'
import { change, defineModule, noChange } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'

export interface SystemdUnitParams {
  /** Full unit name: `kubelet.service`, `var-lib-containerd.mount`. */
  readonly name: string
  /** The whole unit (or drop-in) file content. */
  readonly content: string
  /** Drop-in name: writes /etc/systemd/system/<name>.d/<dropIn>.conf instead of the unit file. */
  readonly dropIn?: string
  /** @default 'present' */
  readonly state?: 'present' | 'absent'
}

const UNIT = /^[A-Za-z0-9:_.@\\-]+\.(service|socket|mount|automount|swap|target|path|timer|slice|scope|device)$/

/** Pure: where the unit file or drop-in lives. */
export function unitPath(p: Pick<SystemdUnitParams, 'name' | 'dropIn'>): string {
  if (!UNIT.test(p.name)) throw new ModuleError('systemdUnit', `name: expected a unit name like 'kubelet.service', found '${p.name}'`)
  if (p.dropIn === undefined) return `/etc/systemd/system/${p.name}`
  if (!/^[A-Za-z0-9_.@-]+$/.test(p.dropIn)) throw new ModuleError('systemdUnit', `dropIn: expected a file name stem like '10-kubeadm', found '${p.dropIn}'`)
  return `/etc/systemd/system/${p.name}.d/${p.dropIn.replace(/\.conf$/, '')}.conf`
}

export const systemdUnit = defineModule<SystemdUnitParams, { path: string; after: string | null }>({
  name: 'systemdUnit',
  async check(host, p) {
    const path = unitPath(p)
    const before = (await host.conn.readFile(path))?.toString('utf8') ?? null
    const after = p.state === 'absent' ? null : p.content.endsWith('\n') ? p.content : `${p.content}\n`
    if (before === after) return noChange(`${path}: already ${after === null ? 'absent' : 'up to date'}`)
    return change(`${after === null ? 'remove' : before === null ? 'create' : 'update'} ${path}`, {
      diff: { path, before, after },
      data: { path, after },
    })
  },
  async apply(host, _p, { data: { path, after } }) {
    if (after === null) await host.run(sh`rm -f -- ${path}`)
    else {
      await host.run(sh`mkdir -p -- "$(dirname -- ${path})"`)
      await host.conn.writeFile(path, after, { mode: '0644' })
    }
    await host.run(sh`systemctl daemon-reload`)
  },
})
