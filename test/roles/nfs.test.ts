/**
 * The nfs roles' pure parts: the /etc/exports line, who it exports to, the client's mount source,
 * settings validation naming each key, and the kernel check's two outcomes (fail or warn).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { ExecResult } from '../../lib/connection/types.ts'
import type { HostContext } from '../../lib/engine/module.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import { play, playbook } from '../../lib/engine/task.ts'
import { ConfigErrors, ModuleError } from '../../lib/errors.ts'
import { inventoryFromSpec } from '../../lib/inventory/resolve.ts'
import { fstabLine } from '../../lib/modules/mount.ts'
import {
  exportClients, exportsLine, ganeshaConfig, kernelNfs, mergeNfsSettings, nfsClient, nfsServer, nfsSource, type NfsParams,
} from '../../roles/nfs/index.ts'
import { Recorder } from '../helpers/stub.ts'

// Seed 000: one master and two workers; the master serves the share to everyone.
const inv = inventoryFromSpec({
  hosts: { master: { address: '192.168.56.10' }, worker1: { address: '192.168.56.11' }, worker2: { address: '192.168.56.12' } },
  groups: { nfs_server: { hosts: ['master'] }, nfs_clients: { hosts: ['master', 'worker1', 'worker2'] }, none: { hosts: [] } },
}, 'seed000 inventory')
const s = (vars: Record<string, unknown> = {}, params: Partial<NfsParams> = {}) => mergeNfsSettings(vars, params)
const errorOf = (fn: () => unknown): Error => {
  try { fn() } catch (e) { return e as Error }
  throw new Error('expected an error')
}

test('defaults export /srv/nfs/shared rw,sync,no_subtree_check to every client host', () => {
  const d = s()
  assert.is(exportsLine(d, exportClients(d, inv)),
    '/srv/nfs/shared 192.168.56.10(rw,sync,no_subtree_check) 192.168.56.11(rw,sync,no_subtree_check) 192.168.56.12(rw,sync,no_subtree_check)')
})

test('clientNetworks replace the host list; a /32 is written as the bare address; duplicates go', () => {
  const x = s({ clientNetworks: ['192.168.56.0/24', '10.0.0.7/32', '10.0.0.8', '192.168.56.0/24'], exportOptions: ['ro', 'async'] })
  assert.is(exportsLine(x, exportClients(x, inv)), '/srv/nfs/shared 192.168.56.0/24(ro,async) 10.0.0.7(ro,async) 10.0.0.8(ro,async)')
})

test('the client mounts from the first server host, or nfs.server; IPv6 in brackets; fstab line with _netdev', () => {
  const d = s()
  assert.is(nfsSource(d, inv), '192.168.56.10:/srv/nfs/shared')
  assert.is(nfsSource(s({ server: 'nas.example.org', exportPath: '/export/k8s' }), inv), 'nas.example.org:/export/k8s')
  assert.is(nfsSource(s({ server: 'fd00::5' }), inv), '[fd00::5]:/srv/nfs/shared')
  assert.is(fstabLine({ path: d.mountPath, src: nfsSource(d, inv), fstype: 'nfs', opts: d.mountOptions.join(','), state: 'mounted' }),
    '192.168.56.10:/srv/nfs/shared /mnt/nfs/shared nfs rw,hard,noatime,_netdev 0 0')
})

test('settings problems are one ModuleError naming each key', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ clientNetworks: ['10.0.0.5/24'] }, /nfs\.clientNetworks\[0\]: expected an IPv4 CIDR with no host bits set \(10\.0\.0\.0\/24\) or an IPv4 address, found "10\.0\.0\.5\/24"/],
    [{ clientNetworks: ['*'] }, /nfs\.clientNetworks\[0\]: expected an IPv4 CIDR/],
    [{ exportPath: 'srv/nfs' }, /nfs\.exportPath: expected an absolute path without spaces/],
    [{ exportPath: '/srv/my share' }, /nfs\.exportPath: expected an absolute path without spaces/],
    [{ exportOptions: ['rw', 'sync(bad)'] }, /nfs\.exportOptions\[1\]: expected an option like rw or nfsvers=4\.2, found "sync\(bad\)"/],
    [{ exportOptions: ['rw', 'ro'] }, /nfs\.exportOptions: expected rw or ro and sync or async, found both in rw,ro/],
    [{ exportOptions: [] }, /nfs\.exportOptions: expected at least one option/],
    [{ exportMode: 'rwx' }, /nfs\.exportMode: expected an octal mode like '0775', found "rwx"/],
    [{ mountState: 'mounted!' }, /nfs\.mountState: expected 'mounted' \| 'present'/],
    [{ startServer: 'no' }, /nfs\.startServer: expected true or false, found "no"/],
    [{ exprotPath: '/x' }, /nfs\.exprotPath: expected a known key \(did you mean 'exportPath'\?\)/],
  ]
  for (const [vars, re] of cases) {
    const e = errorOf(() => s(vars))
    assert.instance(e, ModuleError, JSON.stringify(vars))
    assert.match(e.message, re)
  }
})

test('an empty or missing group is named, with the way out', () => {
  assert.match(errorOf(() => exportClients(s({ clientGroup: 'none' }), inv)).message,
    /nfs\.clientGroup: expected the hosts allowed to mount \(or set nfs\.clientNetworks\) in group 'none', found an empty group/)
  assert.match(errorOf(() => nfsSource(s({ serverGroup: 'nas' }), inv)).message,
    /nfs\.serverGroup: expected the NFS server \(or set nfs\.server\) in group 'nas', found no such group in seed000 inventory/)
})

test('params given in the playbook are checked when the role is built', () => {
  const e = errorOf(() => nfsServer({ clientNetworks: ['300.0.0.0/8'] }))
  assert.instance(e, ConfigErrors)
  assert.match(e.message, /nfsServer\(\) params: nfs\.clientNetworks\[0\]: expected an IPv4 CIDR/)
  assert.instance(errorOf(() => nfsClient({ mountPath: 'relative' })), ConfigErrors)
})

test('a settings problem fails the first task; nothing else runs on that host', async () => {
  const rec = new Recorder()
  const pb = playbook('pb', [play('nfs', { hosts: 'nfs_server', items: [nfsServer({ clientGroup: 'none' })] })])
  const r = await runPlaybook(pb, { inventory: inv, connector: rec.connector })
  assert.equal(r.results.map((x) => `${x.task} ${x.status}`), ['Check NFS server settings failed'])
})

/** A host whose probe exits with `code`; records warnings. */
function probeHost(code: number): { host: HostContext; warnings: string[] } {
  const warnings: string[] = []
  const result: ExecResult = { code, stdout: '', stderr: '', stdoutBytes: Buffer.alloc(0) }
  const host = { name: 'lab3', exec: async () => result, warn: (m: string) => warnings.push(m) } as unknown as HostContext
  return { host, warnings }
}

test('kernel check: supported is ok; missing fails when required, else warns and goes on', async () => {
  const ok = probeHost(0)
  assert.equal(await kernelNfs.check(ok.host, { side: 'server', required: true, hint: 'h' }), { changed: false, reason: 'the kernel supports the NFS server' })
  const strict = probeHost(1)
  const e = await kernelNfs.check(strict.host, { side: 'client', required: true, hint: 'do this.' }).then(() => null, (x: Error) => x)
  assert.instance(e, ModuleError)
  assert.is(e!.message, "nfs: lab3: the kernel has no NFS client support ('nfs'/'nfs4' are not in /proc/filesystems and no nfs module can be loaded): do this.")
  const lax = probeHost(1)
  const plan = await kernelNfs.check(lax.host, { side: 'server', required: false, hint: 'exports only.' })
  assert.is(plan.changed, false)
  assert.equal(lax.warnings, ["lab3: the kernel has no NFS server support ('nfsd' is not in /proc/filesystems and no nfsd module can be loaded): exports only."])
})

test('NFS-Ganesha: one EXPORT for the same clients; rw/ro, squash and anonymous ids carried over from exports(5) options', () => {
  const d = s({ serverSoftware: 'ganesha', graceless: true })
  assert.fixture(ganeshaConfig(d, exportClients(d, inv)), `# Managed by kubeplay (role nfs-server). Local changes are overwritten.
NFS_CORE_PARAM { Protocols = 3, 4; }
NFSV4 { Graceless = true; }
EXPORT {
  Export_Id = 1;
  Path = "/srv/nfs/shared";
  Pseudo = "/srv/nfs/shared";
  Access_Type = RW;
  Squash = Root_Squash;
  Anonymous_Uid = 65534;
  Anonymous_Gid = 65534;
  SecType = sys;
  Protocols = 3, 4;
  Transports = TCP;
  CLIENT { Clients = 192.168.56.10, 192.168.56.11, 192.168.56.12; }
  FSAL { Name = VFS; }
}
`)
  const ro = s({ serverSoftware: 'ganesha', exportOptions: ['ro', 'sync', 'all_squash', 'anonuid=1000', 'anongid=1000'], clientNetworks: ['10.0.0.0/24'] })
  const text = ganeshaConfig(ro, exportClients(ro, inv))
  for (const line of ['Access_Type = RO;', 'Squash = All_Squash;', 'Anonymous_Uid = 1000;', 'Anonymous_Gid = 1000;', 'Clients = 10.0.0.0/24;']) assert.match(text, line)
  assert.not.match(text, 'Graceless')
  assert.throws(() => s({ serverSoftware: 'nfsd' }), /nfs\.serverSoftware: expected 'kernel' \| 'ganesha'|serverSoftware/)
})

test.run()
