import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseObjects } from '../../lib/k8s/objects.ts'
import { metricsServerBaseSha256, metricsServerManifest } from '../../lib/bundle/metrics-server.ts'

// A base shaped like manifests/base of sigs.k8s.io/metrics-server (written here, not copied).
const base = [
  'apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata:\n  name: v1beta1.metrics.k8s.io\nspec:\n  service: {name: metrics-server, namespace: kube-system}\n',
  [
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: metrics-server\n  namespace: kube-system\nspec:\n  template:\n    spec:',
    '      containers:\n      - name: metrics-server\n        image: gcr.io/k8s-staging-metrics-server/metrics-server:master\n        args: [--cert-dir=/tmp]',
  ].join('\n'),
  'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: metrics-server\n  namespace: kube-system\n',
  'apiVersion: v1\nkind: Service\nmetadata:\n  name: metrics-server\n  namespace: kube-system\nspec:\n  ports: [{port: 443}]\n',
]
const IMAGE = 'registry.k8s.io/metrics-server/metrics-server:v0.8.0'

test('metricsServerManifest: the label everywhere commonLabels puts it, the release image, nothing else changed', () => {
  const objs = parseObjects(metricsServerManifest(base, IMAGE), 'out')
  assert.equal(objs.map((o) => o.kind), ['APIService', 'Deployment', 'ServiceAccount', 'Service'])
  for (const o of objs) assert.equal(o.metadata.labels, { 'k8s-app': 'metrics-server' }, o.kind)
  const d = objs[1] as unknown as { spec: { selector: unknown; template: { metadata: { labels: unknown }; spec: { containers: Array<{ image: string; args: string[] }> } } } }
  assert.equal(d.spec.selector, { matchLabels: { 'k8s-app': 'metrics-server' } })
  assert.equal(d.spec.template.metadata.labels, { 'k8s-app': 'metrics-server' })
  assert.is(d.spec.template.spec.containers[0]!.image, IMAGE)
  assert.equal(d.spec.template.spec.containers[0]!.args, ['--cert-dir=/tmp'])
  assert.equal((objs[3] as unknown as { spec: { selector: unknown; ports: unknown } }).spec, { ports: [{ port: 443 }], selector: { 'k8s-app': 'metrics-server' } })
})

test('metricsServerManifest: a base without the staging image is refused (the module changed shape)', () => {
  assert.throws(() => metricsServerManifest([base[0]!, base[2]!], IMAGE), /expected one container with the image gcr\.io\/k8s-staging-metrics-server\/metrics-server, found 0/)
})

test('metricsServerBaseSha256: order and boundaries matter', () => {
  assert.is.not(metricsServerBaseSha256(['a', 'b']), metricsServerBaseSha256(['b', 'a']))
  assert.is.not(metricsServerBaseSha256(['ab', '']), metricsServerBaseSha256(['a', 'b']))
})

test.run()
