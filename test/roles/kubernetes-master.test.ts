import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mask, reveal } from '../../lib/secret.ts'
import { ConfigErrors } from '../../lib/errors.ts'
import { validateKubeadmConfig } from '../../lib/k8s/kubeadm-config.ts'
import { joinArgv, parseCertificateKey, parseJoinCommand } from '../../lib/k8s/kubeadm-join.ts'
import { kubeadmJoinDocument, renderKubeadmConfig, type KubeadmClusterModel } from '../../lib/k8s/kubeadm-render.ts'
import { kubeadmApiVersion, packageVersion, parseKubeVersion, repoMinor, upgradeStep } from '../../lib/k8s/kubeadm-version.ts'
import { stringify } from 'yaml'
import { validate } from '../../lib/schema/validate.ts'
import { kubernetesVarsSchema } from '../../roles/kubernetes/settings.ts'
import { clusterModel, kubernetesDefaults, kubernetesPreflight, mergeKubernetesSettings } from '../../roles/kubernetes/settings.ts'
import { kubernetesRepository, kubernetesToolsCheck } from '../../roles/kubernetes/packages.ts'
import { LocalConnection } from '../../lib/connection/local.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { kubeadmConfigFor, kubernetesMaster } from '../../roles/kubernetes-master/index.ts'
import { kubernetesWorker } from '../../roles/kubernetes-worker/index.ts'
import { flatten, play } from '../../lib/engine/task.ts'
import { stubInventory } from '../helpers/stub.ts'
import type { Inventory } from '../../lib/inventory/types.ts'

const v = (s: string) => parseKubeVersion(s)!
const model = (version: string): KubeadmClusterModel => ({
  version: v(version), controlPlaneEndpoint: '10.110.190.21:6443', podSubnet: '10.244.0.0/16', serviceSubnet: '10.96.0.0/16',
  criSocket: 'unix:///run/containerd/containerd.sock', advertiseAddress: '10.110.190.22', apiServerExtraArgs: { 'audit-log-maxage': '30' },
})
const golden = (f: string) => readFileSync(new URL(`./golden/${f}`, import.meta.url), 'utf8')

/** Seed 001: haproxy .21, masters .22-.24, workers .25-.27. */
function seed001(): Inventory {
  const inv = stubInventory({ haproxy: ['lb'], masters: ['m1', 'm2', 'm3'], workers: ['w1', 'w2', 'w3'] })
  const addr: Record<string, string> = { lb: '10.110.190.21', m1: '10.110.190.22', m2: '10.110.190.23', m3: '10.110.190.24', w1: '10.110.190.25', w2: '10.110.190.26', w3: '10.110.190.27' }
  const hosts = new Map([...inv.hosts].map(([n, h]) => [n, { ...h, connection: { ...h.connection, address: addr[n]! } }]))
  return { ...inv, hosts }
}
const pre = { packageSource: 'preinstalled' as const }

test('kubeadm API version: v1beta3 before 1.31, v1beta4 from 1.31', () => {
  for (const [ver, api] of [['1.24.0', 'v1beta3'], ['1.30.14', 'v1beta3'], ['1.31.0', 'v1beta4'], ['1.31.4', 'v1beta4'], ['1.33.1', 'v1beta4']] as const) {
    assert.is(kubeadmApiVersion(v(ver)), `kubeadm.k8s.io/${api}`, ver)
  }
})

test('golden: rendered config per API version (1.30.14 → v1beta3 map extraArgs, 1.31.4 → v1beta4 list)', () => {
  assert.fixture(renderKubeadmConfig(model('1.30.14')), golden('kubeadm-config-v1.30.14.yaml'))
  assert.fixture(renderKubeadmConfig(model('1.31.4')), golden('kubeadm-config-v1.31.4.yaml'))
})

test('golden files parse back valid against the typed definitions', () => {
  assert.equal(validateKubeadmConfig(golden('kubeadm-config-v1.30.14.yaml')), [])
  assert.equal(validateKubeadmConfig(golden('kubeadm-config-v1.31.4.yaml')), [])
})

test('validator: v1beta3-style map extraArgs in a v1beta4 file, unknown keys, bad cgroupDriver, mixed versions', () => {
  const v4map = golden('kubeadm-config-v1.31.4.yaml').replace('    - name: audit-log-maxage\n      value: "30"', '    audit-log-maxage: "30"')
  assert.match(validateKubeadmConfig(v4map).join('\n'), /ClusterConfiguration\.apiServer\.extraArgs: expected a list of \{name, value\} \(v1beta4 changed extraArgs/)
  const v3list = golden('kubeadm-config-v1.30.14.yaml').replace('    audit-log-maxage: "30"', '    - name: x\n      value: "1"')
  assert.match(validateKubeadmConfig(v3list).join('\n'), /extraArgs: expected a map of flag name to string value \(v1beta3\)/)
  assert.match(validateKubeadmConfig(golden('kubeadm-config-v1.31.4.yaml').replace('clusterName:', 'clusterNmae:')).join('\n'), /clusterNmae: unknown field/)
  assert.match(validateKubeadmConfig(golden('kubeadm-config-v1.31.4.yaml').replace('cgroupDriver: systemd', 'cgroupDriver: system')).join('\n'), /cgroupDriver: expected one of "systemd", "cgroupfs"/)
  const mixed = golden('kubeadm-config-v1.31.4.yaml').replace('apiVersion: kubeadm.k8s.io/v1beta4\nkind: Init', 'apiVersion: kubeadm.k8s.io/v1beta3\nkind: Init')
  assert.match(validateKubeadmConfig(mixed).join('\n'), /one kubeadm API version in the file/)
  assert.match(validateKubeadmConfig(golden('kubeadm-config-v1.30.14.yaml').replace('kind: InitConfiguration', 'kind: InitConfiguration\ntimeouts:\n  discovery: 5m0s')).join('\n'), /timeouts: unknown field for kubeadm\.k8s\.io\/v1beta3/)
})

test('JoinConfiguration per version validates (timeouts only in v1beta4)', () => {
  for (const ver of ['1.30.14', '1.31.4']) {
    const doc = kubeadmJoinDocument(model(ver), { token: 'abcdef.0123456789abcdef', caCertHashes: [`sha256:${'a'.repeat(64)}`], controlPlane: { certificateKey: 'b'.repeat(64) } })
    assert.equal(validateKubeadmConfig(stringify(doc)), [], ver)
  }
})

test('versions: package pin, repository minor, one minor at a time', () => {
  assert.is(packageVersion(v('1.31.4')), '1.31.4-1.1')
  assert.is(repoMinor(v('1.31.4')), 'v1.31')
  assert.is(upgradeStep(v('1.31.4'), v('1.32.0')).kind, 'minor')
  assert.is(upgradeStep(v('1.31.4'), v('1.31.5')).kind, 'patch')
  assert.is(upgradeStep(v('1.31.4'), v('1.31.4')).kind, 'none')
  assert.throws(() => upgradeStep(v('1.31.4'), v('1.33.0')), /one minor at a time from v1\.31\.4: 1\.32\.x next/)
  assert.throws(() => upgradeStep(v('1.32.0'), v('1.31.4')), /cannot downgrade/)
})

test('pkgs.k8s.io repository for the minor, mirror, preinstalled; the offline bundle is the default', () => {
  assert.is(kubernetesDefaults.packageSource, 'artifacts')
  const s = mergeKubernetesSettings({ packageSource: 'pkgs.k8s.io', repoKeySha256: 'c'.repeat(64) }, {})
  assert.equal(kubernetesRepository(s, v('1.31.4')), { uri: 'https://pkgs.k8s.io/core:/stable:/v1.31/deb/', key: { url: 'https://pkgs.k8s.io/core:/stable:/v1.31/deb/Release.key', sha256: 'c'.repeat(64) } })
  const m = mergeKubernetesSettings({ packageSource: { mirror: 'http://mirror.lan/k8s', keySha256: 'd'.repeat(64) } }, {})
  assert.is(kubernetesRepository(m, v('1.31.4'))!.key.url, 'http://mirror.lan/k8s/Release.key')
  assert.is(kubernetesRepository(mergeKubernetesSettings({}, pre), v('1.31.4')), null)
})

test('seed 001: endpoint is the HAProxy host, default service subnet avoids the 10.110.190.0/24 LAN', () => {
  const m = clusterModel(mergeKubernetesSettings({}, pre), seed001())
  assert.is(m.controlPlaneEndpoint, '10.110.190.21:6443')
  assert.is(m.firstMaster, 'm1')
  assert.is(m.s.serviceSubnet, '10.96.0.0/16')
  assert.match(kubeadmConfigFor(m, 'm1'), /advertiseAddress: 10\.110\.190\.22/)
})

test('kubeadm\'s own 10.96.0.0/12 contains seed 001\'s nodes: refused with the node named', () => {
  try {
    clusterModel(mergeKubernetesSettings({ serviceSubnet: '10.96.0.0/12' }, pre), seed001())
    assert.unreachable()
  } catch (e) {
    assert.instance(e, ConfigErrors)
    assert.match((e as Error).message, /kubernetes\.serviceSubnet: expected a range that contains no node address \(m1 is 10\.110\.190\.22\), found 10\.96\.0\.0\/12/)
  }
})

test('settings errors: missing HAProxy with 3 masters, overlapping pod/service subnets, host bits, missing key sha', () => {
  const noLb = { ...seed001(), groups: new Map([...seed001().groups].filter(([g]) => g !== 'haproxy')) }
  assert.throws(() => clusterModel(mergeKubernetesSettings({}, pre), noLb), /groups\.haproxy: expected a HAProxy host \(the API endpoint of 3 masters\)/)
  assert.ok(clusterModel(mergeKubernetesSettings({ controlPlaneEndpoint: 'api.lan:6443' }, pre), noLb))
  assert.throws(() => clusterModel(mergeKubernetesSettings({ podSubnet: '10.96.0.0/16' }, pre), seed001()), /serviceSubnet: expected a range disjoint from podSubnet/)
  assert.throws(() => mergeKubernetesSettings({ podSubnet: '10.244.1.0/16' }, {}), /podSubnet: expected a CIDR with no host bits set \(10\.244\.0\.0\/16\)/)
  assert.throws(() => clusterModel(mergeKubernetesSettings({ packageSource: 'pkgs.k8s.io' }, {}), seed001()), /kubernetes\.repoKeySha256: expected the sha256 of the repository key/)
  assert.throws(() => kubernetesMaster({ podSubnet: 'nope' } as never), /podSubnet/)
})

test('join command output: token and certificate key become Secrets, masked everywhere', () => {
  const token = 'q1w2e3.r4t5y6u7i8o9p0a1'
  const hash = `sha256:${'e'.repeat(64)}`
  const j = parseJoinCommand(`kubeadm join 10.110.190.21:6443 --token ${token} --discovery-token-ca-cert-hash ${hash} \n`, 'm1')
  assert.is(j.endpoint, '10.110.190.21:6443')
  assert.is(reveal(j.token), token)
  const key = parseCertificateKey(`[upload-certs] Using certificate key:\n${'f'.repeat(64)}\n`, 'm1')
  assert.is(mask(`x ${token} ${'f'.repeat(64)}`), 'x *** ***')
  const argv = joinArgv(j, { criSocket: 'unix:///run/containerd/containerd.sock', controlPlane: { certificateKey: key, advertiseAddress: '10.110.190.23' } })
  assert.equal(argv.map(String), ['kubeadm', 'join', '10.110.190.21:6443', '--token', '***', '--discovery-token-ca-cert-hash', hash,
    '--cri-socket', 'unix:///run/containerd/containerd.sock', '--control-plane', '--certificate-key', '***', '--apiserver-advertise-address', '10.110.190.23'])
  assert.throws(() => parseJoinCommand('kubeadm join x --token short', 'm1'), /expected 'kubeadm join <host:port>/)
  assert.throws(() => parseCertificateKey('nothing', 'm1'), /64-hex-digit certificate key/)
})

test('every task carries the role name, kubernetes and k8s-master / k8s-worker tags', () => {
  for (const [r, tag] of [[kubernetesMaster(pre), 'k8s-master'], [kubernetesWorker(pre), 'k8s-worker']] as const) {
    for (const t of flatten(play('p', { hosts: 'all', items: [r] }))) {
      for (const x of [r.name, 'kubernetes', tag]) assert.ok(t.tags.has(x), `${t.item.title} has ${x}`)
    }
  }
  assert.is(kubernetesDefaults.podSubnet, '10.244.0.0/16')
})

test('kubernetes settings are strict: a typo is an unknown key with a suggestion, before any connection', () => {
  const r = validate(kubernetesVarsSchema, { podSubent: '10.244.0.0/16' }, 'group_vars/k8s-cluster.yml', { key: 'kubernetes' })
  assert.equal(r.errors.map((e) => e.message), ["group_vars/k8s-cluster.yml: kubernetes.podSubent: expected a known key (did you mean 'podSubnet'?), found an unknown key"])
})

test("packageSource 'preinstalled' with the tools missing: --check fails as the run would, instead of planning a change", async () => {
  const inv = seed001()
  const m = clusterModel(mergeKubernetesSettings({ version: '1.31.4', ...pre }, {}), inv)
  // A PATH holding a shell and none of kubeadm, kubelet, kubectl.
  const bin = mkdtempSync(join(tmpdir(), 'kp-nokube-'))
  symlinkSync('/bin/sh', join(bin, 'sh'))
  const conn = new LocalConnection()
  const noTools = { ...conn, exec: (cmd: Parameters<Connection['exec']>[0], o?: Parameters<Connection['exec']>[1]) => conn.exec(cmd, { ...o, env: { ...o?.env, PATH: bin } }) } as Connection
  for (const checkMode of [true, false]) {
    const e = await runModule(noTools, kubernetesToolsCheck, { model: m }, { checkMode }).then(() => null, (x: Error) => x)
    assert.ok(e, `checkMode ${checkMode}: fails`)
    assert.match(e!.message, "packageSource 'preinstalled': expected kubeadm, kubelet, kubectl on the PATH, found none", e!.message)
  }
})

test('cluster shapes Kubernetes or etcd would refuse are found from the inventory alone', () => {
  const shape = (groups: Record<string, string[]>, settings: Record<string, unknown> = {}): string[] => {
    try { clusterModel(mergeKubernetesSettings({ ...pre, ...settings }, {}), stubInventory(groups)); return [] } catch (e) {
      return (e as ConfigErrors).errors.map((x) => x.message)
    }
  }
  const cases: [string, Record<string, string[]>, Record<string, unknown>, RegExp | null][] = [
    ['uppercase node name', { haproxy: ['lb'], masters: ['Master1'], workers: ['w1'] }, {}, /hosts\.Master1: expected a node name Kubernetes accepts.*found 'Master1' \(uppercase\)/],
    ['underscore', { haproxy: ['lb'], masters: ['m1'], workers: ['worker_1'] }, {}, /hosts\.worker_1: .*found 'worker_1' \(underscore\)/],
    ['64 characters', { haproxy: ['lb'], masters: ['m'.repeat(64)], workers: [] }, {}, /\(64 characters\)/],
    ['a host in both groups', { haproxy: ['lb'], masters: ['m1'], workers: ['m1', 'w1'] }, {}, /groups\.workers: expected no host of masters .* found m1 in both/],
    ['two masters', { haproxy: ['lb'], masters: ['m1', 'm2'], workers: ['w1'] }, {}, /groups\.masters: expected an odd number of masters \(etcd: 2 members tolerate no more failures than 1\), or kubernetes\.evenMastersAcknowledged: true, found 2/],
    ['four masters', { haproxy: ['lb'], masters: ['m1', 'm2', 'm3', 'm4'], workers: [] }, {}, /found 4$/],
    ['two masters, acknowledged', { haproxy: ['lb'], masters: ['m1', 'm2'], workers: ['w1'] }, { evenMastersAcknowledged: true }, null],
    ['the load balancer on a master', { haproxy: ['m1'], masters: ['m1', 'm2', 'm3'], workers: [] }, {}, /groups\.haproxy: expected a load balancer apart from the masters, or kubernetes\.apiPort other than 6443 .* found m1 in masters too/],
    ['the load balancer on a master, another port', { haproxy: ['m1'], masters: ['m1', 'm2', 'm3'], workers: [] }, { apiPort: 8443 }, null],
    ['seed 001', { haproxy: ['lb'], masters: ['m1', 'm2', 'm3'], workers: ['w1', 'w2', 'w3'] }, {}, null],
  ]
  for (const [name, groups, settings, want] of cases) {
    const errors = shape(groups, settings)
    if (want === null) assert.equal(errors, [], name)
    else assert.ok(errors.some((e) => want.test(e)), `${name}: ${errors.join('\n')}`)
  }
})

test('versions: outside what kubeplay supports, skew between nodes, containerd pinned for another minor — refused from the inventory alone', () => {
  assert.throws(() => clusterModel(mergeKubernetesSettings({ ...pre, version: '1.40.0' }, {}), seed001()), /kubernetes\.version: expected a Kubernetes release kubeplay supports \(1\.24 to 1\.34\), found "1\.40\.0"/)
  const inv = seed001()
  const withVars = (vars: Record<string, Record<string, unknown>>): Inventory => ({ ...inv, hosts: new Map([...inv.hosts].map(([n, h]) => [n, { ...h, vars: { kubernetes: { ...pre, version: '1.31.4' }, ...vars[n] } }])) })
  const skew = kubernetesPreflight(withVars({ w3: { kubernetes: { ...pre, version: '1.30.14' } } }))
  assert.equal(skew.map((e) => e.message), ['stub: kubernetes.version: expected one version on every node (playbooks/upgrade.ts moves them together), found 1.31.4 on m1, m2, m3, w1, w2; 1.30.14 on w3'])
  const pause = kubernetesPreflight(withVars({ w1: { containerd: { kubernetesVersion: '1.30' } } }))
  assert.match(pause.map((e) => e.message).join('\n'), 'hosts.w1: containerd.kubernetesVersion: expected the minor of kubernetes.version 1.31.4 (or leave it unset: the pause image follows kubernetes.version), found "1.30"')
  assert.equal(kubernetesPreflight(withVars({})), [])
})

test('settings mistakes name the key and the fix: an unquoted YAML version, a mirror without its key digest', () => {
  const r1 = validate(kubernetesVarsSchema, { version: 1.3 }, 'group_vars/all.yml', { key: 'kubernetes' })
  assert.equal(r1.errors.map((e) => e.message), ['group_vars/all.yml: kubernetes.version: expected a Kubernetes release like 1.31.4, quoted in YAML ("1.31.4"; an unquoted 1.30 is the number 1.3), found 1.3'])
  const r2 = validate(kubernetesVarsSchema, { packageSource: { mirror: 'https://mirror.example/k8s/' } }, 'group_vars/all.yml', { key: 'kubernetes' })
  assert.equal(r2.errors.map((e) => e.message), ['group_vars/all.yml: kubernetes.packageSource.keySha256: expected 64 hex digits, found nothing'])
})

test('kubelet settings: rendered into the KubeletConfiguration kubeadm uploads, and refused when kubelet would refuse them', () => {
  const evict = { 'nodefs.available': '0%', 'imagefs.available': '0%' }
  const text = renderKubeadmConfig({ ...model('1.31.4'), kubelet: { imageGCHighThresholdPercent: 100, evictionHard: evict } })
  assert.match(text, /kind: KubeletConfiguration\ncgroupDriver: systemd\nimageGCHighThresholdPercent: 100\nevictionHard:\n  nodefs.available: 0%\n  imagefs.available: 0%\n/)
  assert.equal(validateKubeadmConfig(text), [])
  assert.match(validateKubeadmConfig(text.replace('nodefs.available', 'nodefs.availabel')).join('\n'), /evictionHard\.nodefs\.availabel: unknown field/)
  const s = mergeKubernetesSettings({ kubelet: { imageGCHighThresholdPercent: 100, evictionHard: evict } }, pre)
  assert.is(kubeadmConfigFor(clusterModel(s, seed001()), 'm1').includes('imageGCHighThresholdPercent: 100'), true)
  const bad = (kubelet: unknown): string => validate(kubernetesVarsSchema, { kubelet }, 'group_vars/k8s-cluster.yml', { key: 'kubernetes' }).errors.map((e) => e.message).join('\n')
  assert.match(bad({ imageGCHighThresholdPercent: 101 }), /group_vars\/k8s-cluster\.yml.*kubernetes\.kubelet\.imageGCHighThresholdPercent.*101/)
  assert.match(bad({ imageGCLowThresholdPercent: 90 }), /kubernetes\.kubelet.*imageGCLowThresholdPercent below imageGCHighThresholdPercent/)
  assert.match(bad({ evictionHard: { 'disk.available': '5%' } }), /kubernetes\.kubelet\.evictionHard.*signals among memory\.available/)
  assert.match(bad({ evictionHard: { 'nodefs.available': 'ten percent' } }), /evictionHard.*a quantity like '10%'.*ten percent/)
  assert.match(bad({ imageGcHighThresholdPercent: 90 }), /kubernetes\.kubelet\.imageGcHighThresholdPercent/)
  assert.is(bad({ imageGCHighThresholdPercent: 90, imageGCLowThresholdPercent: 80, maxPods: 200 }), '')
})

test.run()
