/**
 * The monitoring stack of seed 001 (Prometheus, Grafana, Alertmanager, node-exporter,
 * kube-state-metrics) applied from the first master: NodePorts 30900 (Prometheus) and 30300
 * (Grafana), optional LoadBalancer Services for MetalLB. Grafana's admin password is a Secret,
 * generated once when not given (never admin/admin). Every task reads the cluster, never an earlier
 * task's output, so `--tags prometheus` alone works on a converged cluster.
 */
import type { Secret } from '../../lib/secret.ts'
import type { HostContext } from '../../lib/engine/module.ts'
import { role, task, type Role } from '../../lib/engine/task.ts'
import { defineSettings } from '../../lib/engine/vars.ts'
import { configCheck } from '../../lib/k8s/config-check.ts'
import { isIPv4 } from '../../lib/schema/net.ts'
import { array, boolean, enumOf, int, object, optional, refine, secretWord, string, type Schema } from '../../lib/schema/validate.ts'
import { ADMIN_KUBECONFIG, kubectl, kubectlWait } from '../../lib/modules/kubectl.ts'
import { generatedSecret } from '../../lib/secrets.ts'
import { ConfigError } from '../../lib/errors.ts'
import { addonFromBundle, addonImages } from '../kubernetes/addon.ts'
import { checkManifest, IMAGES, renderGrafanaSecret, renderLoadBalancers, renderMonitoringStack, renderNamespace, type LoadBalanced, type MonitoringImages } from './render.ts'

export { IMAGES, LOAD_BALANCERS, renderMonitoringStack, renderGrafanaSecret, renderLoadBalancers, renderNamespace, checkManifest } from './render.ts'

export interface PrometheusParams {
  /** @default 'monitoring' */
  readonly namespace: string
  /** @default { prometheus: 30900, grafana: 30300 } */
  readonly nodePorts: { readonly prometheus: number; readonly grafana: number }
  /** LoadBalancer Services (MetalLB) for these; empty: NodePorts only. @default [] */
  readonly loadBalancers: readonly LoadBalanced[]
  /** Fixed LoadBalancer addresses from a MetalLB pool. @default {} (MetalLB picks) */
  readonly loadBalancerIPs: Partial<Record<LoadBalanced, string>>
  /** Image overrides (a registry mirror). @default the pinned IMAGES */
  readonly images: Partial<MonitoringImages>
  /**
   * Run Grafana. The offline bundle has no Grafana image (see docs/roles/prometheus.md).
   * @default true with a registry; with kubernetes.packageSource 'artifacts', only when
   * `images.grafana` names an image your nodes can pull (else skipped, with a warning)
   */
  readonly grafana?: boolean
  /** Run kube-state-metrics; not in the offline bundle either. @default as `grafana` */
  readonly kubeStateMetrics?: boolean
  /** @default '15d' */
  readonly retention: string
  /** @default '30s' */
  readonly scrapeInterval: string
  /** @default 'admin' */
  readonly grafanaAdminUser: string
  /** @default generatedSecret('grafana_admin_password') (kept in the state directory, reused) */
  readonly grafanaAdminPassword?: Secret
  /** Wait for the Prometheus and Grafana rollouts. @default true */
  readonly wait: boolean
  /** @default 300 */
  readonly waitTimeoutSeconds: number
  /** @default '/etc/kubernetes/admin.conf' */
  readonly kubeconfig: string
}

export const prometheusDefaults: PrometheusParams = {
  namespace: 'monitoring',
  nodePorts: { prometheus: 30900, grafana: 30300 },
  loadBalancers: [],
  loadBalancerIPs: {},
  images: {},
  retention: '15d',
  scrapeInterval: '30s',
  grafanaAdminUser: 'admin',
  wait: true,
  waitTimeoutSeconds: 300,
  kubeconfig: ADMIN_KUBECONFIG,
}

const nodePort = () => int({ min: 30000, max: 32767 })
/** Defaults that ship with Grafana, the Prometheus stack's charts and tutorials. */
const WEAK_PASSWORDS = new Set(['admin', 'password', 'prom-operator', 'changeme', 'grafana', 'admin123', 'password1', '12345678', 'administrator'])
const duration = (eg: string) => refine(string(), `a Prometheus duration like '${eg}'`, (s) => /^\d+(ms|s|m|h|d|w|y)$/.test(s))
const lb = enumOf(['prometheus', 'grafana', 'alertmanager'])
const image = refine(string(), 'an image reference like quay.io/prometheus/prometheus:v3.16.0', (s) => /^[\w.-]+(:\d+)?(\/[\w.-]+)+(:[\w.-]+|@sha256:[0-9a-f]{64})$/.test(s))

export const prometheusVarsSchema = object({
  namespace: optional(refine(string(), 'a DNS label', (s) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s))),
  nodePorts: optional(object({ prometheus: nodePort(), grafana: nodePort() }, { strict: true })),
  loadBalancers: optional(array(lb)),
  loadBalancerIPs: optional(object({
    prometheus: optional(refine(string(), 'an IPv4 address', isIPv4)),
    grafana: optional(refine(string(), 'an IPv4 address', isIPv4)),
    alertmanager: optional(refine(string(), 'an IPv4 address', isIPv4)),
  }, { strict: true })),
  images: optional(object({
    prometheus: optional(image), alertmanager: optional(image), nodeExporter: optional(image),
    kubeStateMetrics: optional(image), grafana: optional(image),
  }, { strict: true })),
  grafana: optional(boolean()),
  kubeStateMetrics: optional(boolean()),
  retention: optional(duration('15d')),
  scrapeInterval: optional(duration('30s')),
  grafanaAdminUser: optional(refine(string(), 'a user name', (s) => /^[\w.@-]+$/.test(s))),
  grafanaAdminPassword: optional(secretWord('grafana_admin_password', 'a string or secret() of 8+ characters, not a well-known default (Grafana\'s own, the Prometheus charts\')',
    (v) => v.length >= 8 && !WEAK_PASSWORDS.has(v.toLowerCase()))),
  wait: optional(boolean()),
  waitTimeoutSeconds: optional(int({ min: 1 })),
  kubeconfig: optional(refine(string(), 'an absolute path', (p) => p.startsWith('/'))),
}, { strict: true })


type Optional = 'grafana' | 'kubeStateMetrics'
const TITLES: Record<Optional, string> = { grafana: 'Grafana', kubeStateMetrics: 'kube-state-metrics' }
const NO_IMAGE = (k: Optional): string => `the offline bundle (kubernetes.packageSource 'artifacts') has no ${TITLES[k]} image`

/**
 * Pure: whether Grafana / kube-state-metrics run. Unset: yes with a registry; with the offline
 * bundle only when `images` names one (the bundle carries neither).
 */
export function runs(p: Pick<PrometheusParams, Optional | 'images'>, k: Optional, fromBundle: boolean): boolean {
  return p[k] ?? (!fromBundle || p.images[k] !== undefined)
}

/** Pure: with the offline bundle, a part asked for explicitly must come with an image of the user's. */
export function bundleProblems(p: Pick<PrometheusParams, Optional | 'images'>, fromBundle: boolean, file = 'vars'): ConfigError[] {
  if (!fromBundle) return []
  return (['grafana', 'kubeStateMetrics'] as const).filter((k) => p[k] === true && !p.images[k]).map((k) => new ConfigError(file, `prometheus.${k}`,
    `false, or prometheus.images.${k} set to an image your nodes can pull: ${NO_IMAGE(k)}`, 'true'))
}

/**
 * The monitoring images on the nodes, from the offline bundle (kubernetes.packageSource
 * 'artifacts'; with a registry, the kubelet pulls them): every node, since node-exporter is a
 * DaemonSet and Prometheus and Alertmanager may be scheduled on any worker.
 */
export function prometheusImages(): Role {
  return addonImages('prometheus-images', [
    ['Import the Prometheus image', 'prometheus'],
    ['Import the Alertmanager image', 'alertmanager'],
    ['Import the node-exporter image', 'nodeExporter'],
  ], { roleTags: ['kubernetes', 'monitoring', 'prometheus'] })
}

const SETTINGS = defineSettings({ key: 'prometheus', schema: prometheusVarsSchema, defaults: prometheusDefaults, ansibleNames: { grafana_admin_password: 'grafanaAdminPassword', grafana_admin_user: 'grafanaAdminUser', prometheus_retention: 'retention' } })

export function prometheus(params: Partial<PrometheusParams> = {}): Role {
  const given = SETTINGS.params(params, 'prometheus()')
  const s = (h: HostContext): PrometheusParams => SETTINGS.of(h, given)
  const stack = (h: HostContext): string => {
    const p = s(h)
    return renderMonitoringStack({
      namespace: p.namespace, nodePorts: p.nodePorts, images: { ...IMAGES, ...p.images }, retention: p.retention, scrapeInterval: p.scrapeInterval,
      grafana: runs(p, 'grafana', addonFromBundle(h)), kubeStateMetrics: runs(p, 'kubeStateMetrics', addonFromBundle(h)),
    })
  }
  const lbs = (h: HostContext): string => renderLoadBalancers(s(h).namespace, s(h).loadBalancers, s(h).loadBalancerIPs)
  const password = (h: HostContext): Secret => s(h).grafanaAdminPassword ?? generatedSecret('grafana_admin_password')
  const kc = (h: HostContext) => ({ kubeconfig: s(h).kubeconfig })
  const waitOpts = { tags: ['prometheus-wait'], when: (h: HostContext) => s(h).wait, whenReason: 'prometheus.wait is false' }
  const grafana = (h: HostContext): boolean => runs(s(h), 'grafana', addonFromBundle(h))
  const withGrafana = { when: grafana, whenReason: 'Grafana is not installed (prometheus.grafana false, or no image for it in the offline bundle)' }
  const rollout = (name: string) => (h: HostContext) => ({ resource: `deployment/${name}`, namespace: s(h).namespace, timeoutSeconds: s(h).waitTimeoutSeconds, ...kc(h) })

  return role('prometheus', [
    task('Check the rendered monitoring manifests', configCheck, (h) => {
      // Warnings once per run, here.
      const p = s(h)
      if (p.nodePorts.prometheus === p.nodePorts.grafana) h.warn('prometheus.nodePorts: Prometheus and Grafana share one port')
      for (const k of ['grafana', 'kubeStateMetrics'] as const) {
        if (p[k] === undefined && !runs(p, k, addonFromBundle(h))) h.warn(`prometheus: ${TITLES[k]} is not installed: ${NO_IMAGE(k)}; set prometheus.images.${k} to one your nodes can pull, or prometheus.${k}: false to say so`)
      }
      return {
        what: 'monitoring manifests',
        errors: [
          ...bundleProblems(p, addonFromBundle(h)),
          ...checkManifest(stack(h), 'prometheus stack'), ...(p.loadBalancers.length ? checkManifest(lbs(h), 'prometheus load balancers') : []),
        ],
      }
    }),
    task('Create the monitoring namespace', kubectl, (h) => ({ manifest: renderNamespace(s(h).namespace), ...kc(h) }), { tags: ['prometheus-stack', 'grafana'] }),
    task('Store the Grafana admin credentials in a Secret', kubectl, (h) => ({
      manifest: renderGrafanaSecret(s(h).namespace, s(h).grafanaAdminUser, password(h)), ...kc(h),
    }), { tags: ['grafana'], ...withGrafana }),
    task('Apply the monitoring stack', kubectl, (h) => ({ manifest: stack(h), ...kc(h) }),
      { tags: ['prometheus-stack', 'grafana'] }),
    task('Apply the monitoring LoadBalancer Services', kubectl, (h) => ({ manifest: lbs(h), ...kc(h) }),
      { tags: ['prometheus-lb'], when: (h) => s(h).loadBalancers.length > 0, whenReason: 'prometheus.loadBalancers is empty (NodePorts only)' }),
    task('Wait for the Prometheus rollout', kubectlWait, rollout('prometheus-server'), waitOpts),
    task('Wait for the Alertmanager rollout', kubectlWait, rollout('alertmanager'), waitOpts),
    task('Wait for the Grafana rollout', kubectlWait, rollout('grafana'), {
      ...waitOpts, when: (h: HostContext) => s(h).wait && grafana(h), whenReason: 'prometheus.wait is false, or Grafana is not installed',
    }),
  ], { tags: ['kubernetes', 'monitoring'], vars: SETTINGS.vars })
}
