/**
 * Joining nodes. The join token and the control-plane certificate key are never stored: each is
 * created on the first master at the moment a node needs it (a `hostValue`, read once per run on
 * the first host of the masters group whatever `--limit`/`--tags` say), arrives as a `Secret`, and is
 * masked in every log, error and report. A node the API already knows (see `kubeadmJoin`) asks for
 * nothing: reruns create no tokens.
 */
import { sh } from '../../lib/connection/quote.ts'
import { change, defineModule, hostValue, noChange, type HostContext, type HostValue } from '../../lib/engine/module.ts'
import { CommandError, ModuleError } from '../../lib/errors.ts'
import { etcdctlInContainer, etcdMembers, type EtcdMember } from './etcd.ts'
import { joinArgv, parseCertificateKey, parseJoinCommand, type JoinCommand } from '../../lib/k8s/kubeadm-join.ts'
import type { Secret } from '../../lib/secret.ts'
import { kubeadmReset, nodeName } from './lifecycle.ts'
import { ipv4OrUndefined, type ClusterModel } from './settings.ts'

export const ADMIN_CONF = '/etc/kubernetes/admin.conf'
export const KUBELET_CONF = '/etc/kubernetes/kubelet.conf'

async function requireCluster(src: HostContext, what: string): Promise<void> {
  if ((await src.exec(sh`test -f ${ADMIN_CONF}`)).code !== 0) {
    throw new ModuleError('kubeadm', `${src.name}: cannot ${what}: the first master has no cluster yet (no ${ADMIN_CONF}); run the kubernetes-master role on it first`)
  }
}

/** A fresh join command (token valid for `ttl`), created on the first host of `masters`. */
export function joinCommandValue(masters: string, ttl: string): HostValue<JoinCommand> {
  const from = `${masters}[0]`
  // The engine memoises by name: one token per run, however many nodes join.
  return hostValue(`kubernetes.joinCommand@${from}`, from, async (src) => {
    await requireCluster(src, 'create a join token')
    const r = await src.run(sh`kubeadm token create --print-join-command --ttl ${ttl}`)
    return parseJoinCommand(r.stdout, src.name)
  })
}

/** A fresh certificate key: `upload-certs` re-encrypts the control-plane certificates with a new key (valid 2 h). */
export function certificateKeyValue(masters: string): HostValue<Secret> {
  const from = `${masters}[0]`
  return hostValue(`kubernetes.certificateKey@${from}`, from, async (src) => {
    await requireCluster(src, 'upload the control-plane certificates')
    const r = await src.run(sh`kubeadm init phase upload-certs --upload-certs`)
    return parseCertificateKey(r.stdout, src.name)
  })
}

export interface KubeadmJoinParams {
  readonly model: ClusterModel
  readonly controlPlane: boolean
}

/** What is on a node that should have joined. */
export type JoinState =
  | { readonly kind: 'fresh' }
  | { readonly kind: 'joined'; readonly node: string }
  /** Leftovers of an attempt that did not finish (or credentials the cluster refuses): reset, forget, join again. */
  | { readonly kind: 'redo'; readonly node: string; readonly why: string }

/** What the probe on the node found (see `JOIN_PROBE`). */
export type JoinProbe =
  | { readonly kind: 'fresh' }
  | { readonly kind: 'leftover'; readonly path: string }
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'unreachable'; readonly message: string }
  | { readonly kind: 'node'; readonly node: string; readonly registered: boolean; readonly controlPlaneLabel: boolean; readonly controlPlaneManifests: boolean }

const KUBELET_KUBECTL = sh`kubectl --kubeconfig=${KUBELET_CONF} --request-timeout=10s`
/**
 * One round trip on the node. Without kubelet.conf: fresh, or the first leftover of an attempt.
 * With it: who the API says this kubelet is (`auth whoami`, with the node's own credentials), and
 * whether that Node is registered, with the control-plane label (the last phase of a control-plane
 * join) and the control-plane manifests.
 */
export const JOIN_PROBE = sh`if [ ! -f ${KUBELET_CONF} ]; then
  for f in /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/pki/ca.crt /var/lib/etcd/member /etc/kubernetes/manifests/*.yaml; do
    if [ -e "$f" ]; then echo "leftover $f"; exit 0; fi
  done
  echo fresh; exit 0
fi
if ! out=$(${KUBELET_KUBECTL} auth whoami -o jsonpath='{.status.userInfo.username}' 2>&1); then
  case "$out" in *Unauthorized*|*'must be logged in'*) echo "refused $(printf '%s' "$out" | tail -n1)";; *) echo "unreachable $(printf '%s' "$out" | tail -n1)";; esac
  exit 0
fi
node=\${out#system:node:}
echo "node $node"
[ -f /etc/kubernetes/manifests/kube-apiserver.yaml ] && echo control-plane-manifests
if ! labels=$(${KUBELET_KUBECTL} get node "$node" -o jsonpath='{.metadata.labels}' 2>&1); then
  case "$labels" in *NotFound*|*'not found'*) echo unregistered;; *) echo "unreachable $(printf '%s' "$labels" | tail -n1)";; esac
  exit 0
fi
case "$labels" in *'"node-role.kubernetes.io/control-plane"'*) echo control-plane-label;; esac
echo registered`

/** Pure: the probe's output → what it found. */
export function parseJoinProbe(out: string): JoinProbe {
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean)
  const first = lines[0] ?? ''
  const rest = (w: string): string => first.slice(w.length).trim()
  if (first === 'fresh') return { kind: 'fresh' }
  if (first.startsWith('leftover ')) return { kind: 'leftover', path: rest('leftover') }
  if (first.startsWith('refused ')) return { kind: 'refused', message: rest('refused') }
  if (first.startsWith('node ')) {
    const unreachable = lines.find((l) => l.startsWith('unreachable '))
    if (unreachable) return { kind: 'unreachable', message: unreachable.slice('unreachable '.length) }
    return {
      kind: 'node', node: rest('node'),
      registered: lines.includes('registered'),
      controlPlaneLabel: lines.includes('control-plane-label'),
      controlPlaneManifests: lines.includes('control-plane-manifests'),
    }
  }
  return { kind: 'unreachable', message: first.startsWith('unreachable ') ? rest('unreachable') : `unexpected probe output ${JSON.stringify(out.slice(0, 200))}` }
}

/** The etcd members as the first master's etcd sees them, read for `asker` (null: its etcd does not answer). */
function membersFor(masters: string, asker: string, attempt = 1): HostValue<EtcdMember[] | null> {
  // Values are read once per run and name: each attempt is its own reading.
  return hostValue(`kubernetes.etcdMembers@${masters}[0] for ${asker}${attempt > 1 ? ` #${attempt}` : ''}`, `${masters}[0]`, (src) => etcdMembers(src))
}

/**
 * Pure: the join state from the probe and, for a registered control-plane node, the etcd members.
 * Throws when the state cannot be known (API unreachable) or must not be changed by a join (a
 * registered worker put in the masters group): a node that may be serving is never reset on a guess.
 */
export function joinStateOf(host: string, probe: JoinProbe, controlPlane: boolean, members?: EtcdMember[] | null): JoinState {
  switch (probe.kind) {
    case 'fresh': return { kind: 'fresh' }
    case 'leftover': return { kind: 'redo', node: host, why: `an earlier join left ${probe.path} behind without ${KUBELET_CONF}` }
    case 'refused': return { kind: 'redo', node: host, why: `the API refuses this node's kubelet credentials (${probe.message}): ${KUBELET_CONF} belongs to another cluster` }
    case 'unreachable':
      throw new ModuleError('kubeadm', `${host}: ${KUBELET_CONF} exists but the API cannot say whether this node has joined (${probe.message}); not touching it. Check the control-plane endpoint and 'journalctl -u kubelet' there`)
    case 'node': break
  }
  const { node } = probe
  if (!probe.registered) return { kind: 'redo', node, why: `${KUBELET_CONF} exists but no Node ${node} is registered` }
  if (!controlPlane) return { kind: 'joined', node }
  if (!probe.controlPlaneLabel) {
    if (!probe.controlPlaneManifests) {
      throw new ModuleError('kubeadm', `${host}: Node ${node} is registered as a worker, but the host is in the masters group; kubeplay does not turn a worker into a control-plane node. Remove it (playbooks/reset.ts --limit ${host} -e confirm=yes) and run the site playbook again, or move it back to the workers group`)
    }
    return { kind: 'redo', node, why: `Node ${node} has the control-plane manifests but not the control-plane label: kubeadm join --control-plane stopped before its last phase` }
  }
  if (members === undefined || members === null) {
    throw new ModuleError('kubeadm', `${host}: the first master's etcd does not answer, so whether ${node} is an etcd member is unknown; not touching it`)
  }
  const m = members.find((x) => x.name === node)
  if (!m) return { kind: 'redo', node, why: `Node ${node} is a control-plane node but etcd has no member named ${node}` }
  if (!m.started || m.learner) return { kind: 'redo', node, why: `etcd member ${node} is ${m.learner ? 'a learner' : 'not started'}` }
  return { kind: 'joined', node }
}

/**
 * The join state, asked again (every `delayMs`, `attempts` times) while the API or etcd cannot say:
 * an API server that just joined behind the load balancer serves before all its API groups are
 * ready ("the selfsubjectreviews API is not enabled"), one restarting refuses for a few seconds.
 * Only then is "cannot say" an answer (and the node left alone).
 */
export async function joinState(h: HostContext, controlPlane: boolean, masters: string, o: { attempts?: number; delayMs?: number } = {}): Promise<JoinState> {
  const attempts = o.attempts ?? 12
  for (let i = 1; ; i++) {
    const probe = parseJoinProbe((await h.run(JOIN_PROBE)).stdout)
    const needMembers = controlPlane && probe.kind === 'node' && probe.registered && probe.controlPlaneLabel
    const members = needMembers ? await h.from(membersFor(masters, h.name, i)) : undefined
    const unsure = probe.kind === 'unreachable' || (needMembers && !members)
    if (!unsure || i >= attempts) return joinStateOf(h.name, probe, controlPlane, members)
    await new Promise((r) => setTimeout(r, o.delayMs ?? 5000))
  }
}

/**
 * On the first master: the Node object of `node` deleted and, for a control-plane node, its etcd
 * members (by name or by its peer URL) removed, so that the rejoin is not refused ("a Node with
 * name … and status Ready already exists") and etcd's member add finds no stale peer.
 */
export function forgetNodeValue(masters: string, node: string, etcd: { readonly peerUrl?: string } | undefined): HostValue<string> {
  return hostValue(`kubernetes.forget ${node}@${masters}[0]`, `${masters}[0]`, async (src) => {
    const self = (await src.run(sh`hostname`)).stdout.trim()
    if (self === node) throw new ModuleError('kubeadm', `${src.name}: refusing to forget the first master itself (${node})`)
    const done: string[] = []
    const del = await src.run(sh`kubectl --kubeconfig=${ADMIN_CONF} --request-timeout=30s delete node ${node} --ignore-not-found --wait=false`)
    if (del.stdout.trim()) done.push(del.stdout.trim())
    if (etcd !== undefined) {
      const members = await etcdMembers(src)
      if (members === null) throw new ModuleError('kubeadm', `${src.name}: etcd does not answer: cannot remove a stale member for ${node}`)
      for (const m of members.filter((x) => x.name === node || (etcd.peerUrl !== undefined && x.peerUrls.includes(etcd.peerUrl)))) {
        await src.run(etcdctlInContainer(['member', 'remove', m.id]))
        done.push(`etcd member ${m.id} (${m.name || 'never started'}) removed`)
      }
    }
    return done.join('; ') || 'nothing to forget'
  })
}

/**
 * On the first master, for a host about to join fresh: a Node of its name that the cluster still
 * lists (the host was reset, or its disk replaced) is deleted once it is no longer Ready (its kubelet
 * is gone: up to `waitSeconds` for the node controller to notice), because kubeadm refuses to join a
 * name whose Node is Ready. A Node that stays Ready belongs to a running kubelet, maybe another host
 * of the same name: left alone, and the join fails saying so.
 */
function staleNodeValue(masters: string, node: string, waitSeconds = 90): HostValue<string> {
  return hostValue(`kubernetes.staleNode ${node}@${masters}[0]`, `${masters}[0]`, async (src) => {
    const k = sh`kubectl --kubeconfig=${ADMIN_CONF} --request-timeout=15s`
    const cmd = sh`end=$(( $(date +%s) + ${waitSeconds} ))
while :; do
  [ -n "$(${k} get node ${node} --ignore-not-found -o name)" ] || { echo absent; exit 0; }
  ready=$(${k} get node ${node} -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')
  if [ "$ready" != True ]; then ${k} delete node ${node} --wait=false >/dev/null && echo "deleted stale Node ${node} (Ready: \${ready:-unknown})"; exit 0; fi
  [ "$(date +%s)" -ge "$end" ] && { echo ready; exit 0; }
  sleep 3
done`
    const out = (await src.run(cmd, { timeoutMs: (waitSeconds + 60) * 1000 })).stdout.trim()
    if (out === 'ready') {
      throw new ModuleError('kubeadm', `${src.name}: a Node named ${node} is still Ready after ${waitSeconds} s although that host has not joined: another host with the same name, or its old kubelet still running; kubeadm would refuse the join. Rename the host, or delete that Node if it is gone`)
    }
    return out === 'absent' ? '' : out
  })
}

/** etcd's peer URL for a control-plane node advertised on `address` (kubeadm's layout). */
const peerUrlOf = (address: string | undefined): string | undefined => address === undefined ? undefined : `https://${address}:2380`

/**
 * `kubeadm join`, guarded by the real state: a node counts as joined when the API knows it with its
 * own credentials (and, for a control-plane node, it has the control-plane label and a started etcd
 * member), not because kubelet.conf exists (kubeadm writes it before its last phases). A node an
 * earlier attempt left half joined is reset, forgotten by the cluster (Node object, etcd member) and
 * joined again.
 */
export const kubeadmJoin = defineModule<KubeadmJoinParams, JoinState>({
  name: 'kubeadmJoin',
  async check(host, p) {
    const s = await joinState(host, p.controlPlane, p.model.s.mastersGroup)
    if (s.kind === 'joined') return noChange(`joined: Node ${s.node} registered${p.controlPlane ? ', control-plane label and started etcd member' : ''}`)
    // No token is created here: check is read-only, and --check must not mint credentials.
    const join = `join ${p.model.controlPlaneEndpoint} as ${p.controlPlane ? 'a control-plane node' : 'a worker'} (token${p.controlPlane ? ' and certificate key' : ''} from ${p.model.firstMaster})`
    return change(s.kind === 'redo' ? `${s.why}: kubeadm reset, forget ${s.node} on ${p.model.firstMaster}, then ${join}` : join, { data: s })
  },
  async apply(host, p, plan) {
    const m = p.model
    const s = plan.data
    const done: string[] = []
    if (s.kind === 'redo') {
      const reset = kubeadmReset(m.s.criSocket)
      const r = await host.exec(reset, { timeoutMs: 5 * 60_000 })
      if (r.code !== 0) throw new CommandError(host.name, reset.masked, r.code, r.stdout, r.stderr)
      const etcd = p.controlPlane ? { peerUrl: peerUrlOf(ipv4OrUndefined(m.addresses[host.name])) } : undefined
      done.push(`reset (${s.why})`, await host.from(forgetNodeValue(m.s.mastersGroup, s.node, etcd)))
    }
    if (s.kind === 'fresh') {
      const stale = await host.from(staleNodeValue(m.s.mastersGroup, await nodeName(host)))
      if (stale) done.push(stale)
    }
    const join = await host.from(joinCommandValue(m.s.mastersGroup, m.s.tokenTtl))
    const controlPlane = p.controlPlane
      ? { certificateKey: await host.from(certificateKeyValue(m.s.mastersGroup)), advertiseAddress: ipv4OrUndefined(m.addresses[host.name]) }
      : undefined
    const cmd = sh`exec ${joinArgv(join, { criSocket: m.s.criSocket, controlPlane })}`
    const r = await host.exec(cmd, { timeoutMs: 15 * 60_000 })
    if (r.code !== 0) throw new CommandError(host.name, cmd.masked, r.code, r.stdout, r.stderr)
    return { output: [...done, `joined as ${p.controlPlane ? 'control plane' : 'worker'}`].join('; ') }
  },
})
