/**
 * Checks a running cluster and reports each finding clearly; changes nothing. From the first master:
 * every node Ready, every kube-system/kube-flannel pod Running, every LoadBalancer Service with an
 * external IP, `/livez` and `/readyz` of the API through HAProxy (the controlPlaneEndpoint). On every
 * master (seed 003's endpoints): etcd `:2381/health`, controller-manager `:10257/healthz`,
 * scheduler `:10259/healthz`; on every node: kubelet `:10248/healthz`.
 *
 *   npx tsx playbooks/verify.ts -i inventory.ts
 */
import { defineModule, main, ModuleError, noChange, play, playbook, type Playbook, sh, type ShellCommand, task } from 'kubeplay'
import { type KubernetesParams, modelFor } from 'kubeplay/kubernetes'

const KUBECTL = sh`kubectl --kubeconfig=/etc/kubernetes/admin.conf`

interface Probe { readonly what: string; readonly cmd: ShellCommand; readonly ok: (out: string) => string | null }

/** Pure: `kubectl get nodes --no-headers` → the nodes not Ready. */
export function notReadyNodes(out: string): string[] {
  return out.split('\n').filter(Boolean).map((l) => l.split(/\s+/)).filter(([, status]) => status !== 'Ready').map(([n, s]) => `${n} (${s})`)
}

/** Pure: `kubectl get pods -A --no-headers -o custom-columns=NS,NAME,PHASE` → pods not Running/Succeeded. */
export function unhealthyPods(out: string): string[] {
  return out.split('\n').filter(Boolean).map((l) => l.split(/\s+/)).filter(([, , phase]) => phase !== 'Running' && phase !== 'Succeeded').map(([ns, n, p]) => `${ns}/${n} (${p})`)
}

/** Pure: LoadBalancer services `NS NAME TYPE EXTERNAL-IP` lines → those without an IP. */
export function pendingLoadBalancers(out: string): string[] {
  return out.split('\n').filter(Boolean).map((l) => l.split(/\s+/)).filter(([, , type, ip]) => type === 'LoadBalancer' && (!ip || ip === '<none>' || ip === '<pending>')).map(([ns, n]) => `${ns}/${n}`)
}

/** Runs every probe; reports all findings at once (ok with a summary, or failed listing each problem). */
export const healthChecks = defineModule<{ readonly probes: readonly Probe[] }>({
  name: 'healthChecks',
  async check(host, p) {
    const results = await Promise.all(p.probes.map(async (pr) => {
      const r = await host.exec(pr.cmd, { become: true, timeoutMs: 30_000 })
      const problem = r.code !== 0 ? `exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').pop()}` : pr.ok(r.stdout)
      return problem ? `✗ ${pr.what}: ${problem}` : `✓ ${pr.what}`
    }))
    const bad = results.filter((x) => x.startsWith('✗'))
    if (bad.length) throw new ModuleError('verify', `${host.name}:\n${results.join('\n')}`)
    return noChange(results.join('; '))
  },
  async apply() {},
})

const http = (what: string, url: string, insecure = false): Probe => ({
  what, cmd: sh`curl -fsS --max-time 5 ${insecure ? sh`-k` : sh``} ${url}`, ok: (o) => (/ok|true|"health":"true"/.test(o) ? null : `unexpected answer ${JSON.stringify(o.slice(0, 80))}`),
})

export function verifyPlaybook(kubernetes: Partial<KubernetesParams> = {}): Playbook {
  const masters = kubernetes.mastersGroup ?? 'masters'
  return playbook('verify', [
    play('Verify the cluster from the first master', {
      hosts: `${masters}[0]`,
      items: [task('Nodes, pods, LoadBalancers and the API through HAProxy', healthChecks, (h) => {
        const ep = modelFor(h.vars, h.inventory, kubernetes).controlPlaneEndpoint
        const list = (what: string, cmd: ShellCommand, bad: (o: string) => string[]): Probe => ({ what, cmd, ok: (o) => { const b = bad(o); return b.length ? b.join(', ') : null } })
        return {
          probes: [
            list('every node Ready', sh`${KUBECTL} get nodes --no-headers`, notReadyNodes),
            list('system pods Running', sh`${KUBECTL} get pods -A --no-headers -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,PHASE:.status.phase`, (o) => unhealthyPods(o).filter((x) => /^kube-/.test(x))),
            list('LoadBalancer IPs assigned', sh`${KUBECTL} get svc -A --no-headers -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,TYPE:.spec.type,IP:.status.loadBalancer.ingress[0].ip`, pendingLoadBalancers),
            http(`API /livez through ${ep}`, `https://${ep}/livez`, true),
            http(`API /readyz through ${ep}`, `https://${ep}/readyz`, true),
          ],
        }
      }, { tags: ['verify'] })],
    }),
    play('Verify the control-plane components', {
      hosts: masters,
      items: [task('etcd, controller-manager, scheduler, kubelet health', healthChecks, {
        probes: [
          http('etcd :2381/health', 'http://127.0.0.1:2381/health'),
          http('kube-controller-manager :10257/healthz', 'https://127.0.0.1:10257/healthz', true),
          http('kube-scheduler :10259/healthz', 'https://127.0.0.1:10259/healthz', true),
          http('kubelet :10248/healthz', 'http://127.0.0.1:10248/healthz'),
        ],
      }, { tags: ['verify'] })],
    }),
    play('Verify the workers', {
      hosts: kubernetes.workersGroup ?? 'workers',
      items: [task('kubelet health', healthChecks, { probes: [http('kubelet :10248/healthz', 'http://127.0.0.1:10248/healthz')] }, { tags: ['verify'] })],
    }),
  ])
}

export const verify = verifyPlaybook()

main(import.meta.url, verify)
