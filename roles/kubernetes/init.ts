/**
 * `kubeadm init` on the first master, guarded by what the cluster really is rather than by a file:
 * kubeadm writes admin.conf early (kubeconfig phase), so a failed or timed-out init leaves it behind
 * and a file guard would never retry. The state is read on the host, in this order:
 *
 * - no admin.conf: init (after `kubeadm reset` if a failed attempt left manifests or etcd data);
 * - the API answers: done when cluster-info (kube-public), kube-proxy and CoreDNS exist; otherwise
 *   the phases after the control plane are run again (each creates or updates: idempotent);
 * - the API does not answer: etcd is asked directly. No etcd data, or etcd holding no kubeadm
 *   configuration (init never reached upload-config): nothing was ever served, so reset and init
 *   again. etcd holding a cluster: never reset (that would destroy it); the error says what to check.
 */
import { sh } from '../../lib/connection/quote.ts'
import { change, defineModule, noChange, type HostContext } from '../../lib/engine/module.ts'
import { CommandError, ModuleError } from '../../lib/errors.ts'
import { etcdctlInContainer } from './etcd.ts'
import { ADMIN_CONF } from './join.ts'

export interface KubeadmInitParams {
  /** The kubeadm config file on the host. */
  readonly config: string
  /** How long apply waits for an API that does not answer yet. @default 240000 */
  readonly apiWaitMs?: number
}

export type InitState =
  | { readonly kind: 'done' }
  | { readonly kind: 'fresh'; readonly leftovers: boolean }
  | { readonly kind: 'unfinished'; readonly missing: readonly string[] }
  | { readonly kind: 'api-down' }

const KUBECTL = sh`kubectl --kubeconfig=${ADMIN_CONF} --request-timeout=10s`
/** The phases after wait-control-plane, as `kubeadm init` runs them. */
export const FINISH_PHASES = ['upload-config all', 'upload-certs --upload-certs', 'mark-control-plane', 'bootstrap-token', 'kubelet-finalize all', 'addon all'] as const

/** Pure: which of the late init products are missing from `kubectl get` output lines (`kind/name`). */
export function missingProducts(found: string): string[] {
  const have = new Set(found.split('\n').map((l) => l.trim()).filter(Boolean))
  return ['configmap/cluster-info', 'daemonset.apps/kube-proxy', 'deployment.apps/coredns'].filter((x) => !have.has(x))
}

export async function initState(h: HostContext): Promise<InitState> {
  const r = await h.exec(sh`test -f ${ADMIN_CONF} || { ls /etc/kubernetes/manifests/*.yaml /var/lib/etcd/member >/dev/null 2>&1 && exit 3; exit 2; }
${KUBECTL} get --raw=/readyz >/dev/null 2>&1 || exit 4
{ ${KUBECTL} -n kube-public get configmap cluster-info -o name; ${KUBECTL} -n kube-system get daemonset/kube-proxy deployment/coredns -o name; } 2>/dev/null; exit 0`)
  if (r.code === 2) return { kind: 'fresh', leftovers: false }
  if (r.code === 3) return { kind: 'fresh', leftovers: true }
  if (r.code === 4) return { kind: 'api-down' }
  if (r.code !== 0) throw new CommandError(h.name, 'read the cluster state', r.code, r.stdout, r.stderr)
  const missing = missingProducts(r.stdout)
  return missing.length ? { kind: 'unfinished', missing } : { kind: 'done' }
}

/**
 * With the API down: does etcd hold a cluster? 'none' (no data, or etcd answers without kubeadm's
 * configuration), 'cluster', or 'unknown' (data on disk, etcd not answering).
 */
export async function etcdHoldsCluster(h: HostContext): Promise<'none' | 'cluster' | 'unknown'> {
  const r = await h.exec(sh`[ -d /var/lib/etcd/member ] || exit 2
${etcdctlInContainer(['get', '/registry/configmaps/kube-system/kubeadm-config', '--keys-only'])}`)
  if (r.code === 2) return 'none'
  if (r.code === 0) return r.stdout.trim() ? 'cluster' : 'none'
  return 'unknown'
}

/**
 * Pure: kubeadm output with bootstrap tokens and certificate keys replaced by `***`. Phases run one
 * by one print them (`Using token: …`), and they are not Secrets kubeplay created, so nothing else
 * would mask them in an error or the run record.
 */
export function redactKubeadm(text: string): string {
  return text.replace(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g, '***').replace(/\b[a-f0-9]{64}\b/g, '***')
}

async function runOrThrow(h: HostContext, cmd: ReturnType<typeof sh>, timeoutMs = 15 * 60_000): Promise<string> {
  const r = await h.exec(cmd, { timeoutMs })
  if (r.code !== 0) throw new CommandError(h.name, cmd.masked, r.code, redactKubeadm(r.stdout), redactKubeadm(r.stderr))
  return redactKubeadm(r.stdout)
}

async function waitForApi(h: HostContext, ms: number): Promise<boolean> {
  const r = await h.exec(sh`end=$(( $(date +%s) + ${Math.ceil(ms / 1000)} ))
until ${KUBECTL} get --raw=/readyz >/dev/null 2>&1; do [ "$(date +%s)" -ge "$end" ] && exit 1; sleep 3; done`, { timeoutMs: ms + 30_000 })
  return r.code === 0
}

const init = (config: string): ReturnType<typeof sh> =>
  // The token and key init would print are not Secrets kubeplay knows: keep them out of the output.
  sh`exec kubeadm init --config ${config} --upload-certs --skip-token-print --skip-certificate-key-print`

export const kubeadmInit = defineModule<KubeadmInitParams, InitState>({
  name: 'kubeadmInit',
  async check(h) {
    const s = await initState(h)
    switch (s.kind) {
      case 'done': return noChange('cluster initialised (API ready; cluster-info, kube-proxy and CoreDNS present)')
      case 'fresh': return change(s.leftovers ? 'kubeadm reset (leftovers of a failed init), then kubeadm init' : 'kubeadm init', { data: s })
      case 'unfinished': return change(`finish kubeadm init (missing ${s.missing.join(', ')})`, { data: s })
      case 'api-down': return change('the API does not answer: wait for it, or reset and init again if init never finished', { data: s })
    }
  },
  async apply(h, p, plan) {
    let s = plan.data
    if (s.kind === 'api-down') {
      if (await waitForApi(h, p.apiWaitMs ?? 240_000)) s = await initState(h)
      else {
        const etcd = await etcdHoldsCluster(h)
        if (etcd !== 'none') {
          throw new ModuleError('kubeadm', `${h.name}: ${ADMIN_CONF} exists but the API has not answered for ${Math.round((p.apiWaitMs ?? 240_000) / 1000)} s, and etcd ${etcd === 'cluster' ? 'holds a cluster' : 'has data but does not answer'}: not resetting it. Check 'crictl ps -a' and 'journalctl -u kubelet' there; to start over deliberately: playbooks/reset.ts --limit ${h.name}`)
        }
        s = { kind: 'fresh', leftovers: true }
      }
    }
    if (s.kind === 'done') return { output: 'the API came back: cluster initialised' }
    if (s.kind === 'fresh') {
      if (s.leftovers) await runOrThrow(h, sh`kubeadm reset -f`, 5 * 60_000)
      const out = await runOrThrow(h, init(p.config))
      return { output: out.trim().split('\n').filter((l) => /^\[(init|mark-control-plane|bootstrap-token|addons)\]/.test(l)).slice(-3).join('; ') || 'initialised' }
    }
    for (const phase of FINISH_PHASES) await runOrThrow(h, sh`kubeadm init phase ${phase.split(' ')} --config ${p.config}`)
    return { output: `finished init: ${FINISH_PHASES.join(', ')}` }
  },
})
