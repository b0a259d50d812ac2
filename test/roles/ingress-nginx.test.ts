/** ingress-nginx role, pure parts: golden NodePort patch and LoadBalancer Service, settings checks, tags. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { flatten, play } from '../../lib/engine/task.ts'
import { object, optional, validate } from '../../lib/schema/validate.ts'
import { parseObjects } from '../../lib/k8s/objects.ts'
import { ingressNginx, ingressNginxDefaults, ingressNginxVarsSchema, ingressProblems, renderLoadBalancer, renderNodePortPatch } from '../../roles/ingress-nginx/index.ts'

test('golden: the controller Service patch pins seed 001 NodePorts 80 → 32624, 443 → 31316', () => {
  assert.fixture(renderNodePortPatch(ingressNginxDefaults), `apiVersion: v1
kind: Service
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
spec:
  type: NodePort
  ports:
    - name: http
      port: 80
      protocol: TCP
      targetPort: http
      appProtocol: http
      nodePort: 32624
    - name: https
      port: 443
      protocol: TCP
      targetPort: https
      appProtocol: https
      nodePort: 31316
`)
})

test('golden: the optional LoadBalancer Service (seed 001), with a fixed MetalLB address', () => {
  assert.fixture(renderLoadBalancer('10.110.190.100'), `apiVersion: v1
kind: Service
metadata:
  name: ingress-nginx-controller-lb
  namespace: ingress-nginx
  labels:
    app.kubernetes.io/managed-by: kubeplay
  annotations:
    metallb.universe.tf/loadBalancerIPs: 10.110.190.100
spec:
  type: LoadBalancer
  selector:
    app.kubernetes.io/name: ingress-nginx
    app.kubernetes.io/instance: ingress-nginx
    app.kubernetes.io/component: controller
  ports:
    - name: http
      port: 80
      protocol: TCP
      targetPort: http
    - name: https
      port: 443
      protocol: TCP
      targetPort: https
`)
  assert.not.match(renderLoadBalancer(), 'annotations')
  assert.is(parseObjects(renderLoadBalancer(), 'lb').length, 1)
})

test('settings: the digest is required (none shipped); equal ports refused', () => {
  assert.equal(ingressProblems(ingressNginxDefaults).map((e) => e.message), [
    'vars: ingressNginx.manifestSha256: expected the sha256 of https://raw.githubusercontent.com/kubernetes/ingress-nginx/controller-v1.12.1/deploy/static/provider/baremetal/deploy.yaml (kubeplay ships none for controller-v1.12.1: review the file, then sha256sum it), found nothing',
  ])
  assert.equal(ingressProblems({ ...ingressNginxDefaults, manifestSha256: 'a'.repeat(64), httpsNodePort: 32624 }).map((e) => e.message),
    ['vars: ingressNginx.httpsNodePort: expected a port other than httpNodePort 32624, found 32624'])
  const schema = object({ ingressNginx: optional(ingressNginxVarsSchema) })
  assert.equal(validate(schema, { ingressNginx: { httpNodePort: 80, loadBalancerIP: 'ten' } }, 'g.yml', { partial: true }).errors.map((e) => e.message), [
    'g.yml: ingressNginx.httpNodePort: expected an integer 30000..32767, found 80',
    'g.yml: ingressNginx.loadBalancerIP: expected an IPv4 address, found "ten"',
  ])
})

test('tags: ingress-nginx and kubernetes on every task; the port patch under its own field manager', () => {
  const flat = flatten(play('p', { hosts: 'masters[0]', items: [ingressNginx()] }))
  for (const t of flat) assert.ok(t.tags.has('ingress-nginx') && t.tags.has('kubernetes'), t.item.title)
  assert.equal(flat.map((t) => t.item.title), [
    'Check the ingress-nginx settings', 'Fetch ingress-nginx-baremetal controller-v1.12.1', 'Apply ingress-nginx-baremetal controller-v1.12.1',
    'Pin the ingress controller NodePorts', 'Apply the ingress LoadBalancer Service', 'Wait for the ingress controller to be available',
  ])
})

test.run()
