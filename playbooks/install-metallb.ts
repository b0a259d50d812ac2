/**
 * MetalLB (and, for site.ts, the NGINX ingress controller) on a converged cluster, from the first
 * master (seed 001's install-metallb.yml):
 *
 *   npx tsx playbooks/install-metallb.ts -i inventory.ts                 # native manifest + pools
 *   npx tsx playbooks/install-metallb.ts -i inventory.ts --tags metallb-pools   # pools only
 *
 * The pools come from the `metallb:` vars (group_vars/k8s-cluster.yml or inventory.ts); they are
 * checked at inventory load and against the inventory before anything is applied.
 */
import { main, play, type Play, playbook, type Playbook } from 'kubeplay'
import { ingressNginx, metallb, metallbImages } from 'kubeplay/roles'

/** With the offline bundle: MetalLB's images on every node, before the manifest runs them. Reused by site.ts. */
export const metallbImagesPlay: Play = play('MetalLB images', { hosts: 'k8s-cluster', become: true, items: [metallbImages()] })

/** MetalLB from masters[0]: reused by site.ts. */
export const metallbPlay: Play = play('MetalLB load balancer', { hosts: 'masters[0]', become: true, items: [metallb()] })

/**
 * The NGINX ingress controller from masters[0], NodePorts 32624/31316: reused by site.ts. Not part
 * of this playbook: it needs `ingressNginx.manifestSha256` (kubeplay ships no digest for it).
 */
export const ingressPlay: Play = play('NGINX ingress controller', { hosts: 'masters[0]', become: true, items: [ingressNginx()] })

export const pb: Playbook = playbook('install-metallb', [metallbImagesPlay, metallbPlay])
export default pb

main(import.meta.url, pb)
