/**
 * The bundle builder's steps in order: Go builds (kubeadm first: its own image list must match the
 * pins), the pause binary from the C source in the k8s.io/kubernetes module, Debian userland for
 * kube-proxy and Flannel, one OCI archive per image, the Flannel, MetalLB and metrics-server
 * manifests from their Go modules (sha256-checked), then bundle.json, written last: a bundle
 * without it is unfinished and is rebuilt. A complete bundle whose files still match bundle.json is reused as it is.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { aptInstall, run, tryRun } from '../lab/exec.ts'
import { withLock } from '../lab/lock.ts'
import { downloadDebs, unpackDebs } from './debs.ts'
import { goBuild, moduleInfo } from './go-build.ts'
import { BUNDLE_SCHEMA, MANIFEST_FILE, bundleCacheRoot, defaultBundleDir, readBundleManifest, verifyBundle, type BundleFile, type BundleFileKind, type BundleImage, type BundleManifest } from './manifest.ts'
import { sha256File, writeImageArchive, type ImageSpec } from './oci.ts'
import { METRICS_SERVER_BASE_FILES, metricsServerBaseSha256, metricsServerManifest } from './metrics-server.ts'
import { goComponents, imageRefs, releasePins, type ReleasePins } from './pins.ts'
import { PASSWD, GROUP, DEBIAN_USERLAND, BUSYBOX, NGINX, NGINX_CONF, NGINX_IMAGE, nginxTag, imageFileName, checkImageList, imageSpecs } from './images.ts'

export interface BuildOptions {
  /** `1.31.4` */
  readonly kubernetes: string
  /** @default defaultBundleDir(kubernetes) */
  readonly outDir?: string
  /** Rebuild even when a complete bundle is there. */
  readonly force?: boolean
  readonly log?: (line: string) => void
}

export interface BuildResult {
  readonly dir: string
  readonly manifest: BundleManifest
  /** false: a complete, intact bundle was already there. */
  readonly built: boolean
  readonly seconds: number
}

async function ensureTools(log: (l: string) => void): Promise<void> {
  const need: string[] = []
  if (!(await tryRun('go', ['version']))) throw new Error('go is not on the PATH: the bundle builder compiles the upstream Go modules (Go 1.22 or newer)')
  if (!(await tryRun('gcc', ['--version'])) || !existsSync('/usr/lib/x86_64-linux-gnu/libc.a')) need.push('gcc', 'libc6-dev')
  if (need.length) {
    log(`apt-get install ${need.join(' ')} (the pause binary is C, linked static)`)
    await aptInstall(need)
  }
}

/** The intact bundle already in `dir` for these pins, or null (saying why it is rebuilt). */
async function reusable(dir: string, pins: ReleasePins, log: (l: string) => void): Promise<BundleManifest | null> {
  if (!existsSync(join(dir, MANIFEST_FILE))) return null
  try {
    const m = readBundleManifest(dir)
    const bad = m.kubernetes === pins.kubernetes ? await verifyBundle(dir, m) : [`built for ${m.kubernetes}`]
    if (bad.length === 0) return m
    log(`existing bundle is not intact (${bad.slice(0, 3).join('; ')}): rebuilding`)
  } catch (e) { log(`${(e as Error).message}: rebuilding`) }
  return null
}

/**
 * Builds the bundle, or reuses an intact one. Builds are serialised machine-wide (they share the
 * work directory and both cores): a second caller waits, then reuses what the first one built.
 */
export async function buildBundle(opts: BuildOptions): Promise<BuildResult> {
  const t0 = Date.now()
  const log = opts.log ?? (() => {})
  const pins = releasePins(opts.kubernetes)
  const dir = opts.outDir ?? defaultBundleDir(pins.kubernetes)
  const ready = opts.force ? null : await reusable(dir, pins, () => {})
  if (ready) return { dir, manifest: ready, built: false, seconds: (Date.now() - t0) / 1000 }
  return withLock('bundle-build', async () => {
    const now = opts.force ? null : await reusable(dir, pins, log)
    if (now) return { dir, manifest: now, built: false, seconds: (Date.now() - t0) / 1000 }
    return build(opts, pins, dir, t0, log)
  }, 120 * 60_000)
}

async function build(opts: BuildOptions, pins: ReleasePins, dir: string, t0: number, log: (l: string) => void): Promise<BuildResult> {
  await ensureTools(log)
  rmSync(join(dir, MANIFEST_FILE), { force: true })
  const work = join(bundleCacheRoot(), 'work')
  mkdirSync(work, { recursive: true })
  const goEnv = { workDir: join(work, 'go'), log }
  const out = (c: string): string => join(work, 'out', c)

  // Go builds. kubeadm first: the images it will ask for must be the ones we are about to build.
  const k8sInfo = await moduleInfo('k8s.io/kubernetes', `v${pins.kubernetes}`, work)
  const comps = goComponents(pins, k8sInfo.commit, k8sInfo.goVersion ?? undefined)
  const built: Record<string, string[]> = {}
  for (const [name, c] of Object.entries(comps)) {
    built[name] = await goBuild(name, c, out(name), goEnv)
    if (name === 'kubeadm') await checkImageList(built.kubeadm![0]!, pins)
  }
  const bin = (comp: string, name: string): string => {
    const p = built[comp]!.find((b) => basename(b) === name)
    if (!p) throw new Error(`${comp} built no ${name}`)
    return p
  }

  // pause is C: compiled static from the k8s.io/kubernetes module's own source.
  const pauseDir = out('pause')
  mkdirSync(pauseDir, { recursive: true })
  log('pause: gcc -static build/pause/linux/pause.c')
  await run('gcc', ['-Os', '-static', `-DVERSION=v${pins.pause}`, '-o', join(pauseDir, 'pause'), join(k8sInfo.dir, 'build/pause/linux/pause.c')])
  await run('strip', [join(pauseDir, 'pause')])

  // Debian userland for the images that run iptables/conntrack or cp.
  const debDir = join(work, 'debs')
  const netfilterRoot = join(work, 'rootfs-netfilter')
  const busyboxRoot = join(work, 'rootfs-busybox')
  const nginxRoot = join(work, 'rootfs-nginx')
  const unpacked: string[] = []
  for (const [root, pkgs, closure] of [[netfilterRoot, DEBIAN_USERLAND, true], [busyboxRoot, BUSYBOX, true], [nginxRoot, NGINX, false]] as const) {
    rmSync(root, { recursive: true, force: true })
    const debs = await downloadDebs(pkgs, debDir, log, { closure })
    await unpackDebs(debs, root)
    unpacked.push(...debs)
  }
  const nginxDeb = unpacked.map((d) => basename(d)).find((f) => f.startsWith('nginx_'))
  const nginxVersion = /^nginx_([^_]+)_/.exec(nginxDeb ?? '')?.[1]?.replace(/%3a/gi, ':') ?? 'debian'
  for (const d of ['var/lib/nginx', 'var/log/nginx', 'usr/share/nginx/html', 'run']) mkdirSync(join(nginxRoot, d), { recursive: true })
  writeFileSync(join(nginxRoot, 'etc/nginx/nginx.conf'), NGINX_CONF)
  // nginx resolves its `user` through the C library: it needs passwd and group files.
  writeFileSync(join(nginxRoot, 'etc/passwd'), PASSWD)
  writeFileSync(join(nginxRoot, 'etc/group'), GROUP)
  writeFileSync(join(nginxRoot, 'usr/share/nginx/html/index.html'), `<h1>kubeplay: Debian nginx ${nginxVersion}</h1>\n`)

  // Assemble the bundle in a staging directory next to it, then swap it into place.
  const stage = `${dir}.tmp`
  rmSync(stage, { recursive: true, force: true })
  mkdirSync(stage, { recursive: true })
  const files: Array<{ path: string; kind: BundleFileKind }> = []
  const put = (src: string, rel: string, kind: BundleFileKind): void => {
    mkdirSync(dirname(join(stage, rel)), { recursive: true })
    copyFileSync(src, join(stage, rel))
    chmodSync(join(stage, rel), kind === 'bin' || kind === 'cni' ? 0o755 : 0o644)
    files.push({ path: rel, kind })
  }
  for (const b of ['kubeadm']) put(bin('kubeadm', b), `bin/${b}`, 'bin')
  for (const b of ['kubelet', 'kubectl']) put(bin('kubernetes', b), `bin/${b}`, 'bin')
  put(bin('crictl', 'crictl'), 'bin/crictl', 'bin')
  // For backups and restores on the masters (etcd-backup, etcd-restore): the etcd image's own tools.
  for (const b of ['etcdctl', 'etcdutl']) put(bin(b, b), `bin/${b}`, 'bin')
  for (const b of built.cniPlugins!) put(b, `cni/${basename(b)}`, 'cni')

  const manifestSrc = join((await moduleInfo(comps.flannel!.module, comps.flannel!.version, work)).dir, 'Documentation/kube-flannel.yml')
  const manifestSha = await sha256File(manifestSrc)
  if (manifestSha !== pins.flannel.manifestSha256) throw new Error(`${manifestSrc}: sha256 ${manifestSha}, expected the pinned ${pins.flannel.manifestSha256}`)
  put(manifestSrc, 'manifests/kube-flannel.yml', 'manifest')
  const metallbSrc = join((await moduleInfo(comps.metallb!.module, comps.metallb!.version, work)).dir, 'config/manifests/metallb-native.yaml')
  const metallbSha = await sha256File(metallbSrc)
  if (metallbSha !== pins.metallb.manifestSha256) throw new Error(`${metallbSrc}: sha256 ${metallbSha}, expected the pinned ${pins.metallb.manifestSha256}`)
  put(metallbSrc, 'manifests/metallb-native.yaml', 'manifest')
  const msBase = join((await moduleInfo(comps.metricsServer!.module, comps.metricsServer!.version, work)).dir, 'manifests/base')
  const msTexts = METRICS_SERVER_BASE_FILES.map((f) => readFileSync(join(msBase, f), 'utf8'))
  const msSha = metricsServerBaseSha256(msTexts)
  if (msSha !== pins.metricsServer.baseSha256) throw new Error(`${msBase}: sha256 ${msSha}, expected the pinned ${pins.metricsServer.baseSha256}`)
  const msManifest = join(work, 'metrics-server.yaml')
  writeFileSync(msManifest, metricsServerManifest(msTexts, imageRefs(pins).metricsServer))
  put(msManifest, 'manifests/metrics-server.yaml', 'manifest')

  const images: BundleImage[] = []
  const workload: ImageSpec = { ref: `${NGINX_IMAGE}:${nginxTag(nginxVersion)}`, rootfs: nginxRoot, entrypoint: ['/usr/sbin/nginx'] }
  for (const spec of [...imageSpecs(pins, { bin, pause: join(pauseDir, 'pause'), netfilterRoot, busyboxRoot }, join(work, 'rootfs')), workload]) {
    const rel = `images/${imageFileName(spec.ref)}`
    log(`image ${spec.ref}`)
    const { manifestDigest } = await writeImageArchive(spec, join(stage, rel))
    files.push({ path: rel, kind: 'image' })
    images.push({ ref: spec.ref, path: rel, manifestDigest })
  }

  const withSums: BundleFile[] = []
  for (const f of files) withSums.push({ ...f, sha256: await sha256File(join(stage, f.path)), size: statSync(join(stage, f.path)).size })
  const manifest: BundleManifest = {
    schema: BUNDLE_SCHEMA,
    kubernetes: pins.kubernetes,
    files: withSums,
    images,
    components: Object.fromEntries(Object.entries(comps).map(([n, c]) => [n, `${c.module}@${c.version}`])),
  }
  writeFileSync(join(stage, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dirname(dir), { recursive: true })
  renameSync(stage, dir)
  return { dir, manifest, built: true, seconds: (Date.now() - t0) / 1000 }
}

export { imageFileName, NGINX_IMAGE, nginxTag } from './images.ts'
