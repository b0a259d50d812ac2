/** containerd role, pure parts: version arithmetic, pause image, golden config.toml for 1.6, 1.7 and 2.0, hosts.toml, crictl.yaml. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ModuleError } from '../../lib/errors.ts'
import { validate } from '../../lib/schema/validate.ts'
import { containerd, containerdDefaults, containerdVarsSchema } from '../../roles/containerd/index.ts'
import { planRegistryHosts } from '../../roles/containerd/modules.ts'
import {
  configVersion, packageName, parseCtrVersion, pauseImageFor, renderConfig, renderCrictlYaml, renderHostsToml, upstreamVersion, versionToConfigure,
} from '../../roles/containerd/render.ts'

const VARS = { sandboxImage: 'registry.k8s.io/pause:3.10', systemdCgroup: true, certsDir: '/etc/containerd/certs.d', extraToml: '' }

const V2 = (series: string) => `# Managed by kubeplay (role containerd): changes here are overwritten.
# containerd ${series}: config version 2. Keys not set here keep containerd's defaults.
version = 2

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"

[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = true

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"
`

const V3 = `# Managed by kubeplay (role containerd): changes here are overwritten.
# containerd 2.0: config version 3. Keys not set here keep containerd's defaults.
version = 3

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = 'registry.k8s.io/pause:3.10'

[plugins.'io.containerd.cri.v1.images'.registry]
  config_path = '/etc/containerd/certs.d'

[plugins.'io.containerd.cri.v1.runtime'.containerd]
  default_runtime_name = 'runc'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = 'io.containerd.runc.v2'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  SystemdCgroup = true
`

for (const [deb, up, cfg] of [
  ['1.6.20~ds1-1+b1', '1.6.20', 2], ['1.7.12-0ubuntu4', '1.7.12', 2], ['1:1.7.27-1', '1.7.27', 2], ['1.7.27-1', '1.7.27', 2],
  ['2.0.5-1', '2.0.5', 3], ['2.1.0~rc.1-1', '2.1.0', 3], ['2.2.1-0ubuntu1~24.04.4', '2.2.1', 3],
] as const) {
  test(`Debian version ${deb} is containerd ${up}: config version ${cfg}`, () => {
    assert.is(upstreamVersion(deb).version, up)
    assert.is(configVersion(upstreamVersion(deb)), cfg)
  })
}

test('a version that is not one is an error naming it', () => {
  assert.throws(() => upstreamVersion('latest'), (e: Error) => e instanceof ModuleError && /found 'latest'/.test(e.message))
})

for (const [k8s, tag] of [['1.29', '3.9'], ['1.30.14', '3.9'], ['v1.31.4', '3.10'], ['1.33', '3.10'], ['1.34', '3.10.1'], ['1.26', '3.9'], ['1.25', '3.8']] as const) {
  test(`Kubernetes ${k8s} → pause:${tag}`, () => assert.is(pauseImageFor(k8s), `registry.k8s.io/pause:${tag}`))
}

test('pause image from a mirror registry; too old a Kubernetes is refused', () => {
  assert.is(pauseImageFor('1.31', 'registry.lan:5000/k8s'), 'registry.lan:5000/k8s/pause:3.10')
  assert.throws(() => pauseImageFor('1.23'), /expected 1\.24 or later/)
})

test('golden config.toml for containerd 1.6 (Debian 12): version 2, grpc.v1.cri', () => {
  assert.fixture(renderConfig('1.6.20~ds1-1+b1', VARS), V2('1.6'))
})

test('golden config.toml for containerd 1.7 (Docker, seed 001): version 2, grpc.v1.cri', () => {
  assert.fixture(renderConfig('1.7.27-1', VARS), V2('1.7'))
})

test('golden config.toml for containerd 2.0: version 3, cri.v1.images / cri.v1.runtime', () => {
  assert.fixture(renderConfig('2.0.5-1', VARS), V3)
})

test('extraToml is appended after one blank line; SystemdCgroup false renders false', () => {
  const out = renderConfig('1.7.27-1', { ...VARS, systemdCgroup: false, extraToml: '\n[plugins."io.containerd.grpc.v1.cri".cni]\n  bin_dir = "/opt/cni/bin"\n' })
  assert.ok(out.endsWith('  config_path = "/etc/containerd/certs.d"\n\n[plugins."io.containerd.grpc.v1.cri".cni]\n  bin_dir = "/opt/cni/bin"\n'), out)
  assert.match(out, '  SystemdCgroup = false\n')
})

test('golden hosts.toml: docker.io goes to registry-1.docker.io after the mirrors', () => {
  assert.fixture(renderHostsToml('docker.io', ['https://mirror.lan', 'http://10.0.0.5:5000']), `# Managed by kubeplay (role containerd): changes here are overwritten.
# Pulls from docker.io try these mirrors in order, then the registry itself.
server = "https://registry-1.docker.io"

[host."https://mirror.lan"]
  capabilities = ["pull", "resolve"]

[host."http://10.0.0.5:5000"]
  capabilities = ["pull", "resolve"]
`)
  assert.match(renderHostsToml('10.0.0.5:5000', ['https://m.lan']), 'server = "https://10.0.0.5:5000"\n')
  assert.not.match(renderHostsToml('_default', ['https://m.lan']), 'server =')
})

test('hosts.toml refuses registries and mirrors that would break the TOML', () => {
  assert.throws(() => renderHostsToml('docker.io/library', ['https://m']), /expected a registry host like 'docker\.io'.*found 'docker\.io\/library'/)
  assert.throws(() => renderHostsToml('docker.io', ['mirror.lan']), /registryMirrors\.docker\.io: expected http\(s\):\/\/ URLs, found 'mirror\.lan'/)
  assert.throws(() => renderHostsToml('docker.io', ['https://m"]\n[x']), /expected http\(s\):\/\/ URLs/)
})

test('golden crictl.yaml', () => {
  assert.fixture(renderCrictlYaml('/run/containerd/containerd.sock'), `# Managed by kubeplay (role containerd): changes here are overwritten.
runtime-endpoint: unix:///run/containerd/containerd.sock
image-endpoint: unix:///run/containerd/containerd.sock
timeout: 10
debug: false
`)
})

test('ctr version: the server version, or null when the daemon does not answer', () => {
  const up = 'Client:\n  Version:  1.6.20~ds1\n  Revision: 1.6.20~ds1-1+b1\n  Go version: go1.19.8\n\nServer:\n  Version:  1.6.20~ds1\n  Revision: 1.6.20~ds1-1+b1\n  UUID: 0b1c\n'
  assert.is(parseCtrVersion(up), '1.6.20~ds1')
  assert.is(parseCtrVersion('Client:\n  Version:  1.6.20~ds1\n'), null)
})

test('the version configured: installed, else pinned, else apt candidate', () => {
  assert.is(versionToConfigure('1.6.20~ds1-1', '1.7.27-1', '1.7.28-1'), '1.6.20~ds1-1')
  assert.is(versionToConfigure(undefined, '1.7.27-1', '1.7.28-1'), '1.7.27-1')
  assert.is(versionToConfigure(undefined, undefined, '1.7.28-1'), '1.7.28-1')
  assert.is(versionToConfigure(undefined, undefined, undefined), null)
  assert.is(packageName('docker'), 'containerd.io')
  assert.is(packageName('distro'), 'containerd')
})

test('registry hosts: writes what differs, removes managed files of dropped registries', () => {
  const dir = '/etc/containerd/certs.d'
  const plan = planRegistryHosts({ dir, files: { 'docker.io': 'A', 'quay.io': 'B' } },
    new Map([[`${dir}/docker.io/hosts.toml`, 'A'], [`${dir}/quay.io/hosts.toml`, null]]),
    [`${dir}/docker.io/hosts.toml`, `${dir}/ghcr.io/hosts.toml`])
  assert.equal(plan.writes, [{ path: `${dir}/quay.io/hosts.toml`, before: null, after: 'B' }])
  assert.equal(plan.removes, [`${dir}/ghcr.io/hosts.toml`])
})

test('vars schema: typos and bad values are caught at inventory load', () => {
  const r = validate(containerdVarsSchema, { sorce: 'docker', dockerKeySha256: 'abc', registryMirrors: { 'docker.io': ['ftp://x'] } }, 'group_vars/all.yml', { key: 'containerd' })
  assert.equal(r.errors.map((e) => e.message.replace(/^group_vars\/all\.yml: /, '')).sort(), [
    'containerd.dockerKeySha256: expected a sha256 of 64 hex digits, found "abc"',
    'containerd.registryMirrors["docker.io"][0]: expected an http(s):// mirror URL, found "ftp://x"',
    "containerd.sorce: expected a known key (did you mean 'source'?), found an unknown key",
  ].sort())
  assert.equal(validate(containerdVarsSchema, containerdDefaults, 'x').errors, [])
})

test('role shape: name, vars key, a restart handler flushed before the final check, tags per step', () => {
  const r = containerd()
  assert.is(r.name, 'containerd')
  assert.is(r.vars?.key, 'containerd')
  const titles = r.items.map((i) => (i.kind === 'role' ? i.name : i.title))
  assert.equal(titles.slice(-2), ['Flush handlers', 'Check that containerd answers'])
  const cfg = r.items.find((i) => i.kind === 'task' && i.title === 'Write containerd config.toml')
  assert.ok(cfg?.kind === 'task' && cfg.notify?.[0]?.title === 'Restart containerd')
  assert.ok(cfg?.kind === 'task' && cfg.tags?.includes('containerd-config'))
})

test.run()
