import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { keyringPath, renderSource, sourcePath, aptRepository, type AptRepositoryParams } from '../../lib/modules/apt-repository.ts'
import { hostContext } from '../../lib/engine/adhoc.ts'
import { LocalConnection } from '../../lib/connection/local.ts'

const k8s: AptRepositoryParams = {
  name: 'kubernetes',
  uris: 'https://pkgs.k8s.io/core:/stable:/v1.31/deb/',
  suites: '/',
  signedBy: { url: 'https://pkgs.k8s.io/core:/stable:/v1.31/deb/Release.key', sha256: 'a'.repeat(64) },
}

test('renderSource: deb822 flat repository with a fetched key', () => {
  assert.is(renderSource(k8s), `# Managed by kubeplay: changes here are overwritten.
Types: deb
URIs: https://pkgs.k8s.io/core:/stable:/v1.31/deb/
Suites: /
Signed-By: /etc/apt/keyrings/kubernetes.asc
`)
})

test('renderSource: deb822 with components, architectures, a keyring path and trusted', () => {
  assert.is(renderSource({ name: 'docker', uris: ['http://a/debian', 'http://b/debian'], suites: ['bookworm', 'bookworm-updates'],
    components: ['main', 'contrib'], arch: ['amd64', 'arm64'], signedBy: { path: '/usr/share/keyrings/d.gpg' }, trusted: true }),
  `# Managed by kubeplay: changes here are overwritten.
Types: deb
URIs: http://a/debian http://b/debian
Suites: bookworm bookworm-updates
Components: main contrib
Architectures: amd64 arm64
Signed-By: /usr/share/keyrings/d.gpg
Trusted: yes
`)
})

test('renderSource: one-line format, one line per URI and suite', () => {
  assert.is(renderSource({ name: 'x', format: 'list', uris: ['http://a/d'], suites: ['s1', 's2'], components: ['main'], arch: 'amd64',
    signedBy: { url: 'https://k/key.gpg', sha256: 'b'.repeat(64) } }),
  `# Managed by kubeplay: changes here are overwritten.
deb [arch=amd64 signed-by=/etc/apt/keyrings/x.gpg] http://a/d s1 main
deb [arch=amd64 signed-by=/etc/apt/keyrings/x.gpg] http://a/d s2 main
`)
  assert.is(renderSource({ name: 'y', format: 'list', uris: 'file:/srv/repo', suites: './' }), '# Managed by kubeplay: changes here are overwritten.\ndeb file:/srv/repo ./\n')
})

test('paths: .sources or .list; key extension follows the URL', () => {
  assert.is(sourcePath({ name: 'k' }), '/etc/apt/sources.list.d/k.sources')
  assert.is(sourcePath({ name: 'k', format: 'list' }), '/etc/apt/sources.list.d/k.list')
  assert.is(keyringPath(k8s), '/etc/apt/keyrings/kubernetes.asc')
  assert.is(keyringPath({ name: 'k' }), null)
})

const ctx = hostContext(new LocalConnection(), { readOnly: true })
const invalid: [string, AptRepositoryParams, RegExp][] = [
  ['name with a slash', { ...k8s, name: '../x' }, /name: expected letters/],
  ['components on a flat suite', { ...k8s, components: ['main'] }, /components: expected none for the flat suite '\/'/],
  ['no components on a dist suite', { ...k8s, suites: 'bookworm' }, /components: expected at least one/],
  ['whitespace in a URI', { ...k8s, uris: 'http://a b' }, /no whitespace/],
  ['bad sha256', { ...k8s, signedBy: { url: 'https://k/key', sha256: 'xyz' } }, /sha256: expected 64 hex digits, found 'xyz'/],
]
for (const [label, p, re] of invalid) {
  test(`check refuses ${label} before touching the host`, async () => {
    try { await aptRepository.check(ctx, p); assert.unreachable() } catch (e) { assert.match((e as Error).message, re) }
  })
}

test.run()
