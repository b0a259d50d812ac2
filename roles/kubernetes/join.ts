/**
 * Joining nodes. The join token and the control-plane certificate key are never stored: each is
 * created on the first master at the moment a node needs it (a `hostValue`, read once per run on
 * the first host of the masters group whatever `--limit`/`--tags` say), arrives as a `Secret`, and is
 * masked in every log, error and report. A node that has `/etc/kubernetes/kubelet.conf` has joined
 * and asks for nothing: reruns create no tokens.
 */
import { sh } from '../../lib/connection/quote.ts'
import { change, defineModule, hostValue, noChange, type HostContext, type HostValue } from '../../lib/engine/module.ts'
import { CommandError, ModuleError } from '../../lib/errors.ts'
import { fileStat } from '../../lib/facts/file-stat.ts'
import { joinArgv, parseCertificateKey, parseJoinCommand, type JoinCommand } from '../../lib/k8s/kubeadm-join.ts'
import type { Secret } from '../../lib/connection/quote.ts'
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

/** `kubeadm join` unless the node already has a kubelet.conf. */
export const kubeadmJoin = defineModule<KubeadmJoinParams>({
  name: 'kubeadmJoin',
  async check(host, p) {
    if ((await host.fact(fileStat, KUBELET_CONF)) !== null) return noChange(`already joined (${KUBELET_CONF} exists)`)
    // No token is created here: check is read-only, and --check must not mint credentials.
    return change(`join ${p.model.controlPlaneEndpoint} as ${p.controlPlane ? 'a control-plane node' : 'a worker'} (token${p.controlPlane ? ' and certificate key' : ''} from ${p.model.firstMaster})`)
  },
  async apply(host, p) {
    const m = p.model
    const join = await host.from(joinCommandValue(m.s.mastersGroup, m.s.tokenTtl))
    const controlPlane = p.controlPlane
      ? { certificateKey: await host.from(certificateKeyValue(m.s.mastersGroup)), advertiseAddress: ipv4OrUndefined(m.addresses[host.name]) }
      : undefined
    const cmd = sh`exec ${joinArgv(join, { criSocket: m.s.criSocket, controlPlane })}`
    const r = await host.exec(cmd, { timeoutMs: 15 * 60_000 })
    if (r.code !== 0) throw new CommandError(host.name, cmd.masked, r.code, r.stdout, r.stderr)
    return { output: `joined as ${p.controlPlane ? 'control plane' : 'worker'}` }
  },
})
