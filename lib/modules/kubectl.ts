/**
 * Kubernetes objects in the desired state, through `kubectl` on the host (the first master), never
 * from the controller: the controller needs no route to the API server, only SSH. `check` is
 * `kubectl diff --server-side` (exit 0: nothing differs, 1: differs, >1: error); `apply` is
 * `kubectl apply --server-side --force-conflicts` of exactly the same manifest. See docs/kubectl.md.
 */
import { sh, type ShellCommand, type ShellValue } from '../connection/quote.ts'
import { Secret, isSecret, reveal } from '../secret.ts'
import type { ExecOptions } from '../connection/types.ts'
import { change, defineModule, noChange, type FileDiff, type HostContext } from '../engine/module.ts'
import { CommandError, ModuleError, TimeoutError } from '../errors.ts'
import { kubectlAccess } from '../facts/kubectl.ts'
import { fetchOnHost, validateFetch } from './download.ts'

export const ADMIN_KUBECONFIG = '/etc/kubernetes/admin.conf'
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

/** `kubectl wait` for a condition, or `kubectl rollout status` for a workload. */
export interface KubectlWaitSpec {
  /** `deployment/controller`, `daemonset/speaker`. */
  readonly resource: string
  /** `condition=Available`, `jsonpath={.status.phase}=Running`; omitted: `kubectl rollout status`. */
  readonly for?: string
  /** @default the module's namespace */
  readonly namespace?: string
  /** @default 300 */
  readonly timeoutSeconds?: number
}

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

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/
const RESOURCE = /^[a-z0-9.-]+\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/i

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
  return /failed calling webhook/.test(stderr) && /connection refused|no endpoints available|context deadline exceeded|i\/o timeout|x509|EOF|service .* not found/.test(stderr)
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

export function validateWait(w: KubectlWaitSpec): void {
  if (!RESOURCE.test(w.resource)) throw new ModuleError('kubectl', `wait.resource: expected kind/name like deployment/controller, found '${w.resource}'`)
  if (w.for !== undefined && !/^(condition=|jsonpath=|delete$|create$)/.test(w.for)) throw new ModuleError('kubectl', `wait.for: expected condition=…, jsonpath=…, delete or create, found '${w.for}'`)
  if (w.namespace !== undefined && !NAME.test(w.namespace)) throw new ModuleError('kubectl', `wait.namespace: expected a DNS label, found '${w.namespace}'`)
  const t = w.timeoutSeconds
  if (t !== undefined && (!Number.isInteger(t) || t < 0)) throw new ModuleError('kubectl', `wait.timeoutSeconds: expected a whole number ≥ 0, found ${t}`)
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

/** Pure: `kubectl wait` / `kubectl rollout status`; `timeoutSeconds: 0` checks once. */
export function waitCommand(w: KubectlWaitSpec, kubeconfig = ADMIN_KUBECONFIG, namespace?: string, timeoutSeconds = w.timeoutSeconds ?? 300): ShellCommand {
  const ns = w.namespace ?? namespace
  const base: ShellValue[] = [`--kubeconfig=${kubeconfig}`, ...(ns ? ['-n', ns] : [])]
  if (w.for === undefined) {
    // rollout status: timeout 0 means "forever" there; --watch=false reports once instead.
    const how = timeoutSeconds === 0 ? ['--watch=false'] : [`--timeout=${timeoutSeconds}s`]
    return sh`kubectl ${base} rollout status ${how} ${w.resource}`
  }
  return sh`kubectl ${base} wait ${`--for=${w.for}`} ${`--timeout=${timeoutSeconds}s`} ${w.resource}`
}

export function describeWait(w: KubectlWaitSpec): string {
  return w.for === undefined ? `rollout of ${w.resource}` : `${w.resource} ${w.for}`
}

/** One object's section of a `kubectl diff`: `apps.v1.Deployment.metallb-system.controller`. */
export interface ObjectDiff {
  readonly object: string
  readonly before: string
  readonly after: string
}

/**
 * Pure: a `kubectl diff` (unified diffs of LIVE vs MERGED files, one per object) split into per-object
 * before/after texts, so the engine shows and masks it like any file diff.
 */
export function parseKubectlDiff(text: string): ObjectDiff[] {
  const out: ObjectDiff[] = []
  let cur: { object: string; before: string[]; after: string[] } | null = null
  const flush = (): void => { if (cur) out.push({ object: cur.object, before: cur.before.join('\n'), after: cur.after.join('\n') }) }
  for (const line of text.split('\n')) {
    const head = /^diff .*?(\S+)\s+\S+$/.exec(line)
    if (head) {
      flush()
      cur = { object: head[1]!.split('/').pop()!, before: [], after: [] }
      continue
    }
    if (!cur || /^(---|\+\+\+|@@) /.test(line) || line.startsWith('\\ No newline')) continue
    if (line.startsWith('-')) cur.before.push(line.slice(1))
    else if (line.startsWith('+')) cur.after.push(line.slice(1))
    else if (line.startsWith(' ') || line === '') { cur.before.push(line.slice(1)); cur.after.push(line.slice(1)) }
  }
  flush()
  return out
}

/** Pure: per-object diffs as one FileDiff (a `# object` header before each), for the report. */
export function objectsDiff(objects: readonly ObjectDiff[], label: string): FileDiff {
  const join = (side: 'before' | 'after'): string => objects.map((o) => `# ${o.object}\n${o[side]}`).join('\n')
  return { path: label, before: join('before'), after: join('after') }
}

function label(m: ManifestSource): string {
  if (typeof m === 'string' || isSecret(m)) return 'manifest'
  return 'path' in m ? m.path : m.url
}

/** Pure: summary of what would change. */
export function diffSummary(objects: readonly ObjectDiff[]): string {
  const names = objects.map((o) => o.object)
  const shown = names.slice(0, 4).join(', ') + (names.length > 4 ? `, +${names.length - 4} more` : '')
  return `apply ${names.length} object${names.length === 1 ? '' : 's'} (${shown})`
}

const asRoot: ExecOptions = { become: true }

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

/**
 * No cluster to ask (no kubectl, no kubeconfig, the manifest file not fetched yet): in check mode a
 * planned change, since an earlier task of the same run would create it; in a real run an error that
 * says which earlier role was expected to.
 */
async function unavailable(host: HostContext, p: KubectlParams): Promise<string | null> {
  const kubeconfig = p.kubeconfig ?? ADMIN_KUBECONFIG
  const access = await host.fact(kubectlAccess, kubeconfig)
  const why = !access.kubectl ? 'kubectl not installed yet'
    : !access.kubeconfig ? `cluster not initialised yet (no ${kubeconfig})` : null
  if (why && !host.checkMode) {
    throw new ModuleError('kubectl', `${host.name}: ${why}: expected kubectl and a readable ${kubeconfig} (the kubernetes-master role creates them)`)
  }
  return why
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

async function runWait(host: HostContext, w: KubectlWaitSpec, kubeconfig?: string, namespace?: string): Promise<void> {
  const secs = w.timeoutSeconds ?? 300
  const cmd = waitCommand(w, kubeconfig, namespace, secs)
  const r = await host.exec(cmd, { ...asRoot, timeoutMs: secs * 1000 + 30_000 })
  if (r.code === 0) return
  if (/timed out/i.test(r.stderr)) throw new TimeoutError(host.name, `waiting for ${describeWait(w)}`, secs * 1000)
  throw new CommandError(host.name, cmd.masked, r.code, r.stdout, r.stderr)
}

export interface KubectlWaitParams extends KubectlWaitSpec {
  /** @default '/etc/kubernetes/admin.conf' */
  readonly kubeconfig?: string
}

/**
 * Waits until a condition holds or a rollout is complete. Waiting is not a change: `check` looks once
 * (`--timeout=0s`), `apply` waits and reports ok.
 */
export const kubectlWait = defineModule<KubectlWaitParams, undefined>({
  name: 'kubectlWait',
  async check(host, p) {
    validateWait(p)
    const why = await unavailable(host, { manifest: '-', kubeconfig: p.kubeconfig })
    if (why) return change(`${why}: wait for ${describeWait(p)}`)
    const r = await host.exec(waitCommand(p, p.kubeconfig, undefined, 0), asRoot)
    const done = r.code === 0 && (p.for !== undefined || /successfully rolled out/.test(r.stdout))
    return done ? noChange(`${describeWait(p)}: ready`) : change(`wait for ${describeWait(p)}`)
  },
  async apply(host, p) {
    await runWait(host, p, p.kubeconfig)
    return { changed: false }
  },
})
