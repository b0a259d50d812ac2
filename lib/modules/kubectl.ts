/**
 * Kubernetes objects in the desired state, through `kubectl` on the host (the first master), never
 * from the controller: the controller needs no route to the API server, only SSH. `check` is
 * `kubectl diff --server-side` (exit 0: nothing differs, 1: differs, >1: error); `apply` is
 * `kubectl apply --server-side --force-conflicts` of exactly the same manifest. See docs/kubectl.md.
 */
import { sh, type ShellCommand, type ShellValue } from '../connection/quote.ts'
import { Secret, isSecret, reveal } from '../secret.ts'
import { change, defineModule, noChange, type HostContext } from '../engine/module.ts'
import { CommandError, ModuleError } from '../errors.ts'
import { fetchOnHost, validateFetch } from './download.ts'
import { diffSummary, objectsDiff, parseKubectlDiff, type ObjectDiff } from './kubectl-diff.ts'
import {
  ADMIN_KUBECONFIG, asRoot, describeWait, kubectlWait, NAME, runWait, unavailable, validateWait, waitCommand,
  type KubectlWaitParams, type KubectlWaitSpec,
} from './kubectl-wait.ts'

export { diffSummary, objectsDiff, parseKubectlDiff, type ObjectDiff }
export { ADMIN_KUBECONFIG, kubectlWait, validateWait, waitCommand, describeWait, type KubectlWaitParams, type KubectlWaitSpec }

export const MANIFEST_DIR = '/etc/kubeplay/manifests'

/** A manifest fetched on the host by URL, pinned by sha256, kept at `dest` and applied from there. */
export interface RemoteManifest {
  readonly url: string
  readonly sha256: string
  /** @default `/etc/kubeplay/manifests/<first 16 digits of sha256>.yaml` */
  readonly dest?: string
}

/** YAML text (a Secret when it holds one: never printed), a file already on the host, or a pinned URL. */
export type ManifestSource = string | Secret | { readonly path: string } | RemoteManifest

export interface KubectlParams {
  /** YAML text (or a Secret), a file already on the host (`{ path }`), or a pinned download (`{ url, sha256 }`). */
  readonly manifest: ManifestSource
  /** @default '/etc/kubernetes/admin.conf' */
  readonly kubeconfig?: string
  /** Namespace for objects that name none (`kubectl -n`). */
  readonly namespace?: string
  /** Server-side apply field manager. @default 'kubeplay' */
  readonly fieldManager?: string
  /** Delete objects with this label selector that the manifest no longer lists. @default false */
  readonly prune?: false | { readonly selector: string }
  /** After an apply, wait for this (a no-op wait when nothing was applied). */
  readonly wait?: KubectlWaitSpec
  /**
   * The objects pass an admission webhook that may still be starting (MetalLB's, right after its
   * install: the Deployment is Available before its webhook serves): a diff or apply refused because
   * the webhook does not answer is asked again every 2 s for up to this many seconds. @default 0
   */
  readonly webhookWaitSeconds?: number
}

export interface KubectlPlan {
  /** `-f -` with stdin, or `-f <path>`. */
  readonly fetch?: RemoteManifest & { readonly dest: string }
}


/** Pure: the parameters' problems as one ModuleError, before anything runs. */
export function validateKubectl(p: KubectlParams): void {
  const m = p.manifest
  if (typeof m === 'string' || isSecret(m)) {
    if (reveal(m).trim() === '') throw new ModuleError('kubectl', 'manifest: expected YAML text, found an empty string')
  } else if (typeof m === 'object' && m !== null && 'path' in m) {
    if (!m.path.startsWith('/')) throw new ModuleError('kubectl', `manifest.path: expected an absolute path, found '${m.path}'`)
  } else if (typeof m === 'object' && m !== null && 'url' in m) {
    validateFetch('kubectl', { url: m.url, sha256: m.sha256, dest: remoteDest(m) })
  } else {
    throw new ModuleError('kubectl', `manifest: expected YAML text, { path } or { url, sha256 }, found ${JSON.stringify(m)}`)
  }
  if (p.namespace !== undefined && !NAME.test(p.namespace)) throw new ModuleError('kubectl', `namespace: expected a DNS label, found '${p.namespace}'`)
  if (p.fieldManager !== undefined && !/^[\w.-]{1,128}$/.test(p.fieldManager)) throw new ModuleError('kubectl', `fieldManager: expected letters, digits, . _ -, found '${p.fieldManager}'`)
  if (p.prune && !p.prune.selector.trim()) throw new ModuleError('kubectl', 'prune.selector: expected a label selector, found an empty string')
  if (p.wait) validateWait(p.wait)
  const ww = p.webhookWaitSeconds
  if (ww !== undefined && (!Number.isInteger(ww) || ww < 0)) throw new ModuleError('kubectl', `webhookWaitSeconds: expected a whole number ≥ 0, found ${ww}`)
}

/** Pure: kubectl's stderr says an admission webhook did not answer (not that it refused the objects). */
export function webhookNotAnswering(stderr: string): boolean {
  return /failed calling webhook/.test(stderr) && /connection refused|connection reset by peer|no endpoints available|context deadline exceeded|i\/o timeout|x509|EOF|service .* not found/.test(stderr)
}

/** Runs `cmd`; while a webhook does not answer and `p.webhookWaitSeconds` allows, again every 2 s. */
async function execAdmitted(host: HostContext, p: KubectlParams, cmd: ShellCommand, stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const deadline = Date.now() + (p.webhookWaitSeconds ?? 0) * 1000
  for (;;) {
    const r = await host.exec(cmd, { ...asRoot, stdin })
    if (r.code === 0 || !webhookNotAnswering(r.stderr) || Date.now() >= deadline) return r
    await new Promise((res) => setTimeout(res, 2000))
  }
}

function remoteDest(m: RemoteManifest): string {
  return m.dest ?? `${MANIFEST_DIR}/${m.sha256.toLowerCase().slice(0, 16)}.yaml`
}

/** Pure: `-f -` (+ stdin) or `-f <path>` for a manifest source. */
export function manifestInput(m: ManifestSource): { args: ShellValue[]; stdin?: string } {
  if (typeof m === 'string' || isSecret(m)) return { args: ['-f', '-'], stdin: reveal(m) }
  if ('path' in m) return { args: ['-f', m.path] }
  return { args: ['-f', remoteDest(m)] }
}

function common(p: KubectlParams): ShellValue[] {
  return [`--kubeconfig=${p.kubeconfig ?? ADMIN_KUBECONFIG}`, ...(p.namespace ? ['-n', p.namespace] : [])]
}

function pruneArgs(p: KubectlParams): string[] {
  return p.prune ? ['--prune', `--selector=${p.prune.selector}`] : []
}

/** Pure: the `kubectl diff` that decides whether anything changes. */
export function diffCommand(p: KubectlParams): ShellCommand {
  return sh`kubectl ${common(p)} diff --server-side ${`--field-manager=${p.fieldManager ?? 'kubeplay'}`} ${pruneArgs(p)} ${manifestInput(p.manifest).args}`
}

/** Pure: the `kubectl apply` that makes it so. */
export function applyCommand(p: KubectlParams): ShellCommand {
  return sh`kubectl ${common(p)} apply --server-side ${`--field-manager=${p.fieldManager ?? 'kubeplay'}`} --force-conflicts ${pruneArgs(p)} ${manifestInput(p.manifest).args}`
}

function label(m: ManifestSource): string {
  if (typeof m === 'string' || isSecret(m)) return 'manifest'
  return 'path' in m ? m.path : m.url
}


/**
 * Pure: when `kubectl diff` fails because the manifest itself creates what the dry run needs (its
 * Namespace, its CRDs), what is missing; null for any other error. The server-side dry run checks
 * every object alone, so a first install of a manifest with a Namespace always fails this way.
 */
export function notYetThere(stderr: string): string | null {
  const ns = /namespaces? "([^"]+)" not found/.exec(stderr)
  if (ns) return `namespace ${ns[1]}`
  const kind = /no matches for kind "([^"]+)"/.exec(stderr) ?? /the server could not find the requested resource.*?\(([^)]*)\)/.exec(stderr)
  if (kind) return `resource type ${kind[1]}`
  return /ensure CRDs are installed first/.test(stderr) ? 'a CRD' : null
}

export const kubectl = defineModule<KubectlParams, KubectlPlan>({
  name: 'kubectl',
  async check(host, p) {
    validateKubectl(p)
    const m = p.manifest
    const fetch = typeof m === 'object' && 'url' in m ? { ...m, dest: remoteDest(m) } : undefined
    const why = await unavailable(host, p)
    if (why) return change(`${why}: apply ${label(m)}`, { data: { fetch } })
    if (fetch) {
      const r = await host.exec(sh`[ -f ${fetch.dest} ] && sha256sum < ${fetch.dest} | cut -d' ' -f1`, asRoot)
      if (r.stdout.trim() !== fetch.sha256.toLowerCase()) return change(`fetch ${fetch.url} to ${fetch.dest} and apply it`, { data: { fetch } })
    }
    if (typeof m === 'object' && 'path' in m) {
      const r = await host.exec(sh`[ -f ${m.path} ]`, asRoot)
      if (r.code !== 0) {
        if (host.checkMode) return change(`${m.path} not there yet: apply it`, { data: {} })
        throw new ModuleError('kubectl', `${host.name}: manifest.path: expected a file, found nothing at ${m.path}`)
      }
    }
    const input = manifestInput(m)
    const r = await execAdmitted(host, p, diffCommand(p), input.stdin)
    if (r.code === 0) return noChange(`${label(m)}: every object already as declared`)
    const missing = r.code !== 0 && !r.stdout.trim() ? notYetThere(r.stderr) : null
    if (missing) return change(`${missing} not there yet (the apply creates it): apply ${label(m)}`, { data: {} })
    if (r.code !== 1) throw new CommandError(host.name, diffCommand(p).masked, r.code, r.stdout, r.stderr)
    const objects = parseKubectlDiff(r.stdout)
    return change(objects.length ? diffSummary(objects) : `apply ${label(m)}`, { diff: objectsDiff(objects, `kubectl diff ${label(m)}`), data: {} })
  },
  async apply(host, p, plan) {
    if (plan.data.fetch) await fetchOnHost(host, 'kubectl', plan.data.fetch)
    const input = manifestInput(p.manifest)
    const r = await execAdmitted(host, p, applyCommand(p), input.stdin)
    if (r.code !== 0) throw new CommandError(host.name, applyCommand(p).masked, r.code, r.stdout, r.stderr)
    if (p.wait) await runWait(host, p.wait, p.kubeconfig, p.namespace)
    return { output: r.stdout }
  },
})
