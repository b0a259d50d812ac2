/**
 * The nfs roles' shared settings (one `nfs:` namespace: the server and its clients must agree on the
 * export path and the server address), and the pure steps from settings + inventory to the
 * `/etc/exports` block and the client's fstab entry.
 */
import { ModuleError } from '../../lib/errors.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import { isAddress, isCidr, isIPv4, parseCidr } from '../../lib/schema/net.ts'
import { array, boolean, enumOf, object, optional, refine, string, validate } from '../../lib/schema/validate.ts'
import { isMapping as isPlainObject } from '../../lib/schema/validate.ts'

export interface NfsParams {
  /** Inventory group of the NFS server (its first host serves). @default 'nfs_server' */
  readonly serverGroup: string
  /** Inventory group of the hosts that mount the share. @default 'nfs_clients' */
  readonly clientGroup: string
  /** Address clients mount from. @default the inventory address of the first host of `serverGroup` */
  readonly server?: string
  /** Exported directory on the server. @default '/srv/nfs/shared' */
  readonly exportPath: string
  /** @default 'nobody' (root on a client is squashed to nobody) */
  readonly exportOwner: string
  /** @default 'nogroup' */
  readonly exportGroup: string
  /** @default '0775' */
  readonly exportMode: string
  /** Who may mount: IPv4 CIDRs or addresses. @default the addresses of the hosts of `clientGroup` */
  readonly clientNetworks: readonly string[]
  /** exports(5) options for every client. @default ['rw', 'sync', 'no_subtree_check'] */
  readonly exportOptions: readonly string[]
  /**
   * What serves the export: 'kernel' (nfs-kernel-server, /etc/exports) or 'ganesha' (NFS-Ganesha in
   * user space, /etc/ganesha/ganesha.conf, for hosts whose kernel has no nfsd: containers, the lab).
   * @default 'kernel'
   */
  readonly serverSoftware: 'kernel' | 'ganesha'
  /**
   * NFS-Ganesha only: serve at once after a (re)start instead of a 90 s grace period in which clients
   * reclaim their locks. For a share nobody locks across restarts. @default false
   */
  readonly graceless: boolean
  /**
   * Enable and start the NFS server (nfs-kernel-server or nfs-ganesha). With false the exports are written and `exportfs -ra` runs,
   * but nothing serves them (a container, or a kernel without nfsd). @default true
   */
  readonly startServer: boolean
  /** Mount point on the clients. @default '/mnt/nfs/shared' */
  readonly mountPath: string
  /** fstab options. @default ['rw', 'hard', 'noatime', '_netdev'] */
  readonly mountOptions: readonly string[]
  /** 'mounted': in fstab and mounted now; 'present': in fstab only (mounted at next boot). @default 'mounted' */
  readonly mountState: 'mounted' | 'present'
}

export const nfsDefaults: NfsParams = {
  serverGroup: 'nfs_server',
  clientGroup: 'nfs_clients',
  server: undefined,
  exportPath: '/srv/nfs/shared',
  exportOwner: 'nobody',
  exportGroup: 'nogroup',
  exportMode: '0775',
  clientNetworks: [],
  exportOptions: ['rw', 'sync', 'no_subtree_check'],
  serverSoftware: 'kernel',
  graceless: false,
  startServer: true,
  mountPath: '/mnt/nfs/shared',
  mountOptions: ['rw', 'hard', 'noatime', '_netdev'],
  mountState: 'mounted',
}

const word = (expected: string, re: RegExp) => refine(string(), expected, (s) => re.test(s))
const groupName = () => word('an inventory group name', /^[A-Za-z0-9_][\w.-]*$/)
// exports(5) and fstab split on blanks; paths with spaces would need escapes nobody reads well.
const path = () => word('an absolute path without spaces, quotes, #, commas or parentheses', /^\/[^\s"'#,()\\]*$/)
const option = () => word('an option like rw or nfsvers=4.2', /^[\w.-]+(=[\w.:/-]+)?$/)

/** Flat vars of Ansible setups → the nfs setting that holds them here. */
export const NFS_ANSIBLE_NAMES: Readonly<Record<string, string>> = {
  nfs_export_path: 'exportPath', nfs_server: 'server', nfs_export_options: 'exportOptions', nfs_allowed_networks: 'clientNetworks',
}

export const nfsVarsSchema = object({
  serverGroup: optional(groupName()),
  clientGroup: optional(groupName()),
  server: optional(refine(string(), 'an IPv4/IPv6 address or host name', isAddress)),
  exportPath: optional(path()),
  exportOwner: optional(word('a user name or uid', /^[\w.-]+$/)),
  exportGroup: optional(word('a group name or gid', /^[\w.-]+$/)),
  exportMode: optional(word("an octal mode like '0775'", /^0?[0-7]{3,4}$/)),
  clientNetworks: optional(array(refine(string(), 'an IPv4 CIDR with no host bits set (10.0.0.0/24) or an IPv4 address',
    (s) => isCidr(s) || isIPv4(s)))),
  exportOptions: optional(array(option())),
  serverSoftware: optional(enumOf(['kernel', 'ganesha'])),
  graceless: optional(boolean()),
  startServer: optional(boolean()),
  mountPath: optional(path()),
  mountOptions: optional(array(option())),
  mountState: optional(enumOf(['mounted', 'present'])),
}, { strict: true })

/** defaults < vars (`nfs:`) < params, validated; every problem in one ModuleError naming the keys. */
export function mergeNfsSettings(fromVars: unknown, params: Partial<NfsParams>): NfsParams {
  const given = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined))
  const merged = { ...nfsDefaults, ...(isPlainObject(fromVars) ? fromVars : {}), ...given }
  const r = validate(nfsVarsSchema, merged, 'nfs settings', { key: 'nfs' })
  if (r.errors.length) throw new ModuleError('nfs', r.errors.map((e) => `${e.key}: expected ${e.expected}, found ${e.found}`).join('; '))
  const s = r.value as unknown as NfsParams
  if (s.exportOptions.length === 0) throw new ModuleError('nfs', "nfs.exportOptions: expected at least one option (e.g. 'rw'), found none")
  const conflict = ['rw', 'ro'].every((o) => s.exportOptions.includes(o)) || ['sync', 'async'].every((o) => s.exportOptions.includes(o))
  if (conflict) throw new ModuleError('nfs', `nfs.exportOptions: expected rw or ro and sync or async, found both in ${s.exportOptions.join(',')}`)
  return s
}

const groupHosts = (inv: Inventory, key: string, group: string, why: string): string[] => {
  const hosts = inv.groups.get(group)?.hosts ?? []
  if (hosts.length === 0) {
    throw new ModuleError('nfs', `${key}: expected ${why} in group '${group}', found ${inv.groups.has(group) ? 'an empty group' : `no such group in ${inv.source}`}`)
  }
  return [...hosts]
}

/** Who the export is for: `clientNetworks`, else every host of `clientGroup` by address. */
export function exportClients(s: NfsParams, inv: Inventory): string[] {
  if (s.clientNetworks.length) return [...new Set(s.clientNetworks)]
  const hosts = groupHosts(inv, 'nfs.clientGroup', s.clientGroup, 'the hosts allowed to mount (or set nfs.clientNetworks)')
  return [...new Set(hosts.map((h) => inv.hosts.get(h)?.connection.address ?? h))]
}

/** Pure: the one `/etc/exports` line for the share. */
export function exportsLine(s: NfsParams, clients: readonly string[]): string {
  const opts = s.exportOptions.join(',')
  // A /32 is one host: exportfs -v shows it as the bare address, so write it that way.
  const name = (c: string) => (parseCidr(c)?.prefix === 32 ? c.replace(/\/32$/, '') : c)
  return `${s.exportPath} ${clients.map((c) => `${name(c)}(${opts})`).join(' ')}`
}

/**
 * Pure: NFS-Ganesha's configuration for the share, with the exports(5) options it has equivalents
 * for (rw/ro, root_squash/no_root_squash/all_squash, anonuid/anongid; the kernel's default anonymous
 * ids 65534, so squashed writes land as nobody:nogroup as with nfs-kernel-server). NFSv3 and v4 over TCP.
 */
export function ganeshaConfig(s: NfsParams, clients: readonly string[]): string {
  const has = (o: string): boolean => s.exportOptions.includes(o)
  const value = (k: string): string | undefined => s.exportOptions.find((o) => o.startsWith(`${k}=`))?.slice(k.length + 1)
  const squash = has('all_squash') ? 'All_Squash' : has('no_root_squash') ? 'No_Root_Squash' : 'Root_Squash'
  return [
    '# Managed by kubeplay (role nfs-server). Local changes are overwritten.',
    'NFS_CORE_PARAM { Protocols = 3, 4; }',
    ...(s.graceless ? ['NFSV4 { Graceless = true; }'] : []),
    'EXPORT {',
    '  Export_Id = 1;',
    `  Path = "${s.exportPath}";`,
    `  Pseudo = "${s.exportPath}";`,
    `  Access_Type = ${has('ro') ? 'RO' : 'RW'};`,
    `  Squash = ${squash};`,
    `  Anonymous_Uid = ${value('anonuid') ?? 65534};`,
    `  Anonymous_Gid = ${value('anongid') ?? 65534};`,
    '  SecType = sys;',
    '  Protocols = 3, 4;',
    '  Transports = TCP;',
    `  CLIENT { Clients = ${clients.join(', ')}; }`,
    '  FSAL { Name = VFS; }',
    '}',
    '',
  ].join('\n')
}

/** The server clients mount from: `server`, else the first host of `serverGroup`. */
export function nfsServerAddress(s: NfsParams, inv: Inventory): string {
  if (s.server) return s.server
  const first = groupHosts(inv, 'nfs.serverGroup', s.serverGroup, 'the NFS server (or set nfs.server)')[0]!
  return inv.hosts.get(first)?.connection.address ?? first
}

/** `10.0.0.5:/srv/nfs/shared`; IPv6 servers in brackets, as mount.nfs wants them. */
export function nfsSource(s: NfsParams, inv: Inventory): string {
  const server = nfsServerAddress(s, inv)
  return `${server.includes(':') ? `[${server}]` : server}:${s.exportPath}`
}
