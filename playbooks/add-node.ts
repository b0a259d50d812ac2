/**
 * Joins new worker(s) to a running cluster without touching the others: on exactly the named hosts,
 * what site.ts gives a worker — node preparation (common: swap off, kernel modules, sysctls such as
 * ip_forward; containerd) then the kubernetes-worker role — so a bare host ends up a Ready node.
 * Add the host to the `workers` group of the inventory, then
 *
 *   npx tsx playbooks/add-node.ts -i inventory.ts --limit worker4
 *
 * `--limit` keeps every other host out of the run: nothing runs or changes there. They are only read:
 * the common role's kubeadm preflight compares the new node's hostname, MACs and product_uuid with
 * theirs, and the join token is created on the first master whatever `--limit` says. A host that has
 * already joined is left as it is. Programmatic use: `addNodePlaybook('worker4')`.
 */
import { main, play, playbook, type Playbook } from 'kubeplay'
import { common, containerd, kubernetesWorker } from 'kubeplay/roles'
import { type KubernetesParams } from 'kubeplay/kubernetes'

/** Node preparation and the worker role on `nodes` only (a host pattern: `worker4`, `worker4:worker5`). */
export function addNodePlaybook(nodes = 'workers', kubernetes: Partial<KubernetesParams> = {}): Playbook {
  const which = nodes === 'workers' ? 'the --limit hosts' : nodes
  return playbook('add-node', [
    play(`Prepare ${which}`, { hosts: nodes, become: true, items: [common(), containerd()] }),
    play(`Join ${which} as workers`, { hosts: nodes, become: true, items: [kubernetesWorker(kubernetes)] }),
  ])
}

export const addNode = addNodePlaybook()

main(import.meta.url, addNode)
