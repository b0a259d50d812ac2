/**
 * Waiting on the cluster through `kubectl` on the host: `kubectl wait` for a condition or `kubectl
 * rollout status` for a workload (the kubectlWait module, and the kubectl module's `wait`), and
 * whether there is a cluster to ask at all.
 */
import { sh, type ShellCommand, type ShellValue } from '../connection/quote.ts'
import type { ExecOptions } from '../connection/types.ts'
import { change, defineModule, noChange, type HostContext } from '../engine/module.ts'
import { CommandError, ModuleError, TimeoutError } from '../errors.ts'
import { kubectlAccess } from '../facts/kubectl.ts'

export const ADMIN_KUBECONFIG = '/etc/kubernetes/admin.conf'
export const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/
export const RESOURCE = /^[a-z0-9.-]+\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/i
export const asRoot: ExecOptions = { become: true }

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

export function validateWait(w: KubectlWaitSpec): void {
  if (!RESOURCE.test(w.resource)) throw new ModuleError('kubectl', `wait.resource: expected kind/name like deployment/controller, found '${w.resource}'`)
  if (w.for !== undefined && !/^(condition=|jsonpath=|delete$|create$)/.test(w.for)) throw new ModuleError('kubectl', `wait.for: expected condition=…, jsonpath=…, delete or create, found '${w.for}'`)
  if (w.namespace !== undefined && !NAME.test(w.namespace)) throw new ModuleError('kubectl', `wait.namespace: expected a DNS label, found '${w.namespace}'`)
  const t = w.timeoutSeconds
  if (t !== undefined && (!Number.isInteger(t) || t < 0)) throw new ModuleError('kubectl', `wait.timeoutSeconds: expected a whole number ≥ 0, found ${t}`)
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

/**
 * No cluster to ask (no kubectl, no kubeconfig, the manifest file not fetched yet): in check mode a
 * planned change, since an earlier task of the same run would create it; in a real run an error that
 * says which earlier role was expected to.
 */
export async function unavailable(host: HostContext, p: { readonly kubeconfig?: string }): Promise<string | null> {
  const kubeconfig = p.kubeconfig ?? ADMIN_KUBECONFIG
  const access = await host.fact(kubectlAccess, kubeconfig)
  const why = !access.kubectl ? 'kubectl not installed yet'
    : !access.kubeconfig ? `cluster not initialised yet (no ${kubeconfig})` : null
  if (why && !host.checkMode) {
    throw new ModuleError('kubectl', `${host.name}: ${why}: expected kubectl and a readable ${kubeconfig} (the kubernetes-master role creates them)`)
  }
  return why
}

export async function runWait(host: HostContext, w: KubectlWaitSpec, kubeconfig?: string, namespace?: string): Promise<void> {
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
    const why = await unavailable(host, { kubeconfig: p.kubeconfig })
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
