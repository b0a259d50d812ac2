/**
 * Building blocks of the lifecycle playbooks (upgrade, add-node, renew-certs…): reading the versions
 * a cluster and a node run, and running a command on the first master on behalf of another node
 * (drain/uncordon), the way Ansible's `delegate_to` does, through a once-per-run `hostValue`.
 */
import { sh, type ShellCommand } from '../../lib/connection/quote.ts'
import { change, defineModule, hostValue, noChange, type HostContext } from '../../lib/engine/module.ts'
import { CommandError } from '../../lib/errors.ts'
import { formatVersion, type KubeVersion } from '../../lib/k8s/kubeadm-version.ts'
import { APISERVER_MANIFEST, controlPlaneVersionFact, kubeletVersionFact, nodeNameFact, parseApiserverVersion } from '../../lib/k8s/node-facts.ts'

export { APISERVER_MANIFEST, parseApiserverVersion }

/**
 * `kubeadm reset -f` and what it leaves behind, as its own output asks: CNI config and IPAM state,
 * the CNI's interfaces (a rejoined node gets a new pod CIDR, and a `cni0` still holding the old one
 * fails every pod sandbox: "cni0 already has an IP address different from …"), Flannel's lease
 * (/run/flannel/subnet.env: left there, the first pods after a rejoin are wired with the old subnet
 * before flanneld writes the new one, and recreate `cni0` with it), etcd data,
 * kubeconfigs, kubeplay's own files. The CNI config directory is emptied, never removed: containerd
 * 2.x's CRI plugin exits when the directory it watches disappears ("cni conf dir is removed"), and a
 * join right after would find no runtime. Last, it waits (up to 60 s) until the runtime answers on
 * `criSocket` again, so that what follows (a join) finds it.
 */
export function kubeadmReset(criSocket: string): ShellCommand {
  return sh`kubeadm reset -f --cri-socket ${criSocket} && rm -rf /etc/cni/net.d/* /var/lib/cni /run/flannel /var/lib/etcd /root/.kube/config /etc/kubernetes/kubeadm-config.yaml /etc/kubeplay/manifests && for l in cni0 flannel.1; do if ip link show "$l" >/dev/null 2>&1; then ip link delete "$l"; fi; done; if command -v crictl >/dev/null 2>&1; then i=0; until crictl --runtime-endpoint ${criSocket} info >/dev/null 2>&1; do i=$((i + 1)); if [ "$i" -ge 60 ]; then echo "the container runtime at "${criSocket}" did not answer for 60 s after the reset" >&2; exit 1; fi; sleep 1; done; fi`
}

/**
 * `cmd`, asked again every 10 s (up to 12 times) while the API answers "is forbidden": right after
 * the control plane's API servers restart, one may serve before its authorizer's caches are synced
 * and refuse what RBAC allows (seen twice on the lab cluster during the upgrade: the first worker's
 * `kubeadm upgrade node` and uncordon). Any other failure is final at once; output is kept.
 */
export function retryForbidden(cmd: ShellCommand): ShellCommand {
  return sh`i=0; while :; do if out=$({ ${cmd}; } 2>&1); then printf '%s\n' "$out"; exit 0; else rc=$?; fi; i=$((i + 1)); case $out in *'is forbidden'*) if [ "$i" -lt 12 ]; then sleep 10; continue; fi;; esac; printf '%s\n' "$out" >&2; exit $rc; done`
}

/** Exit 0 when kubeadm left anything on the node (kubeconfigs, certificates, static pods, etcd data). */
export const KUBEADM_LEFTOVERS = sh`for f in /etc/kubernetes/kubelet.conf /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/admin.conf /etc/kubernetes/pki/ca.crt /var/lib/etcd/member /etc/kubernetes/manifests/*.yaml; do [ -e "$f" ] && exit 0; done; exit 1`

/** The version this host's kube-apiserver runs (null: no control plane here). */
export const controlPlaneVersion = (host: HostContext): Promise<KubeVersion | null> => host.fact(controlPlaneVersionFact, undefined)

/** The node's kubelet version (null: no kubelet). */
export const kubeletVersion = (host: HostContext): Promise<KubeVersion | null> => host.fact(kubeletVersionFact, undefined)

export const sameVersion = (a: KubeVersion | null, b: KubeVersion): boolean => !!a && formatVersion(a) === formatVersion(b)

/** The node name kubeadm registers by default: the host's hostname, lower-cased (lab and seed hosts are named like their inventory entry). */
export const nodeName = (host: HostContext): Promise<string> => host.fact(nodeNameFact, undefined)

export interface OnFirstMasterParams {
  readonly masters: string
  /** Unique per run and node: `drain lab5`. */
  readonly label: string
  readonly command: (node: string) => ShellCommand
  /** Decides on this host whether there is anything to do. */
  readonly needed: (host: HostContext) => Promise<boolean | string>
  readonly doneReason: string
}

/** Runs a kubectl command on the first master for this node (drain, uncordon), only when `needed`. */
export const onFirstMaster = defineModule<OnFirstMasterParams, string>({
  name: 'onFirstMaster',
  async check(host, p) {
    const need = await p.needed(host)
    if (need === false) return noChange(p.doneReason)
    const node = await nodeName(host)
    return change(`${p.label.replace('{node}', node)} (from ${p.masters}[0])${typeof need === 'string' ? `: ${need}` : ''}`, { data: node })
  },
  async apply(host, p, plan) {
    const node = plan.data
    const cmd = p.command(node)
    const out = await host.from(hostValue(`kubernetes.${p.label.replace('{node}', node)}@${host.name}`, `${p.masters}[0]`, async (src) => {
      const r = await src.exec(cmd, { become: true, timeoutMs: 20 * 60_000 })
      if (r.code !== 0) throw new CommandError(src.name, cmd.masked, r.code, r.stdout, r.stderr)
      return r.stdout.trim()
    }))
    return { output: out }
  },
})

