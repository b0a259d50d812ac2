import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { FINISH_PHASES, missingProducts, redactKubeadm } from '../../roles/kubernetes/init.ts'

test('missingProducts: the late init products kubectl did not list', () => {
  assert.equal(missingProducts('configmap/cluster-info\ndaemonset.apps/kube-proxy\ndeployment.apps/coredns\n'), [])
  assert.equal(missingProducts('configmap/cluster-info\n'), ['daemonset.apps/kube-proxy', 'deployment.apps/coredns'])
  assert.equal(missingProducts(''), ['configmap/cluster-info', 'daemonset.apps/kube-proxy', 'deployment.apps/coredns'])
})

test('redactKubeadm: bootstrap tokens and certificate keys never leave the host', () => {
  const out = '[bootstrap-token] Using token: abcdef.0123456789abcdef\n[upload-certs] Using certificate key:\n' + 'e'.repeat(64) + '\n'
  assert.is(redactKubeadm(out), '[bootstrap-token] Using token: ***\n[upload-certs] Using certificate key:\n***\n')
})

test('FINISH_PHASES: the phases after wait-control-plane, in kubeadm init order', () => {
  assert.equal(FINISH_PHASES.map((p) => p.split(' ')[0]), ['upload-config', 'upload-certs', 'mark-control-plane', 'bootstrap-token', 'kubelet-finalize', 'addon'])
})

test.run()
