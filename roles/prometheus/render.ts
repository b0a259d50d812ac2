/**
 * Pure rendering of the monitoring stack (seed 001): Prometheus, Alertmanager, node-exporter,
 * kube-state-metrics and Grafana as plain manifests from templates/*.yaml.hbs with pinned images,
 * no Helm and no operator. What is rendered here is exactly what the role applies (golden-tested).
 * The Grafana admin Secret is rendered apart and returned as a Secret, so its text never reaches a
 * log, a diff or a report.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Secret, reveal } from '../../lib/secret.ts'
import { ConfigError } from '../../lib/errors.ts'
import { objectId, parseObjects, type K8sObject } from '../../lib/k8s/objects.ts'
import { renderTemplate } from '../../lib/modules/template.ts'

const tpl = (f: string): string => fileURLToPath(new URL(`./templates/${f}`, import.meta.url))
export const TEMPLATES = {
  namespace: tpl('namespace.yaml.hbs'),
  prometheus: tpl('prometheus.yaml.hbs'),
  alertmanager: tpl('alertmanager.yaml.hbs'),
  nodeExporter: tpl('node-exporter.yaml.hbs'),
  kubeStateMetrics: tpl('kube-state-metrics.yaml.hbs'),
  grafana: tpl('grafana.yaml.hbs'),
  grafanaSecret: tpl('grafana-secret.yaml.hbs'),
  loadBalancers: tpl('loadbalancers.yaml.hbs'),
} as const

export interface MonitoringImages {
  readonly prometheus: string
  readonly alertmanager: string
  readonly nodeExporter: string
  readonly kubeStateMetrics: string
  readonly grafana: string
}

/**
 * Pinned image tags. Prometheus, Alertmanager and node-exporter are the versions the offline bundle
 * builds (lib/bundle/pins.ts; a unit test keeps them equal); kube-state-metrics and Grafana are not
 * in the bundle.
 */
export const IMAGES: MonitoringImages = {
  prometheus: 'quay.io/prometheus/prometheus:v3.16.0',
  alertmanager: 'quay.io/prometheus/alertmanager:v0.35.0',
  nodeExporter: 'quay.io/prometheus/node-exporter:v1.12.1',
  kubeStateMetrics: 'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0',
  grafana: 'docker.io/grafana/grafana:11.2.2',
}

export interface StackSettings {
  readonly namespace: string
  readonly nodePorts: { readonly prometheus: number; readonly grafana: number }
  readonly images: MonitoringImages
  /** Prometheus TSDB retention (`15d`). */
  readonly retention: string
  /** `30s`. */
  readonly scrapeInterval: string
  /** Render Grafana (its Deployment, Service and datasource). */
  readonly grafana: boolean
  /** Render kube-state-metrics (and Prometheus's job for it). */
  readonly kubeStateMetrics: boolean
}

export type LoadBalanced = 'prometheus' | 'grafana' | 'alertmanager'

/** The optional LoadBalancer Services of seed 001 (MetalLB hands out their addresses). */
export const LOAD_BALANCERS: Readonly<Record<LoadBalanced, { name: string; app: string; port: number }>> = {
  prometheus: { name: 'prometheus-server-lb', app: 'prometheus', port: 9090 },
  grafana: { name: 'grafana-lb', app: 'grafana', port: 3000 },
  alertmanager: { name: 'alertmanager-lb', app: 'alertmanager', port: 9093 },
}

function render(which: keyof typeof TEMPLATES, vars: Record<string, unknown>): string {
  return renderTemplate(readFileSync(TEMPLATES[which], 'utf8'), vars, TEMPLATES[which])
}

const join = (docs: readonly string[]): string => docs.map((d) => d.trim()).filter(Boolean).join('\n---\n') + '\n'

/** The stack without its Secret: namespace first, so one apply creates it before the rest. */
export function renderMonitoringStack(s: StackSettings): string {
  const vars = { ...s } as unknown as Record<string, unknown>
  const parts = (['namespace', 'prometheus', 'alertmanager', 'nodeExporter', 'kubeStateMetrics', 'grafana'] as const)
    .filter((t) => (t !== 'grafana' || s.grafana) && (t !== 'kubeStateMetrics' || s.kubeStateMetrics))
  return join(parts.map((t) => render(t, vars)))
}

/** The namespace alone (applied before the Secret that lives in it). */
export function renderNamespace(namespace: string): string {
  return join([render('namespace', { namespace })])
}

/**
 * The Grafana admin Secret, as a Secret: its text (and the base64 of the password, which is what
 * the manifest and `kubectl diff` carry) is registered for masking before anything can print it.
 */
export function renderGrafanaSecret(namespace: string, user: string, password: Secret | string): Secret {
  const pw = reveal(password)
  if (pw === '' || pw === 'admin') {
    throw new ConfigError('vars', 'prometheus.grafanaAdminPassword', 'a password other than the well-known default (leave it unset to generate one)', pw === '' ? 'an empty string' : 'the default')
  }
  const b64 = Buffer.from(pw, 'utf8').toString('base64')
  new Secret(pw, 'grafana_admin_password')
  new Secret(b64, 'grafana_admin_password (base64)')
  const text = join([render('grafanaSecret', { namespace, adminUserB64: Buffer.from(user, 'utf8').toString('base64'), adminPasswordB64: b64 })])
  return new Secret(text, 'grafana-admin Secret manifest')
}

/** LoadBalancer Services for `which`, with a fixed address from `addresses` when given. */
export function renderLoadBalancers(namespace: string, which: readonly LoadBalanced[], addresses: Partial<Record<LoadBalanced, string>> = {}): string {
  const services = which.map((w) => ({ ...LOAD_BALANCERS[w], address: addresses[w] ?? '' }))
  return join(render('loadBalancers', { namespace, services }).split(/^---$/m))
}

/**
 * Pure: every problem of a rendered stream: each document a Kubernetes object with apiVersion, kind
 * and metadata.name, no two with the same identity, NodePorts in the default range and distinct.
 */
export function checkManifest(text: string, source: string): ConfigError[] {
  let objects: K8sObject[]
  try { objects = parseObjects(text, source) } catch (e) {
    return (e as { errors?: ConfigError[] }).errors ?? [new ConfigError(source, '(manifest)', 'valid YAML objects', (e as Error).message)]
  }
  const errors: ConfigError[] = []
  const seen = new Set<string>()
  const ports = new Map<number, string>()
  for (const o of objects) {
    const id = objectId(o)
    if (seen.has(id)) errors.push(new ConfigError(source, id, 'each object once', 'a duplicate'))
    seen.add(id)
    if (o.kind !== 'Service') continue
    for (const p of ((o.spec as { ports?: Array<{ nodePort?: number }> }).ports ?? [])) {
      if (p.nodePort === undefined) continue
      if (!Number.isInteger(p.nodePort) || p.nodePort < 30000 || p.nodePort > 32767) errors.push(new ConfigError(source, `${id} nodePort`, 'a port in the NodePort range 30000-32767', String(p.nodePort)))
      const other = ports.get(p.nodePort)
      if (other) errors.push(new ConfigError(source, `${id} nodePort`, `a port no other Service uses (${other} has it)`, String(p.nodePort)))
      ports.set(p.nodePort, id)
    }
  }
  return errors
}
