/**
 * A shared NFS volume (seeds 000, 004): `nfsServer()` exports a directory to the cluster's hosts,
 * `nfsClient()` mounts it through /etc/fstab. Two roles, one `nfs:` settings namespace, because the
 * server and its clients must agree on the path and the server's address. Both tags: `nfs`.
 *
 * The kernel does the serving and the mounting: on a host whose kernel has no nfsd (or no NFS
 * client) the roles say so before doing anything, instead of failing later with systemd's
 * "dependency failed" or mount's "No such device".
 */
import { sh } from '../../lib/connection/quote.ts'
import { defineModule, noChange, type HostContext } from '../../lib/engine/module.ts'
import { flushHandlers, handler, role, task, type Role } from '../../lib/engine/task.ts'
import { ModuleError } from '../../lib/errors.ts'
import { defineSettings } from '../../lib/engine/vars.ts'
import { aptPackages } from '../../lib/modules/apt-packages.ts'
import { assertion } from '../../lib/modules/assert.ts'
import { blockInFile } from '../../lib/modules/block-in-file.ts'
import { command } from '../../lib/modules/command.ts'
import { copy } from '../../lib/modules/copy.ts'
import { file } from '../../lib/modules/file.ts'
import { mount } from '../../lib/modules/mount.ts'
import { systemdService } from '../../lib/modules/systemd-service.ts'
import { exportClients, exportsLine, ganeshaConfig, mergeNfsSettings, NFS_ANSIBLE_NAMES, nfsDefaults, nfsSource, nfsVarsSchema, type NfsParams } from './settings.ts'

export {
  exportClients, exportsLine, ganeshaConfig, mergeNfsSettings, nfsDefaults, nfsServerAddress, nfsSource, nfsVarsSchema, type NfsParams,
} from './settings.ts'

export const EXPORTS = '/etc/exports'
export const EXPORTS_MARKER = '# {mark} kubeplay nfs share'
export const GANESHA_CONF = '/etc/ganesha/ganesha.conf'

export interface KernelNfsParams {
  readonly side: 'server' | 'client'
  /** Fail when the kernel lacks it; otherwise warn and go on. */
  readonly required: boolean
  /** What to do about it, appended to the message. */
  readonly hint: string
}

/** Pure: the message for a kernel without NFS support. */
export function kernelNfsMessage(host: string, p: KernelNfsParams): string {
  const what = p.side === 'server' ? "NFS server support ('nfsd' is not in /proc/filesystems and no nfsd module can be loaded)"
    : "NFS client support ('nfs'/'nfs4' are not in /proc/filesystems and no nfs module can be loaded)"
  return `${host}: the kernel has no ${what}: ${p.hint}`
}

/** Check-only: whether the running kernel can serve (nfsd) or mount (nfs) NFS. */
export const kernelNfs = defineModule<KernelNfsParams>({
  name: 'kernelNfs',
  async check(host, p) {
    const probe = p.side === 'server'
      ? sh`grep -qw nfsd /proc/filesystems || { command -v modprobe >/dev/null && modprobe -n -q nfsd; }`
      : sh`grep -qwE 'nfs4?' /proc/filesystems || { command -v modprobe >/dev/null && modprobe -n -q nfs; }`
    if ((await host.exec(probe)).code === 0) return noChange(`the kernel supports the NFS ${p.side}`)
    const msg = kernelNfsMessage(host.name, p)
    if (p.required) throw new ModuleError('nfs', msg)
    host.warn(msg)
    return noChange(`the kernel has no NFS ${p.side} support (warned)`)
  },
  apply: async () => {},
})

const SETTINGS = defineSettings({ key: 'nfs', schema: nfsVarsSchema, defaults: nfsDefaults, ansibleNames: NFS_ANSIBLE_NAMES })

const settingsOf = (h: HostContext, p: Partial<NfsParams>): NfsParams => mergeNfsSettings(h.vars.nfs, p)

/** The NFS server: package, export directory, `/etc/exports` entry, `exportfs -ra` on change, service. */
export function nfsServer(params: Partial<NfsParams> = {}): Role {
  const p = SETTINGS.params(params, 'nfsServer()')
  const reexport = handler('Re-export the NFS shares', command, { argv: ['exportfs', '-ra'] })
  const restartGanesha = handler('Restart NFS-Ganesha', systemdService, { name: 'nfs-ganesha', state: 'restarted' })
  const kernel = (h: HostContext): boolean => settingsOf(h, p).serverSoftware === 'kernel'
  const ganesha = (h: HostContext): boolean => !kernel(h)
  return role('nfs-server', [
    task('Check NFS server settings', assertion, (h) => {
      const s = settingsOf(h, p)
      return { ok: `${s.serverSoftware === 'ganesha' ? 'NFS-Ganesha: ' : ''}${exportsLine(s, exportClients(s, h.inventory))}` }
    }),
    task('Check the kernel can serve NFS', kernelNfs, (h) => ({
      side: 'server' as const,
      required: settingsOf(h, p).startServer,
      hint: settingsOf(h, p).startServer
        ? "nfs-kernel-server cannot start here (in a container the host kernel serves NFS). Set nfs.serverSoftware: 'ganesha' to serve from user space, or nfs.startServer: false to write the exports only."
        : 'the exports are written (nfs.startServer: false) but nothing will serve them from this host.',
    }), { when: kernel, whenReason: "nfs.serverSoftware is 'ganesha' (user space)" }),
    task('Install the NFS server', aptPackages, (h) => ({ names: kernel(h) ? ['nfs-kernel-server'] : ['nfs-ganesha', 'nfs-ganesha-vfs'] })),
    task('Create the export directory', file, (h) => {
      const s = settingsOf(h, p)
      return { path: s.exportPath, state: 'directory' as const, owner: s.exportOwner, group: s.exportGroup, mode: s.exportMode }
    }),
    task('Export the directory to the clients', blockInFile, (h) => {
      const s = settingsOf(h, p)
      return { path: EXPORTS, block: exportsLine(s, exportClients(s, h.inventory)), marker: EXPORTS_MARKER, create: true, mode: '0644' }
    }, { notify: [reexport], when: kernel, whenReason: "nfs.serverSoftware is 'ganesha': its own configuration" }),
    task('Export the directory with NFS-Ganesha', copy, (h) => {
      const s = settingsOf(h, p)
      return { path: GANESHA_CONF, content: ganeshaConfig(s, exportClients(s, h.inventory)), mode: '0644', owner: 'root', group: 'root' }
    }, { notify: [restartGanesha], when: ganesha, whenReason: "nfs.serverSoftware is 'kernel'" }),
    task('Enable and start the NFS server', systemdService, (h) => ({ name: kernel(h) ? 'nfs-kernel-server' : 'nfs-ganesha', enabled: true, state: 'started' as const }), {
      when: (h) => settingsOf(h, p).startServer,
      whenReason: 'nfs.startServer is false',
    }),
    flushHandlers(),
  ], { tags: ['nfs'], vars: SETTINGS.vars })
}

/** An NFS client: nfs-common, the mount point, the fstab entry (`_netdev`), mounted. */
export function nfsClient(params: Partial<NfsParams> = {}): Role {
  const p = SETTINGS.params(params, 'nfsClient()')
  return role('nfs-client', [
    task('Check NFS client settings', assertion, (h) => {
      const s = settingsOf(h, p)
      return { ok: `${nfsSource(s, h.inventory)} on ${s.mountPath} (${s.mountState})` }
    }),
    task('Check the kernel can mount NFS', kernelNfs, (h) => ({
      side: 'client' as const,
      required: settingsOf(h, p).mountState === 'mounted',
      hint: settingsOf(h, p).mountState === 'mounted'
        ? "the share cannot be mounted here. Set nfs.mountState: 'present' to write the fstab entry only."
        : 'the fstab entry is written (nfs.mountState: present) but will not mount on this kernel.',
    })),
    task('Install the NFS client', aptPackages, { names: ['nfs-common'] }),
    task('Create the mount point', file, (h) => ({ path: settingsOf(h, p).mountPath, state: 'directory' as const })),
    task('Mount the NFS share', mount, (h) => {
      const s = settingsOf(h, p)
      return { path: s.mountPath, src: nfsSource(s, h.inventory), fstype: 'nfs', opts: s.mountOptions.join(','), state: s.mountState }
    }),
  ], { tags: ['nfs'], vars: SETTINGS.vars })
}
