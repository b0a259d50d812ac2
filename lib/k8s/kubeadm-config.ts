/**
 * Typed definitions of the kubeadm configuration API (kubeadm.k8s.io v1beta3 and v1beta4) and of
 * the component configs kubeadm accepts next to them (KubeletConfiguration, KubeProxyConfiguration),
 * limited to the fields kubeplay renders or users commonly set, plus a validator: a rendered YAML
 * file is parsed back and every document is checked against the definition of its apiVersion/kind
 * (unknown keys, wrong types, v1beta3 map-style `extraArgs` in v1beta4 and the reverse).
 *
 * Sources: kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta3 and .v1beta4. v1beta4
 * (Kubernetes 1.31) turned every `extraArgs` and `kubeletExtraArgs` from a string map into a list of
 * `{ name, value }`, moved `apiServer.timeoutForControlPlane` and `discovery.timeout` into a
 * `timeouts` struct on Init/JoinConfiguration, and added `extraEnvs`, `encryptionAlgorithm`,
 * `dns.disabled`, `proxy.disabled`.
 */
import { parseAllDocuments } from 'yaml'

export type * from './kubeadm-types.ts'

/** A field's definition: a scalar kind, an enum, a list, or a nested object (unknown keys refused). */
type Field =
  | 'string' | 'int' | 'bool' | 'strings' | 'args' | 'duration'
  | { readonly enum: readonly string[] }
  | { readonly list: Field }
  | { readonly nullable: Field }
  | { readonly fields: Readonly<Record<string, Field>>; readonly required?: readonly string[] }

type Version = 'v1beta3' | 'v1beta4'

const obj = (fields: Record<string, Field>, required: string[] = []): Field => ({ fields, required })

function definitions(v: Version): Record<string, Field> {
  const b4 = v === 'v1beta4'
  const taint = obj({ key: 'string', value: 'string', effect: { enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] }, timeAdded: 'string' }, ['key', 'effect'])
  const nodeRegistration = obj({
    name: 'string', criSocket: 'string', taints: { nullable: { list: taint } }, kubeletExtraArgs: 'args',
    ignorePreflightErrors: 'strings', imagePullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
    ...(b4 ? { imagePullSerial: 'bool' as Field } : {}),
  })
  const endpoint = obj({ advertiseAddress: 'string', bindPort: 'int' })
  const timeouts = obj({
    controlPlaneComponentHealthCheck: 'duration', kubeletHealthCheck: 'duration', kubernetesAPICall: 'duration',
    etcdAPICall: 'duration', tlsBootstrap: 'duration', discovery: 'duration', upgradeManifests: 'duration',
  })
  const env = { list: obj({ name: 'string', value: 'string' }, ['name']) } as Field
  const component = (extra: Record<string, Field> = {}): Field => obj({
    extraArgs: 'args', extraVolumes: { list: obj({ name: 'string', hostPath: 'string', mountPath: 'string', readOnly: 'bool', pathType: 'string' }) },
    ...(b4 ? { extraEnvs: env } : {}), ...extra,
  })
  const meta = { apiVersion: 'string', kind: 'string' } as const
  return {
    InitConfiguration: obj({
      ...meta, nodeRegistration, localAPIEndpoint: endpoint, certificateKey: 'string', skipPhases: 'strings',
      bootstrapTokens: { list: obj({ token: 'string', description: 'string', ttl: 'duration', usages: 'strings', groups: 'strings' }) },
      patches: obj({ directory: 'string' }),
      ...(b4 ? { timeouts, dryRun: 'bool' as Field } : {}),
    }),
    ClusterConfiguration: obj({
      ...meta, kubernetesVersion: 'string', controlPlaneEndpoint: 'string', clusterName: 'string', certificatesDir: 'string',
      imageRepository: 'string', featureGates: obj({}),
      networking: obj({ podSubnet: 'string', serviceSubnet: 'string', dnsDomain: 'string' }),
      apiServer: component({ certSANs: 'strings', ...(b4 ? {} : { timeoutForControlPlane: 'duration' as Field }) }),
      controllerManager: component(), scheduler: component(),
      etcd: obj({ local: obj({ dataDir: 'string', extraArgs: 'args', serverCertSANs: 'strings', peerCertSANs: 'strings', ...(b4 ? { extraEnvs: env } : {}) }) }),
      dns: obj({ imageRepository: 'string', imageTag: 'string', ...(b4 ? { disabled: 'bool' as Field } : {}) }),
      ...(b4 ? { encryptionAlgorithm: { enum: ['RSA-2048', 'RSA-3072', 'RSA-4096', 'ECDSA-P256', 'ECDSA-P384'] } as Field, proxy: obj({ disabled: 'bool' }) } : {}),
    }, ['kubernetesVersion']),
    JoinConfiguration: obj({
      ...meta, nodeRegistration, caCertPath: 'string', skipPhases: 'strings', patches: obj({ directory: 'string' }),
      discovery: obj({
        bootstrapToken: obj({ apiServerEndpoint: 'string', token: 'string', caCertHashes: 'strings', unsafeSkipCAVerification: 'bool' }, ['apiServerEndpoint', 'token']),
        file: obj({ kubeConfigPath: 'string' }), tlsBootstrapToken: 'string', ...(b4 ? {} : { timeout: 'duration' as Field }),
      }),
      controlPlane: obj({ localAPIEndpoint: endpoint, certificateKey: 'string' }),
      ...(b4 ? { timeouts, dryRun: 'bool' as Field } : {}),
    }, ['discovery']),
  }
}

const COMPONENTS: Record<string, Field> = {
  'kubelet.config.k8s.io/v1beta1/KubeletConfiguration': obj({
    apiVersion: 'string', kind: 'string', cgroupDriver: { enum: ['systemd', 'cgroupfs'] }, failSwapOn: 'bool',
    clusterDNS: 'strings', clusterDomain: 'string', rotateCertificates: 'bool', serverTLSBootstrap: 'bool', maxPods: 'int',
    imageGCHighThresholdPercent: 'int', imageGCLowThresholdPercent: 'int',
    evictionHard: obj({ 'memory.available': 'string', 'nodefs.available': 'string', 'nodefs.inodesFree': 'string', 'imagefs.available': 'string', 'imagefs.inodesFree': 'string', 'pid.available': 'string' }),
  }),
  'kubeproxy.config.k8s.io/v1alpha1/KubeProxyConfiguration': obj({
    apiVersion: 'string', kind: 'string', mode: { enum: ['', 'iptables', 'ipvs', 'nftables'] }, clusterCIDR: 'string',
    conntrack: obj({ maxPerCore: 'int', min: 'int' }),
  }),
}

const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/

function checkField(f: Field, v: unknown, path: string, version: string, out: string[]): void {
  const bad = (expected: string): void => { out.push(`${path}: expected ${expected}, found ${JSON.stringify(v)}`) }
  if (f === 'string') { if (typeof v !== 'string') bad('a string'); return }
  if (f === 'int') { if (!Number.isInteger(v)) bad('an integer'); return }
  if (f === 'bool') { if (typeof v !== 'boolean') bad('true or false'); return }
  if (f === 'duration') { if (typeof v !== 'string' || !DURATION.test(v)) bad("a duration like '4m0s'"); return }
  if (f === 'strings') { if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) bad('a list of strings'); return }
  if (f === 'args') {
    if (version === 'kubeadm.k8s.io/v1beta4') {
      // The map style is the classic v1beta3 → v1beta4 migration mistake: say so.
      if (!Array.isArray(v)) { bad('a list of {name, value} (v1beta4 changed extraArgs from a map to a list)'); return }
      v.forEach((a, i) => checkField(obj({ name: 'string', value: 'string' }, ['name', 'value']), a, `${path}[${i}]`, version, out))
    } else if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
      bad('a map of flag name to string value (v1beta3)')
    }
    return
  }
  if ('enum' in f) { if (!f.enum.includes(v as string)) bad(`one of ${f.enum.map((e) => JSON.stringify(e)).join(', ')}`); return }
  if ('nullable' in f) { if (v !== null) checkField(f.nullable, v, path, version, out); return }
  if ('list' in f) {
    if (!Array.isArray(v)) { bad('a list'); return }
    v.forEach((x, i) => checkField(f.list, x, `${path}[${i}]`, version, out))
    return
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) { bad('a mapping'); return }
  const rec = v as Record<string, unknown>
  const openMap = Object.keys(f.fields).length === 0 // featureGates: any keys
  for (const [k, x] of Object.entries(rec)) {
    const sub = f.fields[k]
    if (sub) checkField(sub, x, path ? `${path}.${k}` : k, version, out)
    else if (!openMap) out.push(`${path ? `${path}.` : ''}${k}: unknown field for ${version}`)
  }
  for (const k of f.required ?? []) if (rec[k] === undefined) out.push(`${path ? `${path}.` : ''}${k}: required, missing`)
}

/** Problems of one parsed document, each `Kind.path: expected …, found …`; empty when valid. */
export function validateKubeadmDocument(doc: unknown): string[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return [`document: expected a mapping, found ${JSON.stringify(doc)}`]
  const { apiVersion, kind } = doc as { apiVersion?: unknown; kind?: unknown }
  const out: string[] = []
  const label = `${String(kind)}`
  let def: Field | undefined
  const m = /^kubeadm\.k8s\.io\/(v1beta3|v1beta4)$/.exec(String(apiVersion))
  if (m) def = definitions(m[1] as Version)[String(kind)]
  else def = COMPONENTS[`${String(apiVersion)}/${String(kind)}`]
  if (!def) return [`${label}: unknown apiVersion/kind ${String(apiVersion)}/${String(kind)}`]
  checkField(def, doc, '', String(apiVersion), out)
  return out.map((e) => `${label}.${e}`)
}

/** Parses a multi-document kubeadm config and validates every document; problems, or [] when valid. */
export function validateKubeadmConfig(text: string): string[] {
  const docs = parseAllDocuments(text)
  const out: string[] = []
  if (!Array.isArray(docs)) return ['expected YAML documents, found none']
  docs.forEach((d, i) => {
    if (d.errors.length) { out.push(`document ${i + 1}: YAML error: ${d.errors[0]!.message}`); return }
    out.push(...validateKubeadmDocument(d.toJS()))
  })
  const kinds = docs.map((d) => (d.toJS() as { kind?: string } | null)?.kind)
  const apiVersions = new Set(docs.map((d) => (d.toJS() as { apiVersion?: string } | null)?.apiVersion).filter((a) => a?.startsWith('kubeadm.k8s.io/')))
  if (apiVersions.size > 1) out.push(`expected one kubeadm API version in the file, found ${[...apiVersions].join(' and ')}`)
  for (const k of new Set(kinds)) if (kinds.filter((x) => x === k).length > 1) out.push(`${k}: expected at most one document of this kind, found several`)
  return out
}
