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

// Every play checks the confirmation: with --limit, the first play may have no host at all.
const resetItems = (): Item[] => [
  confirmTask('destroy the cluster'),
  task('Reset the node (kubeadm reset -f)', shell, {
    cmd: sh`kubeadm reset -f --cri-socket unix:///run/containerd/containerd.sock && rm -rf /etc/cni/net.d /var/lib/etcd /root/.kube/config /etc/kubernetes/kubeadm-config.yaml /etc/kubeplay/manifests`,
    removes: '/etc/kubernetes/kubelet.conf',
  }, { tags: TAGS }),
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
