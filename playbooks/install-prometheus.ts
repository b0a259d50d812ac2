/**
 * The monitoring stack (Prometheus :30900, Grafana :30300, Alertmanager, node-exporter,
 * kube-state-metrics) from the first master (seed 001's install-prometheus.yml):
 *
 *   npx tsx playbooks/install-prometheus.ts -i inventory.ts
 *   npx tsx playbooks/install-prometheus.ts -i inventory.ts -e '{"prometheus":{"loadBalancers":["grafana"]}}'
 *
 * Grafana's admin password is `prometheus.grafanaAdminPassword` (a secret), or generated once into
 * the state directory (`.kubeplay/secrets/grafana_admin_password`) and reused. With the offline
 * bundle (kubernetes.packageSource 'artifacts') the Prometheus, Alertmanager and node-exporter
 * images are imported on every node first; Grafana and kube-state-metrics are not in the bundle
 * (`prometheus.grafana: false`, `prometheus.kubeStateMetrics: false`, or images of your own).
 */
import { main, play, type Play, playbook, type Playbook } from 'kubeplay'
import { prometheus, prometheusImages } from 'kubeplay/roles'

/** With the offline bundle: the monitoring images on every node, before the manifests run them. Reused by site.ts. */
export const prometheusImagesPlay: Play = play('Monitoring images', { hosts: 'k8s-cluster', become: true, items: [prometheusImages()] })

/** The monitoring stack from masters[0]: reused by site.ts. */
export const prometheusPlay: Play = play('Monitoring: Prometheus, Grafana, Alertmanager', { hosts: 'masters[0]', become: true, items: [prometheus()] })

export const pb: Playbook = playbook('install-prometheus', [prometheusImagesPlay, prometheusPlay])
export default pb

main(import.meta.url, pb)
