import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { dropImportLines, goBinaryName, ldflags, stagingModulesOf, wrapperGoMod, wrapperImports } from '../../lib/bundle/go-build.ts'
import { imageFileName, nginxTag } from '../../lib/bundle/build.ts'
import { parseDependsClosure } from '../../lib/bundle/debs.ts'
import { BUNDLE_SCHEMA, manifestProblems } from '../../lib/bundle/manifest.ts'
import { goComponents, imageRefs, kubeadmImageList, releasePins, RELEASES } from '../../lib/bundle/pins.ts'

test('releasePins: known releases; others name the known ones', () => {
  assert.is(releasePins('v1.31.4').pause, '3.10')
  assert.throws(() => releasePins('1.29.0'), /no bundle pins for Kubernetes 1\.29\.0: known releases are 1\.30\.14, 1\.31\.4/)
})

test('kubeadmImageList: the order `kubeadm config images list` prints', () => {
  assert.equal(kubeadmImageList(RELEASES['1.31.4']!), [
    'registry.k8s.io/kube-apiserver:v1.31.4', 'registry.k8s.io/kube-controller-manager:v1.31.4', 'registry.k8s.io/kube-scheduler:v1.31.4',
    'registry.k8s.io/kube-proxy:v1.31.4', 'registry.k8s.io/coredns/coredns:v1.11.3', 'registry.k8s.io/pause:3.10', 'registry.k8s.io/etcd:3.5.15-0',
  ])
  assert.is(imageRefs(RELEASES['1.31.4']!).flannelCni, 'ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3')
})

test('goComponents: version strings stamped into the k8s binaries; staging modules pinned to v0.MINOR.PATCH', () => {
  const c = goComponents(RELEASES['1.31.4']!, 'abc123', '1.22.9')
  assert.is(c.kubeadm!.stagingReplace, 'v0.31.4')
  assert.is(c.kubeadm!.goToolchain, '1.22.9')
  assert.is(c.kubernetes!.ldflagsX!['k8s.io/component-base/version.gitVersion'], 'v1.31.4')
  assert.is(c.kubernetes!.ldflagsX!['k8s.io/component-base/version.gitCommit'], 'abc123')
  assert.is(ldflags({ module: 'm', version: 'v1', packages: [], ldflagsX: { 'a.b': 'c' } }), '-s -w -X a.b=c')
  assert.is(ldflags({ module: 'm', version: 'v1', packages: [], cgo: true }), '-s -w -extldflags "-static"')
  assert.equal(c.etcd!.rename, { server: 'etcd' })
})

test('goComponents: the add-ons: metrics-server, and the monitoring stack numbered as its Go modules are', () => {
  const p = RELEASES['1.31.4']!
  const c = goComponents(p, 'x')
  assert.equal(c.metricsServer!.packages, ['sigs.k8s.io/metrics-server/cmd/metrics-server'])
  assert.is(c.prometheus!.version, 'v0.316.0', 'Prometheus 3.16.0 is v0.316.0 of its Go module')
  assert.is(c.prometheus!.ldflagsX!['github.com/prometheus/common/version.Version'], '3.16.0')
  assert.equal(Object.keys(c.alertmanager!.placeholders ?? {}).sort(), ['ui/app/dist/elm/index.html', 'ui/app/dist/mantine/index.html'], 'what its UI package embeds')
  assert.is(goBinaryName(c.nodeExporter!.packages[0]!), 'node_exporter')
  const refs = imageRefs(p)
  assert.equal([refs.metricsServer, refs.prometheus, refs.alertmanager, refs.nodeExporter], [
    'registry.k8s.io/metrics-server/metrics-server:v0.8.0', 'quay.io/prometheus/prometheus:v3.16.0',
    'quay.io/prometheus/alertmanager:v0.35.0', 'quay.io/prometheus/node-exporter:v1.12.1',
  ])
})

test('wrapper module: require + replace for the staging modules; imports of every main package', () => {
  const goMod = `module k8s.io/kubernetes\nreplace (\n\tk8s.io/api => ./staging/src/k8s.io/api\n\tk8s.io/client-go => ./staging/src/k8s.io/client-go\n\tfoo => bar v1\n)\n`
  const staging = stagingModulesOf(goMod)
  assert.equal(staging, ['k8s.io/api', 'k8s.io/client-go'])
  const c = goComponents(RELEASES['1.31.4']!, 'x').kubeadm!
  const w = wrapperGoMod('kubeadm', c, staging)
  assert.match(w, /^module kubeplay\.local\/bundle\/kubeadm\n/)
  assert.match(w, /require k8s\.io\/kubernetes v1\.31\.4/)
  assert.match(w, /\tk8s\.io\/client-go => k8s\.io\/client-go v0\.31\.4\n/)
  assert.match(wrapperImports(c), /_ "k8s\.io\/kubernetes\/cmd\/kubeadm"/)
})

test('goBinaryName: Go names a binary after the last element, skipping a major-version suffix', () => {
  assert.is(goBinaryName('go.etcd.io/etcd/server/v3'), 'server')
  assert.is(goBinaryName('k8s.io/kubernetes/cmd/kube-apiserver'), 'kube-apiserver')
  assert.is(goBinaryName('github.com/flannel-io/flannel'), 'flannel')
})

test('dropImportLines: removes exactly the named imports', () => {
  const src = 'import (\n\t_ "a/b/tencentvpc"\n\t_ "a/b/vxlan"\n\tx "a/b/tencentvpc/sub"\n)\n'
  assert.is(dropImportLines(src, ['a/b/tencentvpc']), 'import (\n\t_ "a/b/vxlan"\n\tx "a/b/tencentvpc/sub"\n)\n')
})

test('imageFileName and parseDependsClosure', () => {
  assert.is(imageFileName('registry.k8s.io/coredns/coredns:v1.11.3'), 'coredns_v1.11.3.tar')
  assert.is(nginxTag('1.22.1-9+deb12u11'), '1.22.1-9-deb12u11')
  assert.is(nginxTag('2:1.0~rc1'), '1.0-rc1')
  assert.equal(parseDependsClosure('iptables\n  Depends: libc6\n  Depends: <awk>\nlibc6\n<awk>\nlibc6\n'), ['iptables', 'libc6'])
})

test('manifestProblems: every problem of a bad bundle.json, none for a good one', () => {
  const file = { path: 'bin/kubeadm', kind: 'bin', sha256: 'a'.repeat(64), size: 1 }
  assert.equal(manifestProblems({ schema: BUNDLE_SCHEMA, kubernetes: '1.31.4', files: [file], images: [], components: {} }), [])
  assert.equal(manifestProblems({ schema: 1, kubernetes: 'x', files: [{ ...file, path: '../etc/passwd', sha256: 'z' }], images: [{ ref: 'r', path: 'images/r.tar', manifestDigest: '' }] }), [
    `schema: expected ${BUNDLE_SCHEMA}, found 1`,
    'kubernetes: expected a release like 1.31.4, found "x"',
    'files[0].path: expected a relative path, found "../etc/passwd"',
    'files[0].sha256: expected 64 hex digits, found "z"',
    'images: r names images/r.tar, which is not in files',
  ])
  assert.equal(manifestProblems(null), ['not a JSON object'])
})

test.run()
