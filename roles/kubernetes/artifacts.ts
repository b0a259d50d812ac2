/**
 * packageSource 'artifacts': Kubernetes from the offline bundle on the controller (`npm run
 * bundle`), for sites that reach no package repository or registry. Binaries go to /usr/local/bin
 * and CNI plugins to /opt/cni/bin, each sent only when the host's sha256 differs; the kubelet gets
 * the systemd unit and kubeadm drop-in the official packages install (paths adjusted); the images
 * kubeadm and Flannel run are imported into containerd's k8s.io namespace, so kubeadm finds every
 * image present and never pulls. The bundle's own manifest names every file and digest.
 */
import { join } from 'node:path'
import { ConfigError } from '../../lib/errors.ts'
import type { HostContext } from '../../lib/engine/module.ts'
import { task, type Task, type TaskOptions } from '../../lib/engine/task.ts'
import { defaultBundleDir, readBundleManifest, type BundleManifest } from '../../lib/bundle/manifest.ts'
import { imageRefs, RELEASES } from '../../lib/bundle/pins.ts'
import { aptPackages } from '../../lib/modules/apt-packages.ts'
import { containerdImage } from '../../lib/modules/containerd-image.ts'
import { file } from '../../lib/modules/file.ts'
import { systemdUnit } from '../../lib/modules/systemd-unit.ts'
import { upload } from '../../lib/modules/upload.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import type { ClusterModel, KubernetesParams } from './settings.ts'

export const KUBE_BIN_DIR = '/usr/local/bin'
export const CNI_BIN_DIR = '/opt/cni/bin'
export const BUNDLE_BINARIES = ['kubeadm', 'kubelet', 'kubectl', 'crictl'] as const
/** Masters also get etcd's client tools, for etcd-backup and etcd-restore. */
export const CONTROL_PLANE_BINARIES = ['etcdctl', 'etcdutl'] as const
export const BUNDLE_CNI_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap'] as const
/** What the official kubelet package depends on and kubeadm's preflight looks for on the PATH. */
export const KUBELET_HOST_PACKAGES = ['conntrack', 'iptables', 'socat', 'ethtool', 'iproute2'] as const

export type ImageKey = keyof ReturnType<typeof imageRefs>
const NODE_IMAGES: readonly ImageKey[] = ['pause', 'proxy', 'coredns', 'flannel', 'flannelCni']
const CONTROL_PLANE_IMAGES: readonly ImageKey[] = ['apiserver', 'controllerManager', 'scheduler', 'etcd']

/** kubelet.service as the official packages install it, with the binary in /usr/local/bin. */
export const KUBELET_UNIT = `# Managed by kubeplay (packageSource 'artifacts'): the unit of the official kubelet package.
[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=${KUBE_BIN_DIR}/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
`

/** 10-kubeadm.conf as the official kubeadm package installs it (Debian layout: /etc/default/kubelet). */
export const KUBEADM_DROPIN = `# Managed by kubeplay (packageSource 'artifacts'): the drop-in of the official kubeadm package.
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# Written by "kubeadm init" and "kubeadm join": KUBELET_KUBEADM_ARGS.
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# The operator's last-resort overrides: KUBELET_EXTRA_ARGS.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=${KUBE_BIN_DIR}/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`

export const artifactsDirOf = (s: KubernetesParams): string => s.artifactsDir ?? defaultBundleDir(s.version)

/** The bundle for a model; a ModuleError-free read: problems were reported by the preflight. */
export function bundleOf(m: ClusterModel): { dir: string; manifest: BundleManifest } {
  const dir = artifactsDirOf(m.s)
  return { dir, manifest: readBundleManifest(dir) }
}

function fileEntry(m: ClusterModel, rel: string): { src: string; sha256: string } {
  const b = bundleOf(m)
  const f = b.manifest.files.find((x) => x.path === rel)
  if (!f) throw new Error(`${join(b.dir, 'bundle.json')}: no ${rel} in the bundle`)
  return { src: join(b.dir, rel), sha256: f.sha256 }
}

/**
 * Preflight (controller only, before any connection): with packageSource 'artifacts', the bundle
 * must exist, be intact enough to read, and be for kubernetes.version.
 */
export function artifactsPreflight(s: KubernetesParams, where: string): ConfigError[] {
  if (s.packageSource !== 'artifacts') return []
  const dir = artifactsDirOf(s)
  const key = s.artifactsDir ? 'kubernetes.artifactsDir' : 'kubernetes.packageSource'
  const build = RELEASES[s.version] ? ` (build it: npm run bundle -- --kubernetes ${s.version})` : ` (the bundle builder knows ${Object.keys(RELEASES).join(', ')})`
  let m: BundleManifest
  try { m = readBundleManifest(dir) } catch (e) {
    return [new ConfigError(where, key, `a kubeplay bundle for Kubernetes ${s.version} in ${dir}${build}`, (e as Error).message.replace(/^.*?: /, ''))]
  }
  if (m.kubernetes !== s.version) return [new ConfigError(where, key, `a bundle for kubernetes.version ${s.version} in ${dir}`, `a bundle for ${m.kubernetes}`)]
  return []
}

/** Preflight over an inventory: every distinct bundle the hosts' settings name. */
export function artifactsPreflightFor(inv: Inventory, settings: (vars: unknown) => KubernetesParams): ConfigError[] {
  const seen = new Set<string>()
  const errors: ConfigError[] = []
  for (const h of inv.hosts.values()) {
    let s: KubernetesParams
    try { s = settings(h.vars.kubernetes) } catch { continue }
    const k = `${s.packageSource === 'artifacts' ? artifactsDirOf(s) : ''}|${s.version}`
    if (seen.has(k)) continue
    seen.add(k)
    errors.push(...artifactsPreflight(s, inv.source))
  }
  return errors
}

/** The artifact install tasks; `controlPlane` hosts also get the control-plane images. */
export function artifactTasks(model: (h: HostContext) => ClusterModel, tags: readonly string[], controlPlane: boolean): Task[] {
  const opts = { tags: [...tags], when: (h: HostContext) => model(h).s.packageSource === 'artifacts', whenReason: "packageSource is not 'artifacts'" }
  const images = controlPlane ? [...CONTROL_PLANE_IMAGES, ...NODE_IMAGES] : NODE_IMAGES
  return [
    task('Install the kubelet\'s host tools', aptPackages, { names: [...KUBELET_HOST_PACKAGES] }, opts),
    ...[...BUNDLE_BINARIES, ...(controlPlane ? CONTROL_PLANE_BINARIES : [])].map((b) => task(`Upload ${b}`, upload, (h) => ({
      ...fileEntry(model(h), `bin/${b}`), path: `${KUBE_BIN_DIR}/${b}`, mode: '0755', owner: 'root', group: 'root',
    }), opts)),
    task('Create the CNI plugin directory', file, { path: CNI_BIN_DIR, state: 'directory', mode: '0755', owner: 'root', group: 'root' }, opts),
    ...BUNDLE_CNI_PLUGINS.map((b) => task(`Upload the ${b} CNI plugin`, upload, (h) => ({
      ...fileEntry(model(h), `cni/${b}`), path: `${CNI_BIN_DIR}/${b}`, mode: '0755', owner: 'root', group: 'root',
    }), opts)),
    task('Install the kubelet unit', systemdUnit, { name: 'kubelet.service', content: KUBELET_UNIT }, opts),
    task('Install the kubeadm drop-in for the kubelet', systemdUnit, { name: 'kubelet.service', dropIn: '10-kubeadm', content: KUBEADM_DROPIN }, opts),
    ...images.map((key) => task(`Import the ${key} image`, containerdImage, (h) => {
      const m = model(h)
      const b = bundleOf(m)
      const ref = imageRefs(RELEASES[m.s.version] ?? RELEASES[b.manifest.kubernetes]!)[key]
      const img = b.manifest.images.find((i) => i.ref === ref)
      if (!img) throw new Error(`${join(b.dir, 'bundle.json')}: no image ${ref}`)
      return { ref, digest: img.manifestDigest, archive: join(b.dir, img.path) }
    }, { ...opts, tags: [...tags, 'images'] })),
  ]
}

/** The Flannel manifest from the bundle, where `fetchManifest` would download it. */
export function flannelFromBundle(model: (h: HostContext) => ClusterModel, dest: string): (h: HostContext) => { src: string; sha256: string; path: string; mode: string } {
  return (h) => ({ ...fileEntry(model(h), 'manifests/kube-flannel.yml'), path: dest, mode: '0644' })
}

/**
 * The bundle an upgrade installs from: `override` (the `kubernetes_target_artifacts_dir` var), else
 * the default cache directory of the target release.
 */
export const targetBundleDir = (target: string, override?: string): string => override ?? defaultBundleDir(target)

/** A file of the bundle the kubernetes settings name (an add-on's manifest), for `upload`. */
export const settingsBundleFile = (s: KubernetesParams, rel: string): { src: string; sha256: string } => bundleFile(artifactsDirOf(s), rel)
/** An image of the bundle the kubernetes settings name (an add-on's), for `containerdImage`. */
export const settingsBundleImage = (s: KubernetesParams, key: ImageKey): { ref: string; digest: string; archive: string } => bundleImage(artifactsDirOf(s), key)

function bundleFile(dir: string, rel: string): { src: string; sha256: string } {
  const f = readBundleManifest(dir).files.find((x) => x.path === rel)
  if (!f) throw new Error(`${join(dir, 'bundle.json')}: no ${rel} in the bundle`)
  return { src: join(dir, rel), sha256: f.sha256 }
}

function bundleImage(dir: string, key: ImageKey): { ref: string; digest: string; archive: string } {
  const m = readBundleManifest(dir)
  const pins = RELEASES[m.kubernetes]
  if (!pins) throw new Error(`${join(dir, 'bundle.json')}: Kubernetes ${m.kubernetes} is not a release the builder knows`)
  const ref = imageRefs(pins)[key]
  const img = m.images.find((i) => i.ref === ref)
  if (!img) throw new Error(`${join(dir, 'bundle.json')}: no image ${ref}`)
  return { ref, digest: img.manifestDigest, archive: join(dir, img.path) }
}

/**
 * Upgrade steps with packageSource 'artifacts', from the target release's bundle (`dir`):
 * - 'images': every image of that release imported (control-plane ones on masters), before any
 *   `kubeadm upgrade apply`, so the DaemonSets it rolls out (kube-proxy) find their image on every node;
 * - 'kubeadm': the new kubeadm;
 * - 'kubelet': the new kubelet and kubectl (`opts.notify` restarts the kubelet once).
 * Each only when the host's sha256 or containerd's digest differs.
 */
export function upgradeArtifactTasks(dir: (h: HostContext) => string, which: 'images' | 'kubeadm' | 'kubelet', controlPlane: boolean, opts: TaskOptions): Task[] {
  const bin = (b: string): Task => task(`Upload ${b} from the target bundle`, upload, (h) => ({
    ...bundleFile(dir(h), `bin/${b}`), path: `${KUBE_BIN_DIR}/${b}`, mode: '0755', owner: 'root', group: 'root',
  }), opts)
  if (which === 'kubeadm') return [bin('kubeadm')]
  if (which === 'kubelet') return [bin('kubelet'), bin('kubectl')]
  const images = controlPlane ? [...CONTROL_PLANE_IMAGES, ...NODE_IMAGES] : NODE_IMAGES
  return images.map((key) => task(`Import the target ${key} image`, containerdImage, (h) => bundleImage(dir(h), key), { ...opts, notify: undefined }))
}
