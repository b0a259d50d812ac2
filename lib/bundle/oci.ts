/**
 * OCI image archives without a registry or a container engine: a root filesystem directory becomes
 * one uncompressed layer, plus an image config and manifest, in an OCI image layout tarball that
 * `ctr -n k8s.io images import` reads. The image name rides on the index annotation containerd
 * uses (`io.containerd.image.name`), so the imported image is the exact reference kubeadm and the
 * manifests ask for and nothing is ever pulled.
 */
import { createHash } from 'node:crypto'
import { createReadStream, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { run } from '../lab/exec.ts'

export interface ImageSpec {
  /** Full reference: `registry.k8s.io/kube-apiserver:v1.31.4`. */
  readonly ref: string
  /** Directory whose content is the image's root filesystem. */
  readonly rootfs: string
  readonly entrypoint?: readonly string[]
  readonly cmd?: readonly string[]
  readonly env?: readonly string[]
  /** Numeric user (distroless images run some components as 65532). @default '0' */
  readonly user?: string
}

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
} as const

const DEFAULT_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']
/** Fixed timestamps: the same inputs give the same digests, so a rebuilt bundle uploads nothing. */
const EPOCH = '1970-01-01T00:00:00Z'

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer)
  return h.digest('hex')
}

export const sha256Text = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex')

/** Pure: the tag of a reference (`registry.k8s.io/pause:3.10` → `3.10`). */
export function refTag(ref: string): string {
  const m = /:([\w][\w.-]{0,127})$/.exec(ref.slice(ref.lastIndexOf('/') + 1))
  if (!m) throw new Error(`image reference without a tag: ${ref}`)
  return m[1]!
}

/** Pure: the config, manifest and index documents for one layer. */
export function imageDocuments(spec: Omit<ImageSpec, 'rootfs'>, layer: { digest: string; size: number }): {
  config: string; manifest: (configDigest: string, configSize: number) => string; index: (manifestDigest: string, manifestSize: number) => string
} {
  const config = JSON.stringify({
    created: EPOCH,
    architecture: 'amd64',
    os: 'linux',
    config: {
      Env: spec.env ?? DEFAULT_ENV,
      ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
      ...(spec.cmd ? { Cmd: spec.cmd } : {}),
      User: spec.user ?? '0',
      WorkingDir: '/',
    },
    rootfs: { type: 'layers', diff_ids: [`sha256:${layer.digest}`] },
    history: [{ created: EPOCH, created_by: 'kubeplay bundle' }],
  })
  return {
    config,
    manifest: (configDigest, configSize) => JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, digest: `sha256:${configDigest}`, size: configSize },
      layers: [{ mediaType: MEDIA.layer, digest: `sha256:${layer.digest}`, size: layer.size }],
    }),
    index: (manifestDigest, manifestSize) => JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.index,
      manifests: [{
        mediaType: MEDIA.manifest,
        digest: `sha256:${manifestDigest}`,
        size: manifestSize,
        platform: { architecture: 'amd64', os: 'linux' },
        annotations: { 'io.containerd.image.name': spec.ref, 'org.opencontainers.image.ref.name': refTag(spec.ref) },
      }],
    }),
  }
}

/** Deterministic tar of a directory's content (root-owned, mtime 0, sorted). */
export async function tarDir(dir: string, out: string): Promise<void> {
  await run('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--format=posix',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime', '-C', dir, '-cf', out, '.'])
}

/**
 * Writes the image archive to `out` (atomically: a temp file renamed into place) and returns the
 * manifest digest, which is what containerd reports as the image's id.
 */
export async function writeImageArchive(spec: ImageSpec, out: string): Promise<{ manifestDigest: string }> {
  mkdirSync(dirname(out), { recursive: true })
  const work = mkdtempSync(join(dirname(out), '.oci-'))
  try {
    const blobs = join(work, 'layout', 'blobs', 'sha256')
    mkdirSync(blobs, { recursive: true })
    const layerTmp = join(work, 'layer.tar')
    await tarDir(spec.rootfs, layerTmp)
    const layer = { digest: await sha256File(layerTmp), size: statSync(layerTmp).size }
    renameSync(layerTmp, join(blobs, layer.digest))
    const docs = imageDocuments(spec, layer)
    const blob = (text: string): { digest: string; size: number } => {
      const digest = sha256Text(text)
      writeFileSync(join(blobs, digest), text)
      return { digest, size: Buffer.byteLength(text) }
    }
    const config = blob(docs.config)
    const manifest = blob(docs.manifest(config.digest, config.size))
    writeFileSync(join(work, 'layout', 'index.json'), docs.index(manifest.digest, manifest.size))
    writeFileSync(join(work, 'layout', 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
    const tmp = join(work, 'image.tar')
    await tarDir(join(work, 'layout'), tmp)
    renameSync(tmp, out)
    return { manifestDigest: `sha256:${manifest.digest}` }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
