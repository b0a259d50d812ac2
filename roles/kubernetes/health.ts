/**
 * Waiting for a master's own control plane: its etcd member healthy (etcdctl in the etcd container)
 * and its own API server ready (`/readyz` on the address and port in its manifest, not through the
 * load balancer, which would answer from another master). Used between masters by the playbooks
 * that restart control planes one at a time (renew-certs, etcd-restore).
 */
import { sh } from '../../lib/connection/quote.ts'
import { change, defineModule, noChange, type HostContext } from '../../lib/engine/module.ts'
import { ModuleError } from '../../lib/errors.ts'
import { etcdctlInContainer } from './etcd.ts'
import { ADMIN_CONF } from './join.ts'
import { APISERVER_MANIFEST } from './lifecycle.ts'

/** One look: prints `etcd ok|down: …` and `api ok|down: …`. */
export const CONTROL_PLANE_PROBE = sh`if out=$({ ${etcdctlInContainer(['endpoint', 'health'])}
} 2>&1); then echo 'etcd ok'; else echo "etcd down: $(printf '%s' "$out" | tail -n1)"; fi
addr=$(sed -n 's/^ *- --advertise-address=//p' ${APISERVER_MANIFEST} | head -n1)
port=$(sed -n 's/^ *- --secure-port=//p' ${APISERVER_MANIFEST} | head -n1)
case "$addr" in *:*) addr="[$addr]";; esac
if out=$(kubectl --kubeconfig=${ADMIN_CONF} --server="https://$addr:\${port:-6443}" --request-timeout=5s get --raw=/readyz 2>&1); then echo 'api ok'; else echo "api down: $(printf '%s' "$out" | tail -n1)"; fi`

export interface ControlPlaneHealth { readonly etcd: string; readonly api: string; readonly healthy: boolean }

/** Pure: the probe's two lines. */
export function parseControlPlaneProbe(out: string): ControlPlaneHealth {
  const line = (what: string): string => out.split('\n').find((l) => l.startsWith(`${what} `))?.slice(what.length + 1) ?? 'down: no answer'
  const etcd = line('etcd')
  const api = line('api')
  return { etcd, api, healthy: etcd === 'ok' && api === 'ok' }
}

export async function controlPlaneHealth(h: HostContext): Promise<ControlPlaneHealth> {
  return parseControlPlaneProbe((await h.exec(CONTROL_PLANE_PROBE, { timeoutMs: 60_000 })).stdout)
}

export interface WaitControlPlaneParams {
  /** @default 300 */
  readonly timeoutSeconds?: number
}

/** Healthy now: nothing to do. Otherwise apply polls every 3 s and fails the host with the last answer when time is up. */
export const waitControlPlane = defineModule<WaitControlPlaneParams>({
  name: 'waitControlPlane',
  async check(h) {
    const s = await controlPlaneHealth(h)
    return s.healthy ? noChange('etcd and the API server here are healthy') : change(`wait for etcd (${s.etcd}) and the API server (${s.api}) here`)
  },
  async apply(h, p) {
    const limit = p.timeoutSeconds ?? 300
    const start = Date.now()
    let s = await controlPlaneHealth(h)
    while (!s.healthy) {
      if (Date.now() - start > limit * 1000) {
        throw new ModuleError('waitControlPlane', `${h.name}: not healthy after ${limit} s: etcd ${s.etcd}; API server ${s.api}. Check 'crictl ps -a' and 'journalctl -u kubelet' there`)
      }
      await new Promise((r) => setTimeout(r, 3000))
      s = await controlPlaneHealth(h)
    }
    return { output: `etcd and the API server healthy after ${Math.round((Date.now() - start) / 1000)} s` }
  },
})

const MANIFESTS = '/etc/kubernetes/manifests'
const CONTROL_PLANE_CONTAINERS = '^(etcd|kube-apiserver|kube-controller-manager|kube-scheduler)$'

/**
 * Stops this master's static pods the way the kubelet allows: every manifest moved to `aside`, then
 * a wait (up to `timeoutSeconds`) until no control-plane container runs. Manifests already aside
 * (a run interrupted earlier) stay there.
 */
export function stopStaticPods(aside: string, timeoutSeconds: number) {
  return sh`set -e
mkdir -p ${aside}
for f in ${MANIFESTS}/*.yaml; do if [ -e "$f" ]; then mv "$f" ${aside}/; fi; done
end=$(( $(date +%s) + ${timeoutSeconds} ))
while crictl ps -q --state running --name ${CONTROL_PLANE_CONTAINERS} 2>/dev/null | grep -q .; do
  if [ "$(date +%s)" -ge "$end" ]; then echo "control-plane containers still running after ${timeoutSeconds} s" >&2; exit 1; fi
  sleep 2
done`
}

/** The manifests moved aside by `stopStaticPods` put back: the kubelet starts the pods again. */
export function startStaticPods(aside: string) {
  return sh`set -e
if [ -d ${aside} ]; then
  for f in ${aside}/*.yaml; do if [ -e "$f" ]; then mv "$f" ${MANIFESTS}/; fi; done
  rmdir ${aside}
fi`
}
