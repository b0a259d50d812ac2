/** prometheus role, pure parts: golden renders, manifest checks, the Grafana Secret never printable, vars schema, tags. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Secret, mask } from '../../lib/secret.ts'
import { flatten, play, type Task } from '../../lib/engine/task.ts'
import { imageRefs, RELEASES } from '../../lib/bundle/pins.ts'
import { object, optional, validate } from '../../lib/schema/validate.ts'
import { objectId, parseObjects } from '../../lib/k8s/objects.ts'
import { bundleProblems, checkManifest, IMAGES, runs, prometheus, prometheusDefaults, prometheusVarsSchema, renderGrafanaSecret, renderLoadBalancers, renderMonitoringStack } from '../../roles/prometheus/index.ts'

/** Golden files: UPDATE_GOLDEN=1 rewrites them (review the diff before committing). */
function golden(name: string, actual: string): void {
  const file = new URL(`./golden/${name}`, import.meta.url)
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, actual)
  assert.ok(existsSync(file), `missing golden file ${file.pathname}: run with UPDATE_GOLDEN=1 and review it`)
  assert.fixture(actual, readFileSync(file, 'utf8'))
}

const stack = renderMonitoringStack({ namespace: 'monitoring', nodePorts: prometheusDefaults.nodePorts, images: IMAGES, retention: '15d', scrapeInterval: '30s', grafana: true, kubeStateMetrics: true })

test('golden: the monitoring stack with the defaults (seed 001 NodePorts 30900/30300)', () => {
  golden('prometheus-stack.yaml', stack)
})

test('every document is an object with apiVersion, kind, metadata.name, once; NodePorts as in seed 001', () => {
  const objs = parseObjects(stack, 'stack')
  assert.equal(checkManifest(stack, 'stack'), [])
  assert.is(objectId(objs[0]!), 'v1 Namespace monitoring', 'the namespace comes first')
  const svc = (name: string) => objs.find((o) => o.kind === 'Service' && o.metadata.name === name)!.spec as { type?: string; ports: Array<{ port: number; nodePort?: number }> }
  assert.equal([svc('prometheus-server').type, svc('prometheus-server').ports[0]!.port, svc('prometheus-server').ports[0]!.nodePort], ['NodePort', 9090, 30900])
  assert.equal([svc('grafana').type, svc('grafana').ports[0]!.port, svc('grafana').ports[0]!.nodePort], ['NodePort', 3000, 30300])
  assert.equal(svc('alertmanager').ports[0]!.port, 9093)
  const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`)
  for (const k of ['Deployment/prometheus-server', 'Deployment/alertmanager', 'DaemonSet/node-exporter', 'Deployment/kube-state-metrics', 'Deployment/grafana']) assert.ok(kinds.includes(k), k)
  const images = [...stack.matchAll(/image: (\S+)/g)].map((m) => m[1])
  assert.equal(images.sort(), Object.values(IMAGES).sort(), 'every image pinned by tag')
})

test("the embedded Prometheus and Alertmanager configs are valid YAML that scrape the stack's own parts", () => {
  const cm = parseObjects(stack, 's').find((o) => o.metadata.name === 'prometheus-config')!.data as Record<string, string>
  const conf = parseYaml(cm['prometheus.yml']!) as { scrape_configs: Array<{ job_name: string }>; alerting: unknown; rule_files: string[] }
  assert.equal(conf.scrape_configs.map((j) => j.job_name), ['prometheus', 'alertmanager', 'kube-state-metrics', 'kubernetes-apiservers', 'node-exporter', 'kubelet-cadvisor'])
  assert.equal(conf.rule_files, ['/etc/prometheus/rules.yml'])
  const rules = parseYaml(cm['rules.yml']!) as { groups: Array<{ rules: Array<{ alert: string; annotations: { summary: string } }> }> }
  assert.equal(rules.groups[0]!.rules.map((r) => r.alert), ['NodeDown', 'PodCrashLooping', 'NodeHighMemory'])
  assert.is(rules.groups[0]!.rules[0]!.annotations.summary, 'Node exporter on {{ $labels.node }} is down', 'Prometheus templating survives Handlebars')
  const am = parseObjects(stack, 's').find((o) => o.metadata.name === 'alertmanager-config')!.data as Record<string, string>
  assert.is((parseYaml(am['alertmanager.yml']!) as { route: { receiver: string } }).route.receiver, 'default')
})

test('golden: optional LoadBalancer Services (seed 001), a fixed address through the MetalLB annotation', () => {
  const lb = renderLoadBalancers('monitoring', ['prometheus', 'grafana', 'alertmanager'], { grafana: '10.110.190.101' })
  golden('prometheus-loadbalancers.yaml', lb)
  assert.equal(parseObjects(lb, 'lb').map(objectId), ['v1 Service monitoring/prometheus-server-lb', 'v1 Service monitoring/grafana-lb', 'v1 Service monitoring/alertmanager-lb'])
  assert.equal(checkManifest(lb, 'lb'), [])
})

test('the Grafana Secret: a Secret whose text, password and base64 password are all masked; admin refused', () => {
  const pw = 'Zq8-not-admin-Xy'
  const text = renderGrafanaSecret('monitoring', 'admin', new Secret(pw))
  assert.instance(text, Secret)
  assert.is(String(text), '***')
  const real = text.reveal()
  const b64 = Buffer.from(pw).toString('base64')
  assert.match(real, `admin-password: ${b64}`)
  assert.equal(parseObjects(real, 'secret').map(objectId), ['v1 Secret monitoring/grafana-admin'])
  assert.is(mask(`diff: +  admin-password: ${b64}`), 'diff: +  admin-password: ***')
  assert.is(mask(`pw ${pw}`), 'pw ***')
  assert.throws(() => renderGrafanaSecret('monitoring', 'admin', 'admin'), (e: Error) =>
    e.message === 'vars: prometheus.grafanaAdminPassword: expected a password other than the well-known default (leave it unset to generate one), found the default')
})

test('manifest checks: missing identity, duplicates, NodePorts out of range or shared', () => {
  const svc = (name: string, nodePort: number) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  ports:\n    - port: 80\n      nodePort: ${nodePort}\n`
  assert.equal(checkManifest(`${svc('a', 30900)}---\n${svc('b', 30900)}---\n${svc('c', 80)}---\n${svc('a', 31000)}`, 'm').map((e) => e.message), [
    'm: v1 Service b nodePort: expected a port no other Service uses (v1 Service a has it), found 30900',
    'm: v1 Service c nodePort: expected a port in the NodePort range 30000-32767, found 80',
    'm: v1 Service a: expected each object once, found a duplicate',
  ])
  assert.equal(checkManifest('kind: ConfigMap\nmetadata:\n  name: x\n', 'm').map((e) => e.message), ['m: document[0]: expected an object with apiVersion, found ConfigMap without them'])
})

test('vars schema: ports in the NodePort range, known load balancers, durations, the password becomes a Secret', () => {
  const schema = object({ prometheus: optional(prometheusVarsSchema) })
  const ok = validate(schema, { prometheus: { nodePorts: { prometheus: 30900, grafana: 30300 }, loadBalancers: ['grafana'], grafanaAdminPassword: 'pw-from-vault' } }, 'group_vars/all.yml', { partial: true })
  assert.equal(ok.errors, [])
  assert.instance((ok.value as { prometheus: { grafanaAdminPassword: unknown } }).prometheus.grafanaAdminPassword, Secret)
  const bad = validate(schema, { prometheus: { nodePorts: { prometheus: 9090, grafana: 30300 }, loadBalancers: ['kibana'], retention: '15 days' } }, 'g.yml', { partial: true })
  assert.equal(bad.errors.map((e) => e.message), [
    'g.yml: prometheus.nodePorts.prometheus: expected an integer 30000..32767, found 9090',
    "g.yml: prometheus.loadBalancers[0]: expected 'prometheus' | 'grafana' | 'alertmanager', found \"kibana\"",
    "g.yml: prometheus.retention: expected a Prometheus duration like '15d', found \"15 days\"",
  ])
})

test('tags: prometheus, kubernetes and monitoring on every task; the Secret task alone under grafana', () => {
  const flat = flatten(play('p', { hosts: 'masters[0]', items: [prometheus()] }))
  for (const t of flat) assert.ok(['prometheus', 'kubernetes', 'monitoring'].every((x) => t.tags.has(x)), t.item.title)
  assert.is(flat[0]!.item.title, 'Check the rendered monitoring manifests')
  assert.equal(flat.filter((t) => t.tags.has('grafana')).map((t) => t.item.title), [
    'Create the monitoring namespace', 'Store the Grafana admin credentials in a Secret', 'Apply the monitoring stack',
  ])
})

test('grafana and kubeStateMetrics off: neither rendered, no scrape job for kube-state-metrics, the rest unchanged', () => {
  const lean = renderMonitoringStack({ namespace: 'monitoring', nodePorts: prometheusDefaults.nodePorts, images: IMAGES, retention: '15d', scrapeInterval: '30s', grafana: false, kubeStateMetrics: false })
  const objs = parseObjects(lean, 'lean')
  assert.equal(checkManifest(lean, 'lean'), [])
  assert.not.ok(objs.some((o) => /grafana|kube-state-metrics/.test(o.metadata.name)), objs.map(objectId).join('\n'))
  const conf = parseYaml((objs.find((o) => o.metadata.name === 'prometheus-config')!.data as Record<string, string>)['prometheus.yml']!) as { scrape_configs: Array<{ job_name: string }> }
  assert.equal(conf.scrape_configs.map((j) => j.job_name), ['prometheus', 'alertmanager', 'kubernetes-apiservers', 'node-exporter', 'kubelet-cadvisor'])
  const full = parseObjects(stack, 'full').map(objectId)
  assert.equal(objs.map(objectId), full.filter((id) => !/grafana|kube-state-metrics/.test(id)))
})

test('the offline bundle: its Prometheus, Alertmanager and node-exporter are the pinned images; Grafana and kube-state-metrics must be off or given', () => {
  for (const pins of Object.values(RELEASES)) {
    const refs = imageRefs(pins)
    assert.equal([refs.prometheus, refs.alertmanager, refs.nodeExporter], [IMAGES.prometheus, IMAGES.alertmanager, IMAGES.nodeExporter], pins.kubernetes)
  }
  assert.equal(bundleProblems({ ...prometheusDefaults, grafana: true, kubeStateMetrics: true }, false), [], 'with a registry, anything goes')
  assert.equal(bundleProblems(prometheusDefaults, true), [], 'unset: not installed (with a warning), no error')
  assert.equal([runs(prometheusDefaults, 'grafana', false), runs(prometheusDefaults, 'grafana', true), runs({ ...prometheusDefaults, images: { grafana: 'mirror.local/grafana:11.2.2' } }, 'grafana', true)], [true, false, true])
  assert.equal(bundleProblems({ ...prometheusDefaults, grafana: true, kubeStateMetrics: true }, true).map((e) => e.message), [
    "vars: prometheus.grafana: expected false, or prometheus.images.grafana set to an image your nodes can pull: the offline bundle (kubernetes.packageSource 'artifacts') has no Grafana image, found true",
    "vars: prometheus.kubeStateMetrics: expected false, or prometheus.images.kubeStateMetrics set to an image your nodes can pull: the offline bundle (kubernetes.packageSource 'artifacts') has no kube-state-metrics image, found true",
  ])
  assert.equal(bundleProblems({ grafana: false, kubeStateMetrics: true, images: { kubeStateMetrics: 'mirror.local/ksm:v2.13.0' } }, true), [])
  const flat = flatten(play('p', { hosts: 'masters[0]', items: [prometheus({ grafana: false })] }))
  const host = { vars: { prometheus: { grafana: false } } } as never
  const skipped = flat.map((t) => t.item as Task).filter((t) => t.when && !t.when(host)).map((t) => t.title)
  assert.equal(skipped, ['Store the Grafana admin credentials in a Secret', 'Apply the monitoring LoadBalancer Services', 'Wait for the Grafana rollout'])
})

test('a weak Grafana admin password is refused with the vars, before anything runs, without echoing it', () => {
  const schema = object({ prometheus: optional(prometheusVarsSchema) })
  for (const pw of ['admin', 'prom-operator', 'Admin', 'short7x']) {
    const r = validate(schema, { prometheus: { grafanaAdminPassword: pw } }, 'group_vars/all.yml', { partial: true })
    assert.equal(r.errors.map((e) => e.message), [`group_vars/all.yml: prometheus.grafanaAdminPassword: expected a string or secret() of 8+ characters, not a well-known default (Grafana's own, the Prometheus charts'), found a secret that does not fit`], pw)
  }
  assert.equal(validate(schema, { prometheus: { grafanaAdminPassword: 'c0rrect-horse' } }, 'g.yml', { partial: true }).errors, [])
})

test.run()
