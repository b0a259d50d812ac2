import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { unitPath } from '../../lib/modules/systemd-unit.ts'

test('unitPath: unit file and drop-in', () => {
  assert.is(unitPath({ name: 'kubelet.service' }), '/etc/systemd/system/kubelet.service')
  assert.is(unitPath({ name: 'kubelet.service', dropIn: '10-kubeadm' }), '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf')
  assert.is(unitPath({ name: 'kubelet.service', dropIn: '10-kubeadm.conf' }), '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf')
  assert.is(unitPath({ name: 'getty@tty1.service' }), '/etc/systemd/system/getty@tty1.service')
})

const bad: [string, { name: string; dropIn?: string }, RegExp][] = [
  ['no unit suffix', { name: 'kubelet' }, /name: expected a unit name like 'kubelet.service', found 'kubelet'/],
  ['path traversal in name', { name: '../x.service' }, /name: expected a unit name/],
  ['slash in drop-in', { name: 'a.service', dropIn: '../../etc/passwd' }, /dropIn: expected a file name stem/],
]
for (const [label, p, re] of bad) test(`unitPath refuses ${label}`, () => assert.throws(() => unitPath(p), re))

test.run()
