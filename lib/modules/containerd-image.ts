/**
 * An OCI image archive from the controller imported into containerd (the `k8s.io` namespace is
 * the one the kubelet's CRI sees), for hosts that pull from no registry. The image is identified
 * by reference and manifest digest: the archive is sent and imported only when containerd has no
 * image of that name at that digest, and removed from the host once imported.
 */
import { readFileSync } from 'node:fs'
import { sh } from '../connection/quote.ts'
import { change, defineModule, noChange } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'

export interface ContainerdImageParams {
  /** `registry.k8s.io/kube-apiserver:v1.31.4` */
  readonly ref: string
  /** `sha256:…` of the image manifest, as containerd reports it after import. */
  readonly digest: string
  /** The OCI archive on the controller. */
  readonly archive: string
  /** containerd namespace. @default 'k8s.io' */
  readonly namespace?: string
}

/** Pure: the digest of `ref` in `ctr images ls` output (REF TYPE DIGEST …), or null. */
export function digestInList(stdout: string, ref: string): string | null {
  for (const line of stdout.split('\n')) {
    const cols = line.trim().split(/\s+/)
    if (cols[0] === ref && cols[2]?.startsWith('sha256:')) return cols[2]
  }
  return null
}

const STAGING = '/var/tmp/kubeplay-images'

export const containerdImage = defineModule<ContainerdImageParams>({
  name: 'containerdImage',
  async check(host, p) {
    if (!/^sha256:[a-f0-9]{64}$/.test(p.digest)) throw new ModuleError('containerdImage', `${p.ref}: digest: expected sha256:<64 hex digits>, found '${p.digest}'`)
    const ns = p.namespace ?? 'k8s.io'
    const r = await host.exec(sh`command -v ctr >/dev/null 2>&1 || exit 127; ctr -n ${ns} images ls name==${p.ref}`)
    if (r.code === 127 || (r.code !== 0 && /connect|no such file|connection refused/i.test(r.stderr))) {
      if (host.checkMode) return change(`import ${p.ref} (containerd is not running yet)`)
      throw new ModuleError('containerdImage', `${host.name}: containerd is not answering (${r.code === 127 ? 'no ctr on the PATH' : r.stderr.trim()}): run the containerd role first`)
    }
    if (r.code !== 0) throw new ModuleError('containerdImage', `${host.name}: ctr images ls: exit ${r.code}: ${r.stderr.trim()}`)
    const have = digestInList(r.stdout, p.ref)
    if (have === p.digest) return noChange(`${p.ref} present (${p.digest.slice(0, 19)}…)`)
    return change(have ? `re-import ${p.ref} (containerd has ${have.slice(0, 19)}…)` : `import ${p.ref}`)
  },
  async apply(host, p) {
    const ns = p.namespace ?? 'k8s.io'
    const file = `${STAGING}/${p.digest.slice(7, 23)}.tar`
    await host.run(sh`mkdir -p ${STAGING} && chmod 0700 ${STAGING}`)
    await host.conn.writeFile(file, readFileSync(p.archive), { mode: '0600' })
    try {
      await host.run(sh`ctr -n ${ns} images import ${file}`, { timeoutMs: 10 * 60_000 })
    } finally {
      await host.exec(sh`rm -f ${file}`)
    }
    const after = digestInList((await host.run(sh`ctr -n ${ns} images ls name==${p.ref}`)).stdout, p.ref)
    if (after !== p.digest) throw new ModuleError('containerdImage', `${host.name}: imported ${p.archive}, but containerd reports ${p.ref} at ${after ?? 'no digest'}, expected ${p.digest}`)
  },
})
