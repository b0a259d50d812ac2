/**
 * Tears the cluster down: `kubeadm reset -f` and clean-up on every node, workers first, the first
 * master last. Destructive: refuses to start without `-e confirm=yes`. Packages stay installed.
 *
 *   npx tsx playbooks/reset.ts -i inventory.ts -e confirm=yes [--limit worker3]
 */
import { type Item, main, play, playbook, type Playbook, task } from 'kubeplay'
import { shell } from 'kubeplay/modules'
import { confirmPreflight, confirmTask, KUBEADM_LEFTOVERS, kubeadmReset, mergeKubernetesSettings } from 'kubeplay/kubernetes'

const TAGS = ['kubernetes', 'reset']


// Every play checks the confirmation: with --limit, the first play may have no host at all.
const resetItems = (): Item[] => [
  confirmTask('destroy the cluster'),
  // Anything kubeadm leaves, not only kubelet.conf: a join or init that failed half way is reset too.
  task('Reset the node (kubeadm reset -f)', shell, (h) => ({
    cmd: kubeadmReset(mergeKubernetesSettings(h.vars.kubernetes, {}).criSocket),
  }), {
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
