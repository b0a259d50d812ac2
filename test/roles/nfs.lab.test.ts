/**
 * The nfs roles through the real engine and SSH, lab3 as both server and client (lab1/lab2 belong to
 * other tests). The lab's kernel has no nfsd and no NFS client: the roles must say so up front; with
 * `startServer: false` / `mountState: 'present'` they still write exports and fstab and converge.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connectorFor } from '../../lib/cli/main.ts'
import { sh, type ShellCommand } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import type { RunResult } from '../../lib/engine/results.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import { play, playbook, type Role } from '../../lib/engine/task.ts'
import { ModuleError } from '../../lib/errors.ts'
import { loadInventory } from '../../lib/inventory/load.ts'
import { inventoryFromSpec } from '../../lib/inventory/resolve.ts'
import type { Inventory, InventorySpec } from '../../lib/inventory/types.ts'
import { assertLabAddress, type LabInfo } from '../../lib/lab/index.ts'
import { mount } from '../../lib/modules/mount.ts'
import { EXPORTS, nfsClient, nfsServer, type NfsParams } from '../../roles/nfs/index.ts'
import { labConnect } from '../lab/connect.ts'
import { testLab } from '../lab/harness.ts'

let lab: LabInfo
let inv: Inventory
let conn: Connection
let addr: string
let kernelHasNfsd = false
let kernelHasNfs = false
const EXPORT = '/srv/nfs/shared'
const MNT = '/mnt/nfs/shared'

const out = async (cmd: ShellCommand): Promise<string> => (await conn.exec(cmd)).stdout.trim()

async function labInventory(l: LabInfo, groups: Record<string, string[]>): Promise<Inventory> {
  const base = await loadInventory(l.inventoryPath)
  const hosts: InventorySpec['hosts'] = Object.fromEntries([...base.hosts.values()].map((h) => [h.name, {
    address: h.connection.address, port: h.connection.port, user: h.connection.user,
    keyFile: h.connection.keyFile, knownHosts: h.connection.knownHosts, connection: 'ssh' as const,
  }]))
  return inventoryFromSpec({ hosts, groups: Object.fromEntries(Object.entries(groups).map(([g, hs]) => [g, { hosts: hs }])) }, 'nfs lab test')
}

async function run(name: string, r: Role, checkMode = false): Promise<RunResult & { warnings: string[] }> {
  const warnings: string[] = []
  const t0 = Date.now()
  const res = await runPlaybook(playbook('nfs', [play(name, { hosts: 'lab3', items: [r] })]), {
    inventory: inv, connector: connectorFor(inv, { hostKeyPolicy: 'strict' }), checkMode,
    reporter: { message: (level, _h, text) => { if (level === 'warn') warnings.push(text) } },
  })
  console.log(`  ${name}${checkMode ? ' (check)' : ''}: ${Date.now() - t0} ms ${JSON.stringify(res.recap.lab3)}`)
  return { ...res, warnings }
}
const server = (p: Partial<NfsParams> = {}) => nfsServer({ startServer: false, ...p })
const client = (p: Partial<NfsParams> = {}) => nfsClient({ mountState: 'present', ...p })
const statuses = (r: RunResult, status: string) => r.results.filter((x) => x.status === status).map((x) => `${x.task}: ${x.reason}`)

test.before(async () => {
  lab = await testLab({ hosts: 3 })
  inv = await labInventory(lab, { nfs_server: ['lab3'], nfs_clients: ['lab3'] })
  addr = inv.hosts.get('lab3')!.connection.address
  assertLabAddress(addr)
  conn = await labConnect(lab, 2)
  kernelHasNfsd = (await conn.exec(sh`grep -qw nfsd /proc/filesystems`)).code === 0
  kernelHasNfs = (await conn.exec(sh`grep -qwE 'nfs4?' /proc/filesystems`)).code === 0
})

test.after(async () => {
  if (!conn) return
  await conn.exec(sh`umount ${MNT} 2>/dev/null; sed -i '\\#${MNT} #d' /etc/fstab; systemctl daemon-reload
systemctl stop nfs-kernel-server nfs-ganesha 2>/dev/null
DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=120 purge nfs-kernel-server nfs-common nfs-ganesha nfs-ganesha-vfs libnfs-utils >/dev/null 2>&1
apt-get -q -y autoremove --purge >/dev/null 2>&1; rm -rf /srv/nfs/shared /mnt/nfs ${EXPORTS} /etc/ganesha`)
  await conn.close()
})

test('server: a kernel without nfsd stops the role before it installs anything, saying why', async () => {
  if (kernelHasNfsd) return console.log('  (this kernel has nfsd: nothing to prove here)')
  const r = await run('NFS server (start)', nfsServer())
  assert.equal(r.results.map((x) => `${x.task} ${x.status}`), ['Check NFS server settings ok', 'Check the kernel can serve NFS failed'])
  assert.match(r.results[1]!.reason, /lab3: the kernel has no NFS server support \('nfsd' is not in \/proc\/filesystems and no nfsd module can be loaded\): nfs-kernel-server cannot start here .* Set nfs\.serverSoftware: 'ganesha' to serve from user space, or nfs\.startServer: false/)
  assert.is.not((await conn.exec(sh`dpkg -s nfs-kernel-server`)).code, 0)
})

test('server with startServer: false: 0 failed, one warning, exports written and exportfs -ra run', async () => {
  const r = await run('NFS server', server())
  assert.equal(statuses(r, 'failed'), [])
  if (!kernelHasNfsd) assert.equal(r.warnings, ["lab3: the kernel has no NFS server support ('nfsd' is not in /proc/filesystems and no nfsd module can be loaded): the exports are written (nfs.startServer: false) but nothing will serve them from this host."])
  assert.equal(r.results.filter((x) => x.handler).map((x) => `${x.task} ${x.status}`), ['Re-export the NFS shares changed'])
  const line = `${EXPORT} ${addr}(rw,sync,no_subtree_check)`
  assert.ok((await out(sh`cat ${EXPORTS}`)).endsWith(`# BEGIN kubeplay nfs share\n${line}\n# END kubeplay nfs share`))
  assert.is(await out(sh`stat -c '%U %G %a' ${EXPORT}`), 'nobody nogroup 775')
  const v = await out(sh`exportfs -v`)
  console.log(`  exportfs -v: ${v.replace(/\s+/g, ' ')}`)
  assert.match(v, new RegExp(`^${EXPORT}\\s+${addr.replace(/\./g, '\\.')}\\(sync,.*no_subtree_check.*,rw,.*root_squash`, 's'))
})

test('server: second run changes nothing, check mode plans nothing', async () => {
  const r = await run('NFS server', server())
  assert.equal(statuses(r, 'changed'), [])
  assert.not.ok(r.results.some((x) => x.handler))
  assert.equal(statuses(await run('NFS server', server(), true), 'changed'), [])
})

test('server: new export options rewrite the entry and re-export; networks from vars replace the host list', async () => {
  const r = await run('NFS server', server({ exportOptions: ['rw', 'sync', 'no_subtree_check', 'no_root_squash'], clientNetworks: [lab.subnet, addr] }))
  assert.equal(statuses(r, 'failed'), [])
  assert.equal(r.results.filter((x) => x.status === 'changed').map((x) => x.task), ['Export the directory to the clients', 'Re-export the NFS shares'])
  const v = await out(sh`exportfs -v`)
  assert.match(v, new RegExp(`${lab.subnet.replace(/\./g, '\\.')}\\(.*no_root_squash`))
  const back = await run('NFS server', server())
  assert.equal(statuses(back, 'changed').length, 2)
  assert.not.match(await out(sh`exportfs -v`), /no_root_squash/)
})

test('client: a kernel without the NFS client stops a mounted share before anything is changed, saying why', async () => {
  if (kernelHasNfs) return console.log('  (this kernel has an NFS client: nothing to prove here)')
  const fstab = await out(sh`cat /etc/fstab`)
  const r = await run('NFS client (mounted)', nfsClient())
  assert.equal(r.results.map((x) => `${x.task} ${x.status}`), ['Check NFS client settings ok', 'Check the kernel can mount NFS failed'])
  assert.match(r.results[1]!.reason, /lab3: the kernel has no NFS client support .*: the share cannot be mounted here\. Set nfs\.mountState: 'present'/)
  assert.is(await out(sh`cat /etc/fstab`), fstab)
})

test("client with mountState: 'present': the fstab line with _netdev, 0 failed, then 0 changed", async () => {
  const r = await run('NFS client', client())
  assert.equal(statuses(r, 'failed'), [])
  if (!kernelHasNfs) assert.equal(r.warnings.length, 1)
  const entry = `${addr}:${EXPORT} ${MNT} nfs rw,hard,noatime,_netdev 0 0`
  assert.equal((await out(sh`grep -F ${MNT} /etc/fstab`)).split('\n'), [entry])
  assert.is(await out(sh`[ -d ${MNT} ] && dpkg-query -W -f '\${Status}' nfs-common`), 'install ok installed')
  assert.equal(statuses(await run('NFS client', client()), 'changed'), [])
  assert.equal(statuses(await run('NFS client', client(), true), 'changed'), [])
})

test('the mount step itself, when the kernel cannot mount, fails with mount.nfs\'s reason and a hint, not a crash', async () => {
  if (kernelHasNfs) return
  try {
    await runModule(conn, mount, { path: MNT, src: `${addr}:${EXPORT}`, fstype: 'nfs', opts: 'rw,hard,noatime,_netdev', state: 'mounted' })
    assert.unreachable('the mount succeeded')
  } catch (e) {
    assert.instance(e, ModuleError)
    console.log(`  mount: ${(e as Error).message}`)
    assert.match((e as Error).message, new RegExp(`mount: mounting ${addr.replace(/\./g, '\\.')}:${EXPORT} \\(nfs\\) on ${MNT} failed \\(exit \\d+\\): .+ \\(the host needs nfs-common and a kernel with NFS client support\\)`))
  }
  assert.is(await out(sh`grep -c -F ${MNT} /etc/fstab`), '1')
})

// NFS-Ganesha serves from user space where the kernel has no nfsd (the lab host's /srv/nfs is an ext4
// bind mount and its syscall filter allows open_by_handle_at: Ganesha's VFS backend needs both).
const ganesha = (): Role => nfsServer({ serverSoftware: 'ganesha', graceless: true })

test('ganesha: the same export served from user space; the second run changes nothing, check mode plans nothing', async () => {
  // nfs-kernel-server (installed above, never running) would hold the NFS ports' registrations
  await conn.exec(sh`DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=120 purge nfs-kernel-server >/dev/null 2>&1; true`)
  const first = await run('NFS-Ganesha', ganesha())
  assert.equal(first.failedHosts, [], statuses(first, 'failed').join('\n'))
  assert.ok(first.recap.lab3!.changed >= 3, JSON.stringify(first.recap.lab3))
  assert.equal(first.results.filter((r) => r.task === 'Check the kernel can serve NFS').map((r) => r.status), ['skipped'])
  assert.is(await out(sh`systemctl is-active nfs-ganesha`), 'active')
  const again = await run('NFS-Ganesha again', ganesha())
  assert.is(again.recap.lab3!.changed, 0, statuses(again, 'changed').join('\n'))
  const check = await run('NFS-Ganesha', ganesha(), true)
  assert.is(check.recap.lab3!.changed, 0, statuses(check, 'changed').join('\n'))
})

test('ganesha: a user-space NFS client writes over NFSv4 and reads back over NFSv3; squashed root writes as nobody; a kernel mount is the boundary', async () => {
  await conn.exec(sh`DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=120 install libnfs-utils >/dev/null 2>&1`)
  const url = (v: number, f = ''): string => `nfs://${addr}${EXPORT}${f}?version=${v}`
  const put = await conn.exec(sh`printf 'written over NFS\n' >/tmp/kp-nfs-in && nfs-cp /tmp/kp-nfs-in ${url(4, '/from-client.txt')}`)
  assert.is(put.code, 0, put.stderr)
  assert.is(await out(sh`nfs-cat ${url(3, '/from-client.txt')}`), 'written over NFS')
  assert.is(await out(sh`stat -c '%U:%G' ${`${EXPORT}/from-client.txt`}`), 'nobody:nogroup')
  assert.match(await out(sh`nfs-ls ${url(4)}`), 'from-client.txt')
  if (kernelHasNfs) return
  const m = await conn.exec(sh`mkdir -p /mnt/kp-nfs && mount -t nfs ${`${addr}:${EXPORT}`} /mnt/kp-nfs 2>&1`)
  console.log(`  kernel mount: ${m.stdout.trim().split('\n')[0]}`)
  // without nfs-common: mount's "unknown filesystem type"; with it: mount.nfs's "No such device"
  assert.match(m.stdout, /unknown filesystem type 'nfs'|mount\.nfs: No such device/)
})

test.run()
