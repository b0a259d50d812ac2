/** The node facts' parsing: apiserver manifest → version, `kubelet --version`, hostname → node name, `command -v`. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { commandPath, controlPlaneVersionFact, kubeletVersionFact, nodeNameFact } from '../../lib/k8s/node-facts.ts'

const r = (stdout: string, code = 0) => ({ stdout, stderr: '', code, stdoutBytes: Buffer.from(stdout) })

test('control plane version from the kube-apiserver image tag; none without a manifest', () => {
  assert.equal(controlPlaneVersionFact.parse(r('    image: registry.k8s.io/kube-apiserver:v1.30.14\n'), undefined), { major: 1, minor: 30, patch: 14 })
  assert.is(controlPlaneVersionFact.parse(r(''), undefined), null)
})

test('kubelet version; null when the probe failed (no kubelet)', () => {
  assert.equal(kubeletVersionFact.parse(r('Kubernetes v1.31.4\n'), undefined), { major: 1, minor: 31, patch: 4 })
  assert.is(kubeletVersionFact.parse(r('', 1), undefined), null)
})

test('node name is the hostname lower-cased; a command path or null', () => {
  assert.is(nodeNameFact.parse(r('Lab5\n'), undefined), 'lab5')
  assert.is(commandPath.parse(r('/usr/bin/etcdctl\n'), 'etcdctl'), '/usr/bin/etcdctl')
  assert.is(commandPath.parse(r(''), 'etcdctl'), null)
})

test.run()
