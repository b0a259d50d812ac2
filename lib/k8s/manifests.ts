/**
 * Upstream manifests kubeplay applies, pinned by version, URL and sha256. They are downloaded on
 * the first master at run time (as users' own clusters do), verified, kept under
 * /etc/kubeplay/manifests/<name>-<version>.yaml and applied from there: the controller never needs
 * the internet, and the repository carries no copy of upstream files.
 */
import { isCidr } from '../schema/net.ts'
import { ConfigError } from '../errors.ts'
import type { HostContext } from '../engine/module.ts'
import { task, type Task, type TaskOptions } from '../engine/task.ts'
import { download, type DownloadParams } from '../modules/download.ts'
import { kubectl, MANIFEST_DIR, type KubectlParams, type KubectlWaitSpec } from '../modules/kubectl.ts'
import { parseObjects } from './objects.ts'

export interface ManifestDescriptor {
  readonly name: string
  readonly version: string
  readonly url: string
  /**
   * Hex sha256 of the file at `url`; null when kubeplay ships no verified digest (no reference copy
   * was available): the role then requires the user to set one.
   */
  readonly sha256: string | null
}

/**
 * MetalLB native (L2/BGP without FRR), the manifest seed 001 installs (it names v0.15.0; v0.15.2 is
 * that minor's latest patch). The digest is that of config/manifests/metallb-native.yaml in the Go
 * module go.universe.tf/metallb@v0.15.2, the tag's own file, checked again by every bundle build.
 */
export const METALLB_NATIVE: ManifestDescriptor = {
  name: 'metallb-native',
  version: 'v0.15.2',
  url: 'https://raw.githubusercontent.com/metallb/metallb/v0.15.2/config/manifests/metallb-native.yaml',
  sha256: 'a1b04c376fb39c93265f551fe23716a3ae6e09b790edb3bf257d3fc784c35a18',
}

/**
 * Flannel. The digest is that of Documentation/kube-flannel.yml at tag v0.28.9 (the reference copy),
 * so the URL is that file at that tag: the release asset of the same name is built separately and
 * is not guaranteed to be byte-identical.
 */
export const FLANNEL: ManifestDescriptor = {
  name: 'kube-flannel',
  version: 'v0.28.9',
  url: 'https://raw.githubusercontent.com/flannel-io/flannel/v0.28.9/Documentation/kube-flannel.yml',
  sha256: 'e875824be2f552b45711dbda91af81b17eb961d00025d914d9fef18fad8f09c0',
}

/**
 * ingress-nginx for bare metal (NodePort controller Service). v1.12.1 carries the CVE-2025-1974
 * fixes and supports Kubernetes 1.28-1.32. No digest: set `ingressNginx.manifestSha256`.
 */
export const INGRESS_NGINX_BAREMETAL: ManifestDescriptor = {
  name: 'ingress-nginx-baremetal',
  version: 'controller-v1.12.1',
  url: 'https://raw.githubusercontent.com/kubernetes/ingress-nginx/controller-v1.12.1/deploy/static/provider/baremetal/deploy.yaml',
  sha256: null,
}

/**
 * metrics-server's release manifest. No digest: kubeplay has no verified copy of the release asset
 * (the offline bundle renders the same objects from the Go module instead); set
 * `metricsServer.manifestSha256` to install it from the URL.
 */
export const METRICS_SERVER: ManifestDescriptor = {
  name: 'metrics-server',
  version: 'v0.8.0',
  url: 'https://github.com/kubernetes-sigs/metrics-server/releases/download/v0.8.0/components.yaml',
  sha256: null,
}

/** Where the manifest is kept on the host. */
export function manifestPath(d: ManifestDescriptor): string {
  return `${MANIFEST_DIR}/${d.name}-${d.version}.yaml`
}

/**
 * The descriptor with a digest: `override` (a user's var) wins; without either, a ConfigError that
 * says how to get one. `key` names the var for the message.
 */
export function pinned(d: ManifestDescriptor, override: string | undefined, key: string): ManifestDescriptor & { sha256: string } {
  const sha256 = override ?? d.sha256
  if (!sha256 || !/^[0-9a-fA-F]{64}$/.test(sha256)) {
    throw new ConfigError('vars', key, `the sha256 of ${d.url} (64 hex digits; kubeplay ships none for ${d.name} ${d.version}: verify the file and run sha256sum on it)`,
      sha256 ? JSON.stringify(sha256) : 'nothing')
  }
  return { ...d, sha256: sha256.toLowerCase() }
}

/** How a role points a fetch at another source (a mirror, or a file:// copy in tests). */
export interface FetchOptions extends TaskOptions {
  /** Another URL serving the same bytes (a mirror); the digest still applies. */
  readonly url?: string
  readonly sha256?: string
}

type Resolve<T> = T | ((host: HostContext) => T)
const resolve = <T>(v: Resolve<T>, host: HostContext): T => (typeof v === 'function' ? (v as (h: HostContext) => T)(host) : v)

/** A task that downloads the pinned manifest on the host into manifestPath(d), verified, atomically. */
export function fetchManifest(d: ManifestDescriptor, opts: Resolve<Pick<FetchOptions, 'url' | 'sha256'>> = {}, taskOpts: TaskOptions = {}): Task<DownloadParams> {
  return task(`Fetch ${d.name} ${d.version}`, download, (host) => {
    const o = resolve(opts, host)
    const p = pinned(d, o.sha256, `${d.name}.sha256`)
    return { url: o.url ?? p.url, sha256: p.sha256, dest: manifestPath(d), mode: '0644' }
  }, taskOpts)
}

export interface ApplyOptions {
  /** Rewrites the fetched text before it is applied (pure). */
  readonly transform?: (text: string, host: HostContext) => string
  readonly wait?: KubectlWaitSpec
  /** @default '/etc/kubernetes/admin.conf' */
  readonly kubeconfig?: string
}

/**
 * A task that applies the fetched manifest from manifestPath(d). With `transform`, the file is read
 * from the host and the transformed text is applied instead (Flannel's pod subnet); in check mode,
 * before the fetch has happened, the file is applied as is, which plans "not there yet".
 */
export function applyManifest(d: ManifestDescriptor, opts: Resolve<ApplyOptions> = {}, taskOpts: TaskOptions = {}): Task<KubectlParams> {
  const path = manifestPath(d)
  return task(`Apply ${d.name} ${d.version}`, kubectl, async (host): Promise<KubectlParams> => {
    const o = resolve(opts, host)
    const base = { kubeconfig: o.kubeconfig, wait: o.wait }
    if (!o.transform) return { ...base, manifest: { path } }
    const bytes = await host.conn.readFile(path, { become: true })
    if (bytes === null) return { ...base, manifest: { path } }
    return { ...base, manifest: o.transform(bytes.toString('utf8'), host) }
  }, taskOpts)
}

/**
 * Pure: the Flannel manifest with net-conf.json's `Network` set to the cluster's pod subnet
 * (kubeadm's podSubnet; Flannel allocates node subnets from it, so they must agree). Only that value
 * changes: the rest of the upstream text stays byte-identical. Throws when the manifest has no
 * kube-flannel-cfg ConfigMap with a JSON net-conf, or the subnet is not a CIDR.
 */
export function flannelManifest(text: string, podSubnet: string): string {
  if (!isCidr(podSubnet)) throw new ConfigError('kubernetes', 'podSubnet', 'an IPv4 CIDR with no host bits set (10.244.0.0/16)', JSON.stringify(podSubnet))
  const re = /("Network"\s*:\s*")([^"]*)(")/g
  const hits = [...text.matchAll(re)]
  if (hits.length !== 1) throw new ConfigError('kube-flannel.yml', 'net-conf.json', 'exactly one "Network" setting', `${hits.length}`)
  const out = text.replace(re, (_m, a: string, _old: string, c: string) => `${a}${podSubnet}${c}`)
  const found = flannelNetwork(out)
  if (found !== podSubnet) throw new ConfigError('kube-flannel.yml', 'net-conf.json.Network', podSubnet, JSON.stringify(found))
  return out
}

/** Pure: net-conf.json's `Network` in a Flannel manifest (null when there is none). */
export function flannelNetwork(text: string): string | null {
  const cm = parseObjects(text, 'kube-flannel.yml').find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'kube-flannel-cfg')
  const conf = (cm?.data as Record<string, unknown> | undefined)?.['net-conf.json']
  if (typeof conf !== 'string') return null
  let parsed: unknown
  try { parsed = JSON.parse(conf) } catch (e) {
    throw new ConfigError('kube-flannel.yml', 'net-conf.json', 'valid JSON', (e as Error).message, { cause: e })
  }
  const n = (parsed as { Network?: unknown }).Network
  return typeof n === 'string' ? n : null
}

/**
 * Flannel on the first master: fetch the pinned manifest, then apply it with net-conf.json's
 * Network set to `podSubnet(host)` (the kubernetes role's podSubnet).
 */
export function flannelTasks(podSubnet: (host: HostContext) => string, opts: FetchOptions & { readonly kubeconfig?: string } = {}): [Task<DownloadParams>, Task<KubectlParams>] {
  const { url, sha256, kubeconfig, ...taskOpts } = opts
  return [
    fetchManifest(FLANNEL, { url, sha256 }, taskOpts),
    applyManifest(FLANNEL, { kubeconfig, transform: (text, host) => flannelManifest(text, podSubnet(host)) }, taskOpts),
  ]
}
