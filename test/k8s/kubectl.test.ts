/** kubectl module: rendered commands, diff parsing, and check/apply decisions from canned kubectl answers. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type ShellCommand } from '../../lib/connection/quote.ts'
import { Secret, mask } from '../../lib/secret.ts'
import type { Connection, ExecOptions, ExecResult } from '../../lib/connection/types.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { parseKubectlAccess } from '../../lib/facts/kubectl.ts'
import {
  applyCommand, diffCommand, diffSummary, kubectl, kubectlWait, notYetThere, objectsDiff, parseKubectlDiff, validateKubectl, waitCommand, webhookNotAnswering,
  type KubectlParams,
} from '../../lib/modules/kubectl.ts'

interface Seen { cmd: string; stdin?: string }

/** A connection that answers by the first matching rule; records every command and its stdin. */
function fake(rules: Array<[RegExp, Partial<ExecResult>]>): Connection & { seen: Seen[] } {
  const seen: Seen[] = []
  return {
    host: 'm1',
    seen,
    async exec(cmd: ShellCommand, opts?: ExecOptions) {
      seen.push({ cmd: cmd.text, stdin: opts?.stdin?.toString() })
      const r = rules.find(([re]) => re.test(cmd.text))?.[1] ?? {}
      return { code: 0, stdout: '', stderr: '', stdoutBytes: Buffer.alloc(0), ...r }
    },
    readFile: async () => null,
    writeFile: async () => undefined,
    close: async () => undefined,
  }
}

const ACCESS_OK: [RegExp, Partial<ExecResult>] = [/command -v kubectl/, { stdout: 'kubectl=yes kubeconfig=yes\n' }]
const NO_CLUSTER: [RegExp, Partial<ExecResult>] = [/command -v kubectl/, { stdout: 'kubectl=yes kubeconfig=no\n' }]
const POOL = 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: p\n'

const KUBECTL_DIFF = `diff -u -N /tmp/LIVE-3418/metallb.io.v1beta1.IPAddressPool.metallb-system.default-pool /tmp/MERGED-88/metallb.io.v1beta1.IPAddressPool.metallb-system.default-pool
--- /tmp/LIVE-3418/metallb.io.v1beta1.IPAddressPool.metallb-system.default-pool	2025-01-01 10:00:00
+++ /tmp/MERGED-88/metallb.io.v1beta1.IPAddressPool.metallb-system.default-pool	2025-01-01 10:00:00
@@ -5,5 +5,5 @@
 spec:
   addresses:
-  - 10.110.190.100-10.110.190.105
+  - 10.110.190.100-10.110.190.110
   autoAssign: true
diff -u -N /tmp/LIVE-3418/v1.Service.monitoring.grafana /tmp/MERGED-88/v1.Service.monitoring.grafana
--- /tmp/LIVE-3418/v1.Service.monitoring.grafana	2025-01-01 10:00:00
+++ /tmp/MERGED-88/v1.Service.monitoring.grafana	2025-01-01 10:00:00
@@ -0,0 +1,3 @@
+apiVersion: v1
+kind: Service
+metadata:
`

test('diff and apply commands: server-side, field manager kubeplay, manifest on stdin; apply forces conflicts', () => {
  const p: KubectlParams = { manifest: POOL }
  assert.is(diffCommand(p).text, 'kubectl --kubeconfig=/etc/kubernetes/admin.conf diff --server-side --field-manager=kubeplay  -f -')
  assert.is(applyCommand(p).text, 'kubectl --kubeconfig=/etc/kubernetes/admin.conf apply --server-side --field-manager=kubeplay --force-conflicts  -f -')
  const q: KubectlParams = { manifest: { path: "/etc/kubeplay/it's here.yaml" }, namespace: 'monitoring', fieldManager: 'kubeplay-x', kubeconfig: '/root/k c', prune: { selector: 'app=x' } }
  assert.is(applyCommand(q).text, `kubectl '--kubeconfig=/root/k c' -n monitoring apply --server-side --field-manager=kubeplay-x --force-conflicts --prune --selector=app=x -f '/etc/kubeplay/it'\\''s here.yaml'`)
  assert.is(diffCommand({ manifest: { url: 'https://x/m.yaml', sha256: 'A'.repeat(64) } }).text,
    `kubectl --kubeconfig=/etc/kubernetes/admin.conf diff --server-side --field-manager=kubeplay  -f /etc/kubeplay/manifests/${'a'.repeat(16)}.yaml`)
})

test('wait commands: kubectl wait with a timeout; rollout status; timeout 0 looks once', () => {
  assert.is(waitCommand({ resource: 'deployment/controller', for: 'condition=Available', namespace: 'metallb-system', timeoutSeconds: 120 }).text,
    'kubectl --kubeconfig=/etc/kubernetes/admin.conf -n metallb-system wait --for=condition=Available --timeout=120s deployment/controller')
  assert.is(waitCommand({ resource: 'deployment/grafana' }, undefined, 'monitoring').text,
    'kubectl --kubeconfig=/etc/kubernetes/admin.conf -n monitoring rollout status --timeout=300s deployment/grafana')
  assert.is(waitCommand({ resource: 'deployment/grafana' }, undefined, 'monitoring', 0).text,
    'kubectl --kubeconfig=/etc/kubernetes/admin.conf -n monitoring rollout status --watch=false deployment/grafana')
})

test('a webhook that does not answer (asked again) is told from one that refuses the objects (final)', () => {
  const call = 'Error from server (InternalError): Internal error occurred: failed calling webhook "l2advertisementvalidationwebhook.metallb.io": failed to call webhook: Post "https://metallb-webhook-service.metallb-system.svc:443/validate?timeout=10s":'
  // Seen in CI: the webhook's pod went away mid-request while a rejoined worker's pods moved.
  assert.ok(webhookNotAnswering(`${call} read tcp 10.250.2.13:51760->10.96.82.217:443: read: connection reset by peer`))
  assert.ok(webhookNotAnswering(`${call} dial tcp 10.96.82.217:443: connect: connection refused`))
  assert.not.ok(webhookNotAnswering('Error from server (Forbidden): admission webhook "ipaddresspoolvalidationwebhook.metallb.io" denied the request: CIDR overlaps'))
})

test('parameter validation names the key, the expectation and the value', () => {
  const cases: Array<[KubectlParams, string]> = [
    [{ manifest: '  ' }, 'kubectl: manifest: expected YAML text, found an empty string'],
    [{ manifest: { path: 'rel.yaml' } }, "kubectl: manifest.path: expected an absolute path, found 'rel.yaml'"],
    [{ manifest: { url: 'https://x/y', sha256: 'abc' } }, "kubectl: sha256: expected 64 hex digits, found 'abc'"],
    [{ manifest: POOL, namespace: 'Bad_NS' }, "kubectl: namespace: expected a DNS label, found 'Bad_NS'"],
    [{ manifest: POOL, wait: { resource: 'controller' } }, "kubectl: wait.resource: expected kind/name like deployment/controller, found 'controller'"],
    [{ manifest: POOL, wait: { resource: 'deploy/x', for: 'Available' } }, "kubectl: wait.for: expected condition=…, jsonpath=…, delete or create, found 'Available'"],
  ]
  for (const [p, msg] of cases) assert.throws(() => validateKubectl(p), (e: Error) => e.message === msg, msg)
})

test('kubectl diff output → per-object before/after, summary names the objects', () => {
  const objs = parseKubectlDiff(KUBECTL_DIFF)
  assert.equal(objs.map((o) => o.object), ['metallb.io.v1beta1.IPAddressPool.metallb-system.default-pool', 'v1.Service.monitoring.grafana'])
  assert.is(objs[0]!.before, 'spec:\n  addresses:\n  - 10.110.190.100-10.110.190.105\n  autoAssign: true')
  assert.is(objs[0]!.after, 'spec:\n  addresses:\n  - 10.110.190.100-10.110.190.110\n  autoAssign: true')
  assert.is(objs[1]!.before, '')
  assert.is(diffSummary(objs), 'apply 2 objects (metallb.io.v1beta1.IPAddressPool.metallb-system.default-pool, v1.Service.monitoring.grafana)')
  const d = objectsDiff(objs, 'kubectl diff manifest')
  assert.ok(d.after!.startsWith('# metallb.io.v1beta1.IPAddressPool.metallb-system.default-pool\nspec:'))
  assert.equal(parseKubectlDiff(''), [])
})

test('a dry run that fails for what the manifest itself creates is "not there yet"; other errors are not', () => {
  assert.is(notYetThere('Error from server (NotFound): namespaces "metallb-system" not found'), 'namespace metallb-system')
  assert.is(notYetThere('error: resource mapping not found for name: "p" namespace: "metallb-system" from "STDIN": no matches for kind "IPAddressPool" in version "metallb.io/v1beta1"\nensure CRDs are installed first'), 'resource type IPAddressPool')
  assert.is(notYetThere('error: You must be logged in to the server (Unauthorized)'), null)
  assert.equal(parseKubectlAccess('kubectl=yes kubeconfig=no'), { kubectl: true, kubeconfig: false })
})

test('check: exit 0 → no change; exit 1 → change with the diff; >1 → CommandError with stderr', async () => {
  const same = fake([ACCESS_OK, [/ diff /, { code: 0 }]])
  const r0 = await runModule(same, kubectl, { manifest: POOL })
  assert.is(r0.plan.changed, false)
  assert.is(same.seen.find((s) => / diff /.test(s.cmd))!.stdin, POOL, 'the manifest goes on stdin')

  const differs = fake([ACCESS_OK, [/ diff /, { code: 1, stdout: KUBECTL_DIFF }], [/ apply /, { stdout: 'ipaddresspool.metallb.io/default-pool serverside-applied' }]])
  const r1 = await runModule(differs, kubectl, { manifest: POOL })
  assert.ok(r1.plan.changed && r1.applied)
  if (r1.plan.changed) assert.match(r1.plan.summary, /^apply 2 objects/)
  const apply = differs.seen.find((s) => / apply /.test(s.cmd))!
  assert.match(apply.cmd, /--force-conflicts/)
  assert.is(apply.stdin, POOL)

  const broken = fake([ACCESS_OK, [/ diff /, { code: 2, stderr: 'error: You must be logged in to the server (Unauthorized)' }]])
  try { await runModule(broken, kubectl, { manifest: POOL }); assert.unreachable('should throw') } catch (e) {
    assert.match((e as Error).message, /command failed \(exit 2\).*\n.*Unauthorized/s)
  }
})

test('first install of a manifest with its own Namespace: a planned change, then apply', async () => {
  const c = fake([ACCESS_OK, [/ diff /, { code: 2, stderr: 'Error from server (NotFound): namespaces "monitoring" not found' }]])
  const r = await runModule(c, kubectl, { manifest: POOL })
  assert.ok(r.plan.changed && r.applied)
  if (r.plan.changed) assert.is(r.plan.summary, 'namespace monitoring not there yet (the apply creates it): apply manifest')
})

test('no cluster yet: check mode plans "cluster not initialised yet"; a real run fails naming the kubeconfig', async () => {
  const c = fake([NO_CLUSTER])
  const r = await runModule(c, kubectl, { manifest: POOL }, { checkMode: true })
  assert.ok(r.plan.changed)
  if (r.plan.changed) assert.is(r.plan.summary, 'cluster not initialised yet (no /etc/kubernetes/admin.conf): apply manifest')
  assert.not.ok(c.seen.some((s) => / diff /.test(s.cmd)), 'no kubectl call without a cluster')
  try { await runModule(fake([NO_CLUSTER]), kubectl, { manifest: POOL }); assert.unreachable('should throw') } catch (e) {
    assert.is((e as Error).message, 'kubectl: m1: cluster not initialised yet (no /etc/kubernetes/admin.conf): expected kubectl and a readable /etc/kubernetes/admin.conf (the kubernetes-master role creates them)')
  }
  const w = await runModule(fake([[/command -v kubectl/, { stdout: 'kubectl=no kubeconfig=no' }]]), kubectlWait, { resource: 'deployment/x', for: 'condition=Available' }, { checkMode: true })
  if (w.plan.changed) assert.is(w.plan.summary, 'kubectl not installed yet: wait for deployment/x condition=Available')
  else assert.unreachable('should plan')
})

test('a pinned URL: fetched (sha256-checked) into the cache, then applied from the file', async () => {
  const sha = 'b'.repeat(64)
  const c = fake([ACCESS_OK, [/sha256sum </, { stdout: '' }], [/curl -fsSL/, { code: 0 }]])
  const r = await runModule(c, kubectl, { manifest: { url: 'file:///srv/m.yaml', sha256: sha, dest: '/etc/kubeplay/manifests/m.yaml' } })
  if (!r.plan.changed) return assert.unreachable('should plan a fetch')
  assert.is(r.plan.summary, 'fetch file:///srv/m.yaml to /etc/kubeplay/manifests/m.yaml and apply it')
  const i = c.seen.findIndex((s) => /curl -fsSL/.test(s.cmd))
  const j = c.seen.findIndex((s) => / apply /.test(s.cmd))
  assert.ok(i >= 0 && j > i, 'fetch before apply')
  assert.match(c.seen[j]!.cmd, /-f \/etc\/kubeplay\/manifests\/m.yaml$/)
  // fetched already: the diff decides
  const done = fake([ACCESS_OK, [/sha256sum </, { stdout: `${sha}\n` }], [/ diff /, { code: 0 }]])
  assert.is((await runModule(done, kubectl, { manifest: { url: 'file:///srv/m.yaml', sha256: sha } })).plan.changed, false)
})

test('a Secret manifest goes on stdin in full and never into the plan or errors', async () => {
  const pw = new Secret('S3cr3t-Gr4fana').reveal() // as renderGrafanaSecret does: the value itself is known
  const text = new Secret(`kind: Secret\nstringData:\n  p: ${pw}\n`)
  const c = fake([ACCESS_OK, [/ diff /, { code: 2, stderr: `bad value ${pw}` }]])
  try { await runModule(c, kubectl, { manifest: text }); assert.unreachable('should throw') } catch (e) {
    assert.not.match((e as Error).message, pw)
  }
  assert.match(c.seen.find((s) => / diff /.test(s.cmd))!.stdin!, pw)
  assert.is(mask(`x ${pw} y`), 'x *** y')
})

test('kubectlWait: ready → no change; not ready → planned wait, apply waits and reports ok', async () => {
  const ready = fake([ACCESS_OK, [/ wait /, { code: 0, stdout: 'deployment.apps/controller condition met' }]])
  assert.is((await runModule(ready, kubectlWait, { resource: 'deployment/controller', for: 'condition=Available', namespace: 'metallb-system' })).plan.changed, false)
  assert.match(ready.seen.at(-1)!.cmd, /--timeout=0s/)
  const rolling = fake([ACCESS_OK, [/--watch=false/, { code: 0, stdout: 'Waiting for deployment "grafana" rollout to finish: 0 of 1 updated replicas are available...' }], [/rollout status --timeout/, { code: 0 }]])
  const r = await runModule(rolling, kubectlWait, { resource: 'deployment/grafana', namespace: 'monitoring', timeoutSeconds: 5 })
  assert.ok(r.plan.changed && r.applied)
  assert.equal(r.outcome, { changed: false })
  const timeout = fake([ACCESS_OK, [/--timeout=0s/, { code: 1 }], [/--timeout=1s/, { code: 1, stderr: 'error: timed out waiting for the condition on deployments/x' }]])
  try { await runModule(timeout, kubectlWait, { resource: 'deployment/x', for: 'condition=Available', timeoutSeconds: 1 }); assert.unreachable('should throw') } catch (e) {
    assert.is((e as Error).message, 'm1: timed out after 1000 ms: waiting for deployment/x condition=Available')
  }
})

test.run()
