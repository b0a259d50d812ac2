/**
 * The bundle's typed manifest (`bundle.json`): every file with its sha256 and size, the image
 * references each archive provides, and the upstream module versions it was built from. The
 * kubernetes roles read it on the controller and compare sha256s with the hosts' files, so only
 * what differs is uploaded.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { sha256File } from './oci.ts'

/** Raised whenever the builder's output changes (format or content): older bundles are rebuilt. */
export const BUNDLE_SCHEMA = 5

export type BundleFileKind = 'bin' | 'cni' | 'image' | 'manifest'

export interface BundleFile {
  /** Relative to the bundle directory: `bin/kubeadm`, `images/kube-apiserver.tar`. */
  readonly path: string
  readonly kind: BundleFileKind
  readonly sha256: string
  readonly size: number
}

export interface BundleImage {
  /** `registry.k8s.io/kube-apiserver:v1.31.4` */
  readonly ref: string
  /** The archive in `files`. */
  readonly path: string
  /** What containerd reports as the image's target digest after import. */
  readonly manifestDigest: string
}

export interface BundleManifest {
  readonly schema: typeof BUNDLE_SCHEMA
  /** `1.31.4` */
  readonly kubernetes: string
  readonly files: readonly BundleFile[]
  readonly images: readonly BundleImage[]
  /** component → `module@version` it was built from. */
  readonly components: Readonly<Record<string, string>>
}

export const MANIFEST_FILE = 'bundle.json'

/** Default cache of built bundles; `KUBEPLAY_BUNDLE_CACHE` moves it. */
export function bundleCacheRoot(): string {
  return process.env.KUBEPLAY_BUNDLE_CACHE ?? '/var/cache/kubeplay-bundle'
}

/** Where the bundle of a release lives by default. */
export function defaultBundleDir(kubernetes: string): string {
  return join(bundleCacheRoot(), `v${kubernetes.replace(/^v/, '')}`)
}

/** Pure: the problems of a parsed bundle.json (empty when it is usable). */
export function manifestProblems(m: unknown): string[] {
  const o = m as Partial<BundleManifest> | null
  if (!o || typeof o !== 'object') return ['not a JSON object']
  const problems: string[] = []
  if (o.schema !== BUNDLE_SCHEMA) problems.push(`schema: expected ${BUNDLE_SCHEMA}, found ${JSON.stringify(o.schema)}`)
  if (typeof o.kubernetes !== 'string' || !/^\d+\.\d+\.\d+$/.test(o.kubernetes)) problems.push(`kubernetes: expected a release like 1.31.4, found ${JSON.stringify(o.kubernetes)}`)
  if (!Array.isArray(o.files)) problems.push('files: expected a list')
  else {
    for (const [i, f] of o.files.entries()) {
      if (typeof f?.path !== 'string' || f.path.startsWith('/') || f.path.split('/').includes('..')) problems.push(`files[${i}].path: expected a relative path, found ${JSON.stringify(f?.path)}`)
      if (typeof f?.sha256 !== 'string' || !/^[a-f0-9]{64}$/.test(f.sha256)) problems.push(`files[${i}].sha256: expected 64 hex digits, found ${JSON.stringify(f?.sha256)}`)
    }
  }
  if (!Array.isArray(o.images)) problems.push('images: expected a list')
  else if (Array.isArray(o.files)) {
    for (const img of o.images) if (!o.files.some((f) => f.path === img.path)) problems.push(`images: ${img.ref} names ${img.path}, which is not in files`)
  }
  return problems
}

/** Reads and checks bundle.json; throws naming the file and every problem. */
export function readBundleManifest(dir: string): BundleManifest {
  const path = join(dir, MANIFEST_FILE)
  if (!existsSync(path)) throw new Error(`${path}: no bundle here (build one with: npm run bundle -- --kubernetes VERSION)`)
  let parsed: unknown
  try { parsed = JSON.parse(readFileSync(path, 'utf8')) } catch (e) { throw new Error(`${path}: not JSON (${(e as Error).message})`) }
  const problems = manifestProblems(parsed)
  if (problems.length) throw new Error(`${path}: ${problems.join('; ')}`)
  return parsed as BundleManifest
}

/** Files whose size or sha256 differ from the manifest (empty: the bundle is intact). */
export async function verifyBundle(dir: string, m: BundleManifest, opts: { quick?: boolean } = {}): Promise<string[]> {
  const bad: string[] = []
  for (const f of m.files) {
    const p = join(dir, f.path)
    if (!existsSync(p)) { bad.push(`${f.path}: missing`); continue }
    if (statSync(p).size !== f.size) { bad.push(`${f.path}: size ${statSync(p).size}, expected ${f.size}`); continue }
    if (!opts.quick && (await sha256File(p)) !== f.sha256) bad.push(`${f.path}: sha256 differs from bundle.json`)
  }
  return bad
}
