/** Pinned manifests: digests match the reference copies, Flannel's Network rewrite, fetch/apply tasks. */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { defaultBundleDir } from '../../lib/bundle/manifest.ts'
import { imageRefs, releasePins } from '../../lib/bundle/pins.ts'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hostContext } from '../../lib/engine/adhoc.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { reference, withReference } from '../helpers/reference.ts'
import { applyManifest, fetchManifest, FLANNEL, flannelManifest, flannelNetwork, flannelTasks, INGRESS_NGINX_BAREMETAL, manifestPath, METALLB_NATIVE, pinned } from '../../lib/k8s/manifests.ts'

const ref = reference
const sha = (t: string): string => createHash('sha256').update(t).digest('hex')

withReference(test, 'the Flannel pin is the sha256 of the reference copy of that file', () => {
  assert.is(FLANNEL.sha256, sha(ref('flannel/kube-flannel-v0.28.9.yml')))
  assert.match(FLANNEL.url, '/v0.28.9/Documentation/kube-flannel.yml')
})

test('the MetalLB pin is the bundle builder\'s (which checks it against the Go module\'s file at every build), and that file runs the pinned images', () => {
  const pins = releasePins('1.31.4')
  assert.is(METALLB_NATIVE.sha256, pins.metallb.manifestSha256)
  assert.is(METALLB_NATIVE.version, `v${pins.metallb.version}`)
  assert.match(METALLB_NATIVE.url, `/v${pins.metallb.version}/config/manifests/metallb-native.yaml`)
  const built = join(defaultBundleDir('1.31.4'), 'manifests/metallb-native.yaml')
  if (!existsSync(built)) { console.log(`  skipped the file check: no bundle at ${built} (npm run bundle -- --kubernetes 1.31.4)`); return }
  const text = readFileSync(built, 'utf8')
  assert.is(sha(text), METALLB_NATIVE.sha256)
  for (const ref of [imageRefs(pins).metallbController, imageRefs(pins).metallbSpeaker]) assert.match(text, `image: ${ref}`)
})

test('manifests are kept under /etc/kubeplay/manifests/<name>-<version>.yaml', () => {
  assert.is(manifestPath(METALLB_NATIVE), '/etc/kubeplay/manifests/metallb-native-v0.15.2.yaml')
  assert.is(manifestPath(FLANNEL), '/etc/kubeplay/manifests/kube-flannel-v0.28.9.yaml')
})

test('no shipped digest (ingress-nginx): the user must give one; the message says how', () => {
  assert.is(INGRESS_NGINX_BAREMETAL.sha256, null)
  assert.throws(() => pinned(INGRESS_NGINX_BAREMETAL, undefined, 'ingressNginx.manifestSha256'), (e: Error) =>
    e.message === `vars: ingressNginx.manifestSha256: expected the sha256 of ${INGRESS_NGINX_BAREMETAL.url} (64 hex digits; kubeplay ships none for ingress-nginx-baremetal controller-v1.12.1: verify the file and run sha256sum on it), found nothing`)
  assert.is(pinned(INGRESS_NGINX_BAREMETAL, 'C'.repeat(64), 'k').sha256, 'c'.repeat(64))
  assert.throws(() => pinned(METALLB_NATIVE, 'nothex', 'metallb.manifestSha256'), /found "nothex"/)
})

withReference(test, 'Flannel: Network becomes the pod subnet; nothing else in the upstream text changes', () => {
  const up = ref('flannel/kube-flannel-v0.28.9.yml')
  assert.is(flannelNetwork(up), '10.244.0.0/16')
  const out = flannelManifest(up, '10.10.0.0/16')
  assert.is(flannelNetwork(out), '10.10.0.0/16')
  const a = up.split('\n')
  const b = out.split('\n')
  assert.is(a.length, b.length)
  const changed = a.map((l, i) => [l, b[i]]).filter(([x, y]) => x !== y)
  assert.equal(changed, [['      "Network": "10.244.0.0/16",', '      "Network": "10.10.0.0/16",']])
  assert.is(flannelManifest(up, '10.244.0.0/16'), up, 'the default subnet leaves the file byte-identical')
})

withReference(test, 'Flannel: a bad subnet or a manifest without a Network is refused with the key and value', () => {
  const up = ref('flannel/kube-flannel-v0.28.9.yml')
  const cases: Array<[string, string, string]> = [
    [up, '10.244.0.1/16', 'kubernetes: podSubnet: expected an IPv4 CIDR with no host bits set (10.244.0.0/16), found "10.244.0.1/16"'],
    [up, 'fd00::/64', 'kubernetes: podSubnet: expected an IPv4 CIDR with no host bits set (10.244.0.0/16), found "fd00::/64"'],
    [up.replace('"Network"', '"Netwerk"'), '10.10.0.0/16', 'kube-flannel.yml: net-conf.json: expected exactly one "Network" setting, found 0'],
  ]
  for (const [text, subnet, msg] of cases) assert.throws(() => flannelManifest(text, subnet), (e: Error) => e.message === msg, msg)
})

const conn = (files: Record<string, string> = {}): Connection => ({
  host: 'm1',
  exec: async () => ({ code: 0, stdout: '', stderr: '', stdoutBytes: Buffer.alloc(0) }),
  readFile: async (p) => (p in files ? Buffer.from(files[p]!) : null),
  writeFile: async () => undefined,
  close: async () => undefined,
})

test('fetch task: download module params from the descriptor; a mirror URL keeps the pinned digest', async () => {
  const h = hostContext(conn())
  const t = fetchManifest(METALLB_NATIVE)
  assert.is(t.title, 'Fetch metallb-native v0.15.2')
  const p = typeof t.params === 'function' ? await t.params(h) : t.params
  assert.equal(p, { url: METALLB_NATIVE.url, sha256: METALLB_NATIVE.sha256, dest: '/etc/kubeplay/manifests/metallb-native-v0.15.2.yaml', mode: '0644' })
  const m = fetchManifest(METALLB_NATIVE, { url: 'file:///srv/metallb.yaml' })
  const pm = typeof m.params === 'function' ? await m.params(h) : m.params
  assert.is(pm.url, 'file:///srv/metallb.yaml')
  assert.is(pm.sha256, METALLB_NATIVE.sha256)
})

withReference(test, 'Flannel tasks: the applied text is the fetched file with the pod subnet; before the fetch, the path', async () => {
  const up = ref('flannel/kube-flannel-v0.28.9.yml')
  const [fetch, apply] = flannelTasks(() => '10.32.0.0/12')
  assert.is(fetch.title, 'Fetch kube-flannel v0.28.9')
  const fetched = hostContext(conn({ [manifestPath(FLANNEL)]: up }))
  const p = typeof apply.params === 'function' ? await apply.params(fetched) : apply.params
  assert.is(typeof p.manifest, 'string')
  assert.is(flannelNetwork(p.manifest as string), '10.32.0.0/12')
  const before = typeof apply.params === 'function' ? await apply.params(hostContext(conn())) : apply.params
  assert.equal(before.manifest, { path: '/etc/kubeplay/manifests/kube-flannel-v0.28.9.yaml' })
  const plain = applyManifest(METALLB_NATIVE)
  const pp = typeof plain.params === 'function' ? await plain.params(fetched) : plain.params
  assert.equal(pp.manifest, { path: '/etc/kubeplay/manifests/metallb-native-v0.15.2.yaml' })
})

test.run()
