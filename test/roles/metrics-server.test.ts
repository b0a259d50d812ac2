/** metrics-server role, pure parts: the Deployment's arguments, settings schema, tasks and skips. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { flatten, play, type Task } from '../../lib/engine/task.ts'
import { object, optional, validate } from '../../lib/schema/validate.ts'
import { parseObjects } from '../../lib/k8s/objects.ts'
import { metricsServer, metricsServerArgs, metricsServerDefaults, metricsServerVarsSchema } from '../../roles/metrics-server/index.ts'

const manifest = `apiVersion: v1
kind: ServiceAccount
metadata: {name: metrics-server, namespace: kube-system}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: metrics-server, namespace: kube-system}
spec:
  template:
    spec:
      containers:
      - name: metrics-server
        image: registry.k8s.io/metrics-server/metrics-server:v0.8.0
        args: [--cert-dir=/tmp, --secure-port=10250, --metric-resolution=15s]
`
const argsOf = (text: string): string[] =>
  (parseObjects(text, 't')[1] as unknown as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } }).spec.template.spec.containers[0]!.args

test('metricsServerArgs: --kubelet-insecure-tls by default, extra flags replace the manifest\'s own, idempotent', () => {
  const once = metricsServerArgs(manifest, { ...metricsServerDefaults, extraArgs: ['--metric-resolution=30s'] })
  assert.equal(argsOf(once), ['--cert-dir=/tmp', '--secure-port=10250', '--kubelet-insecure-tls', '--metric-resolution=30s'])
  assert.is(metricsServerArgs(once, { ...metricsServerDefaults, extraArgs: ['--metric-resolution=30s'] }), once)
  assert.equal(argsOf(metricsServerArgs(manifest, { kubeletInsecureTls: false, extraArgs: [] })), ['--cert-dir=/tmp', '--secure-port=10250', '--metric-resolution=15s'])
  assert.is(parseObjects(once, 't')[0]!.kind, 'ServiceAccount', 'the other objects untouched')
})

test('metricsServerArgs: a manifest without the metrics-server Deployment is refused', () => {
  assert.throws(() => metricsServerArgs(manifest.split('---')[0]!, metricsServerDefaults), /expected one metrics-server container in Deployment kube-system\/metrics-server, found 0/)
})

test('settings: strict, typed, each problem named', () => {
  const schema = object({ metricsServer: optional(metricsServerVarsSchema) })
  assert.equal(validate(schema, { metricsServer: { kubeletInsecureTLS: true, extraArgs: ['metric-resolution=30s'], waitTimeoutSeconds: 0 } }, 'g.yml', { partial: true }).errors.map((e) => e.message), [
    'g.yml: metricsServer.extraArgs[0]: expected a --flag or --flag=value, found "metric-resolution=30s"',
    'g.yml: metricsServer.waitTimeoutSeconds: expected an integer ≥ 1, found 0',
    "g.yml: metricsServer.kubeletInsecureTLS: expected a known key (did you mean 'kubeletInsecureTls'?), found an unknown key",
  ])
})

test('tasks: tagged metrics-server and kubernetes; without the bundle and a digest everything is skipped with the reason', () => {
  const flat = flatten(play('p', { hosts: 'masters[0]', items: [metricsServer()] }))
  for (const t of flat) assert.ok(t.tags.has('metrics-server') && t.tags.has('kubernetes'), t.item.title)
  assert.equal(flat.map((t) => t.item.title), [
    'Upload metrics-server v0.8.0 from the bundle', 'Fetch metrics-server v0.8.0', 'Apply metrics-server v0.8.0',
    'Wait for metrics-server to be available', 'Wait for the metrics API to be served',
  ])
  const host = { vars: { kubernetes: { packageSource: 'pkgs.k8s.io' } } } as never
  const tasks = flat.map((t) => t.item as Task)
  for (const t of tasks) assert.is(t.when!(host), false, t.title)
  assert.match(tasks[2]!.whenReason!, /metricsServer\.manifestSha256 is not set/)
  const withSha = { vars: { kubernetes: { packageSource: 'pkgs.k8s.io' }, metricsServer: { manifestSha256: 'a'.repeat(64) } } } as never
  assert.equal(tasks.map((t) => t.when!(withSha)), [false, true, true, true, true])
})

test.run()
