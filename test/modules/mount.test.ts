import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { editFstab, fstabEscape, fstabFields, fstabLine, planMount, type MountParams } from '../../lib/modules/mount.ts'

const nfs: MountParams = { path: '/mnt/nfs', src: '10.0.0.5:/srv/nfs', fstype: 'nfs', opts: 'defaults,_netdev', state: 'mounted' }
const NFS_LINE = '10.0.0.5:/srv/nfs /mnt/nfs nfs defaults,_netdev 0 0'
const base = '# <file system> <mount point> <type> <options> <dump> <pass>\nUUID=abc / ext4 errors=remount-ro 0 1\n'

test('fstabLine: NFS entry', () => assert.is(fstabLine(nfs), NFS_LINE))

const edits: [string, string, string, string | null, string][] = [
  ['append to fstab', base, '/mnt/nfs', NFS_LINE, `${base}${NFS_LINE}\n`],
  ['replace the line for the mount point in place', `${base}10.0.0.9:/old /mnt/nfs nfs4 ro 0 0\ntmpfs /tmp tmpfs defaults 0 0\n`, '/mnt/nfs', NFS_LINE,
    `${base}${NFS_LINE}\ntmpfs /tmp tmpfs defaults 0 0\n`],
  ['duplicates for the mount point dropped', `${base}a /mnt/nfs nfs ro 0 0\nb /mnt/nfs nfs ro 0 0\n`, '/mnt/nfs', NFS_LINE, `${base}${NFS_LINE}\n`],
  ['a commented entry is left alone', `${base}# a /mnt/nfs nfs ro 0 0\n`, '/mnt/nfs', NFS_LINE, `${base}# a /mnt/nfs nfs ro 0 0\n${NFS_LINE}\n`],
  ['another mount point with the same prefix is distinct', `${base}x /mnt/nfs2 nfs ro 0 0\n`, '/mnt/nfs', NFS_LINE, `${base}x /mnt/nfs2 nfs ro 0 0\n${NFS_LINE}\n`],
  ['remove', `${base}${NFS_LINE}\n`, '/mnt/nfs', null, base],
  ['escaped mount point matches', `${base}x /mnt/my\\040share nfs ro 0 0\n`, '/mnt/my share', null, base],
  ['empty fstab', '', '/mnt/nfs', NFS_LINE, `${NFS_LINE}\n`],
]
for (const [label, text, path, line, want] of edits) test(`editFstab: ${label}`, () => assert.is(editFstab(text, path, line), want))

test('fstabEscape: spaces, tabs and backslashes round-trip through fstabFields', () => {
  const p = { path: '/mnt/a b\tc\\d', src: 'srv:/x y', fstype: 'nfs', state: 'present' as const }
  assert.is(fstabEscape('/a b'), '/a\\040b')
  assert.equal(fstabFields(fstabLine(p))?.slice(0, 2), ['srv:/x y', '/mnt/a b\tc\\d'])
})

const plans: [string, MountParams, string | null, boolean, boolean, object | null][] = [
  ['mounted from nothing: fstab, mkdir, mount', nfs, base, false, false,
    { fstab: { path: '/etc/fstab', before: base, after: `${base}${NFS_LINE}\n` }, mkdir: true, mount: true, remount: false, unmount: false }],
  ['mounted and in fstab → nothing', nfs, `${base}${NFS_LINE}\n`, true, true, null],
  ['options changed while mounted → remount', nfs, `${base}10.0.0.5:/srv/nfs /mnt/nfs nfs ro 0 0\n`, true, true,
    { fstab: { path: '/etc/fstab', before: `${base}10.0.0.5:/srv/nfs /mnt/nfs nfs ro 0 0\n`, after: `${base}${NFS_LINE}\n` }, mkdir: false, mount: false, remount: true, unmount: false }],
  ['present: fstab only, never mounts', { ...nfs, state: 'present' }, base, false, false,
    { fstab: { path: '/etc/fstab', before: base, after: `${base}${NFS_LINE}\n` }, mkdir: false, mount: false, remount: false, unmount: false }],
  ['unmounted: unmount, fstab kept', { ...nfs, state: 'unmounted' }, `${base}${NFS_LINE}\n`, true, true,
    { fstab: null, mkdir: false, mount: false, remount: false, unmount: true }],
  ['absent: unmount and remove the line', { ...nfs, state: 'absent' }, `${base}${NFS_LINE}\n`, true, true,
    { fstab: { path: '/etc/fstab', before: `${base}${NFS_LINE}\n`, after: base }, mkdir: false, mount: false, remount: false, unmount: true }],
  ['absent already → nothing', { ...nfs, state: 'absent' }, base, false, true, null],
]
for (const [label, p, fstab, mounted, dir, want] of plans) test(`planMount: ${label}`, () => assert.equal(planMount(p, fstab, mounted, dir), want))

test.run()
