/**
 * The whole platform of seed 001, in order: the load balancer, node preparation, shared storage,
 * then the Kubernetes control plane, workers and add-ons.
 *
 *   npx tsx playbooks/site.ts -i inventory.ts --check --diff     # what would change
 *   npx tsx playbooks/site.ts -i inventory.ts --tags haproxy     # only the load balancer
 *   npm start                                                # the built-in lab, no inventory needed
 */
import { main, play, playbook } from 'kubeplay'
import { common, containerd, haproxy, kubernetesPlays, nfsClient, nfsServer } from 'kubeplay/roles'
import { metallbImagesPlay, metallbPlay } from './install-metallb.ts'
import { metricsServerImagesPlay, metricsServerPlay } from './install-metrics-server.ts'
import { prometheusImagesPlay, prometheusPlay } from './install-prometheus.ts'

export const loadBalancerPlay = play('Load balancer', { hosts: 'haproxy', become: true, items: [haproxy()] })

export const prepareNodesPlay = play('Prepare the Kubernetes nodes', {
  hosts: 'k8s-cluster', become: true, items: [common(), containerd()],
})

export const nfsServerPlay = play('NFS server', { hosts: 'nfs_server', become: true, items: [nfsServer()] })
export const nfsClientsPlay = play('NFS clients', { hosts: 'nfs_clients', become: true, items: [nfsClient()] })

/** Control plane (first master inits, the others join one at a time), then the workers. */
export const kubernetesClusterPlays = kubernetesPlays()

// The NGINX ingress controller (seed 001) needs its manifest's sha256 pinned first
// (`ingressNginx.manifestSha256` in group_vars): then add `ingressPlay` from ./install-metallb.ts here.
export const site = playbook('site', [
  loadBalancerPlay,
  prepareNodesPlay,
  nfsServerPlay,
  nfsClientsPlay,
  ...kubernetesClusterPlays,
  metallbImagesPlay,
  metallbPlay,
  metricsServerImagesPlay,
  metricsServerPlay,
  prometheusImagesPlay,
  prometheusPlay,
])

main(import.meta.url, site)
