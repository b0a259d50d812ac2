/**
 * Tears the cluster down: `kubeadm reset -f` and clean-up on every node, workers first, the first
 * master last. Destructive: refuses to start without `-e confirm=yes`. Packages stay installed.
 *
 *   npx tsx playbooks/reset.ts -i inventory.ts -e confirm=yes [--limit worker3]
 */
import { main } from '../lib/cli/main.ts'
import { sh } from '../lib/connection/quote.ts'
import { play, playbook, task, type Item, type Playbook } from '../lib/engine/task.ts'
import { shell } from '../lib/modules/shell.ts'
import { confirmPreflight, confirmTask } from '../roles/kubernetes/confirm.ts'

const TAGS = ['kubernetes', 'reset']
/** Exit 0 when kubeadm left anything on the node (kubeconfigs, certificates, static pods, etcd data). */
const KUBEADM_LEFTOVERS = sh`for f in /etc/kubernetes/kubelet.conf /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/admin.conf /etc/kubernetes/pki/ca.crt /var/lib/etcd/member /etc/kubernetes/manifests/*.yaml; do [ -e "$f" ] && exit 0; done; exit 1`

// Every play checks the confirmation: with --limit, the first play may have no host at all.
const resetItems = (): Item[] => [
  confirmTask('destroy the cluster'),
  // Anything kubeadm leaves, not only kubelet.conf: a join or init that failed half way is reset too.
  task('Reset the node (kubeadm reset -f)', shell, {
    cmd: sh`kubeadm reset -f --cri-socket unix:///run/containerd/containerd.sock && rm -rf /etc/cni/net.d /var/lib/etcd /root/.kube/config /etc/kubernetes/kubeadm-config.yaml /etc/kubeplay/manifests`,
  }, {
    tags: TAGS,
    when: async (h) => (await h.exec(KUBEADM_LEFTOVERS)).code === 0,
    whenReason: 'nothing of kubeadm on this node',
  }),
]

export function resetPlaybook(o: { mastersGroup?: string; workersGroup?: string } = {}): Playbook {
  const masters = o.mastersGroup ?? 'masters'
  return playbook('reset', [
    play('Reset the workers', { hosts: o.workersGroup ?? 'workers', items: resetItems(), anyErrorsFatal: true }),
    play('Reset the other masters', { hosts: `${masters}[1:]`, serial: 1, items: resetItems(), anyErrorsFatal: true }),
    play('Reset the first master', { hosts: `${masters}[0]`, items: resetItems() }),
  ], { preflight: confirmPreflight('destroy the cluster') })
}

export const reset = resetPlaybook()

main(import.meta.url, reset)
