/** Pure and script parts of the control-plane helpers: etcd manifest flags, the health probe's lines, static pods stopped and started on a scratch root. */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseEtcdManifest } from '../../roles/kubernetes/etcd.ts'
import { parseControlPlaneProbe, startStaticPods, stopStaticPods } from '../../roles/kubernetes/health.ts'
import { restartStaticPods } from '../../playbooks/renew-certs.ts'

const ETCD_YAML = `apiVersion: v1
kind: Pod
spec:
  containers:
  - command:
    - etcd
    - --advertise-client-urls=https://10.0.0.3:2379
    - --initial-advertise-peer-urls=https://10.0.0.3:2380
    - --initial-cluster=lab2=https://10.0.0.2:2380,lab3=https://10.0.0.3:2380
    - --name=lab3
`

test('parseEtcdManifest: the member name and peer URL kubeadm wrote', () => {
  assert.equal(parseEtcdManifest(ETCD_YAML), { name: 'lab3', peerUrl: 'https://10.0.0.3:2380' })
  assert.is(parseEtcdManifest(ETCD_YAML.replace('    - --name=lab3\n', '')), null)
})

test('parseControlPlaneProbe: healthy only when both answer ok', () => {
  assert.equal(parseControlPlaneProbe('etcd ok\napi ok\n'), { etcd: 'ok', api: 'ok', healthy: true })
  assert.equal(parseControlPlaneProbe('etcd down: no running etcd container\napi ok\n').healthy, false)
  assert.equal(parseControlPlaneProbe(''), { etcd: 'down: no answer', api: 'down: no answer', healthy: false })
})

test('stopStaticPods / startStaticPods / restartStaticPods: manifests aside and back, leftovers of an interrupted run put back first', () => {
  const root = mkdtempSync(join(tmpdir(), 'kp-sp-'))
  try {
    const run = (cmd: { text: string }): void => { execFileSync('sh', ['-c', cmd.text.replaceAll('/etc/kubernetes', `${root}/etc/kubernetes`)], { env: { PATH: '/usr/bin:/bin' } }) }
    const manifests = join(root, 'etc/kubernetes/manifests')
    const aside = '/etc/kubernetes/manifests.test-aside'
    mkdirSync(manifests, { recursive: true })
    for (const c of ['etcd', 'kube-apiserver']) writeFileSync(join(manifests, `${c}.yaml`), c)
    run(stopStaticPods(aside, 5))
    assert.equal(readdirSync(manifests), [])
    assert.equal(readdirSync(join(root, aside)).sort(), ['etcd.yaml', 'kube-apiserver.yaml'])
    run(stopStaticPods(aside, 5))
    assert.equal(readdirSync(join(root, aside)).sort(), ['etcd.yaml', 'kube-apiserver.yaml'], 'stopping twice keeps them aside')
    run(startStaticPods(aside))
    assert.equal(readdirSync(manifests).sort(), ['etcd.yaml', 'kube-apiserver.yaml'])
    assert.not.ok(existsSync(join(root, aside)))
    run(startStaticPods(aside))
    // An interrupted renew left one manifest aside: the restart puts it back and ends with all of them in place.
    mkdirSync(join(root, 'etc/kubernetes/manifests.kubeplay-restart'))
    execFileSync('mv', [join(manifests, 'etcd.yaml'), join(root, 'etc/kubernetes/manifests.kubeplay-restart/')])
    run(restartStaticPods(5))
    assert.equal(readdirSync(manifests).sort(), ['etcd.yaml', 'kube-apiserver.yaml'])
    assert.not.ok(existsSync(join(root, 'etc/kubernetes/manifests.kubeplay-restart')))
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test.run()
