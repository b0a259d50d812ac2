/**
 * metrics-server on a converged cluster (seed 004: `kubectl top nodes`), from the first master:
 *
 *   npx tsx playbooks/install-metrics-server.ts -i inventory.ts
 *
 * With the offline bundle (kubernetes.packageSource 'artifacts') its image is imported on every
 * node first; otherwise set `metricsServer.manifestSha256` (see docs/roles/metrics-server.md).
 */
import { main, play, type Play, playbook, type Playbook } from 'kubeplay'
import { metricsServer, metricsServerImages } from 'kubeplay/roles'

/** With the offline bundle: the image on every node, before the Deployment runs it. Reused by site.ts. */
export const metricsServerImagesPlay: Play = play('metrics-server image', { hosts: 'k8s-cluster', become: true, items: [metricsServerImages()] })

/** metrics-server from masters[0]: reused by site.ts. */
export const metricsServerPlay: Play = play('metrics-server', { hosts: 'masters[0]', become: true, items: [metricsServer()] })

export const pb: Playbook = playbook('install-metrics-server', [metricsServerImagesPlay, metricsServerPlay])
export default pb

main(import.meta.url, pb)
