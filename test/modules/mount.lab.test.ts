/** mount and swap on a lab host: fstab edits plus a real tmpfs mount (swap itself and NFS cannot run in the lab). */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { ModuleError } from '../../lib/errors.ts'
import { mount, type MountParams } from '../../lib/modules/mount.ts'
import { swap } from '../../lib/modules/swap.ts'
import { proveIdempotent } from '../helpers/module.ts'
import { labHost } from '../lab/connect.ts'
import { expectError } from './env.ts'

const MNT = '/mnt/kp tmp'
let conn: Connection
let fstab = ''
const out = async (cmd: ReturnType<typeof sh>) => (await conn.exec(cmd)).stdout.trim()
const tmpfs: MountParams = { path: MNT, src: 'kptmp', fstype: 'tmpfs', opts: 'size=16m,mode=0755', state: 'mounted' }

test.before(async () => {
  conn = (await labHost(0)).conn
  fstab = (await conn.readFile('/etc/fstab'))?.toString('utf8') ?? ''
})
test.after(async () => {
  await conn.exec(sh`umount ${MNT} 2>/dev/null; umount /mnt/kp-nfs 2>/dev/null; rmdir ${MNT} /mnt/kp-nfs 2>/dev/null`)
  await conn.writeFile('/etc/fstab', fstab)
  await conn.exec(sh`systemctl daemon-reload`)
  await conn.close()
})

test('mounted: fstab line (escaped space), mount point created, tmpfs mounted', async () => {
  await proveIdempotent(conn, mount, tmpfs, { paths: ['/etc/fstab'] })
  assert.match(await out(sh`cat /etc/fstab`), 'kptmp /mnt/kp\\040tmp tmpfs size=16m,mode=0755 0 0')
  assert.is(await out(sh`findmnt -n -o SOURCE,FSTYPE -M ${MNT}`), 'kptmp  tmpfs')
})

test('new options are written and remounted', async () => {
  const r = await runModule(conn, mount, { ...tmpfs, opts: 'size=32m,mode=0755' })
  assert.ok(r.plan.changed && r.plan.data.remount)
  assert.match(await out(sh`findmnt -n -o OPTIONS -M ${MNT}`), 'size=32768k')
  assert.is((await runModule(conn, mount, { ...tmpfs, opts: 'size=32m,mode=0755' })).plan.changed, false)
})

test('unmounted keeps the line; absent removes it', async () => {
  await proveIdempotent(conn, mount, { ...tmpfs, state: 'unmounted' })
  assert.is((await conn.exec(sh`findmnt -M ${MNT}`)).code, 1)
  assert.match(await out(sh`cat /etc/fstab`), 'kptmp')
  await proveIdempotent(conn, mount, { ...tmpfs, state: 'absent' }, { paths: ['/etc/fstab'] })
  assert.not.match(await out(sh`cat /etc/fstab`), 'kptmp')
})

test('an NFS mount the host cannot make fails naming source and type; the fstab line stays for a rerun', async () => {
  const nfs: MountParams = { path: '/mnt/kp-nfs', src: '10.250.0.5:/srv/nfs', fstype: 'nfs', opts: 'defaults,_netdev', state: 'mounted' }
  await expectError(runModule(conn, mount, nfs), ModuleError, /mounting 10\.250\.0\.5:\/srv\/nfs \(nfs\) on \/mnt\/kp-nfs failed \(exit \d+\): .+nfs-common/)
  assert.match(await out(sh`cat /etc/fstab`), '10.250.0.5:/srv/nfs /mnt/kp-nfs nfs defaults,_netdev 0 0')
  await runModule(conn, mount, { ...nfs, state: 'absent' })
})

test('swap absent comments out fstab swap entries; rerun makes no change', async () => {
  await conn.exec(sh`printf '%s\n' '/swap.img none swap sw 0 0' 'UUID=kp-x none swap sw,pri=1 0 0' >> /etc/fstab`)
  await proveIdempotent(conn, swap, { state: 'absent' }, { paths: ['/etc/fstab'] })
  const text = await out(sh`cat /etc/fstab`)
  assert.match(text, '# /swap.img none swap sw 0 0')
  assert.match(text, '# UUID=kp-x none swap sw,pri=1 0 0')
  assert.is(await out(sh`tail -n +2 /proc/swaps`), '')
})

test.run()
