/**
 * The seed 001 topology (MLOps platform on 10.110.190.0/24): one HAProxy in front of three masters,
 * three workers. An EXAMPLE for your own cluster: pass it explicitly with `-i inventory.ts`.
 * No default command, test or benchmark ever contacts these addresses; the default inventory is the
 * built-in lab (`-i lab`).
 */
import { defineInventory } from 'kubeplay'

export default defineInventory({
  defaults: {
    user: 'ubuntu',
    become: true,
  },
  hosts: {
    haproxy1: { address: '10.110.190.21' },
    master1: { address: '10.110.190.22' },
    master2: { address: '10.110.190.23' },
    master3: { address: '10.110.190.24' },
    worker1: { address: '10.110.190.25' },
    worker2: { address: '10.110.190.26' },
    worker3: { address: '10.110.190.27' },
  },
  groups: {
    haproxy: { hosts: ['haproxy1'] },
    masters: { hosts: ['master1', 'master2', 'master3'] },
    workers: { hosts: ['worker1', 'worker2', 'worker3'] },
    'k8s-cluster': { children: ['masters', 'workers'] },
    nfs_server: { hosts: ['master1'] },
    nfs_clients: { hosts: ['worker1', 'worker2', 'worker3'] },
  },
})
