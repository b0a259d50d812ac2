/** metallb role, pure parts: pool validation tables (exact messages), golden render, CRD schemas, vars schema, tags. */
import { haveReference, reference, withReference } from '../helpers/reference.ts'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { flatten, play, playbook } from '../../lib/engine/task.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import { withExtraVars } from '../../lib/cli/main.ts'
import { ConfigErrors } from '../../lib/errors.ts'
import { stubInventory } from '../helpers/stub.ts'
import { crdSchemas, formatViolations, validateObject } from '../../lib/k8s/schema.ts'
import { object, optional, validate } from '../../lib/schema/validate.ts'
import { metallb, metallbImages, metallbVarsSchema, nodeNetworks, renderMetallbConfig, renderMetallbObjects, validateMetallbConfig, type ClusterNetwork, type MetallbConfig } from '../../roles/metallb/index.ts'
import { checkRendered } from '../../roles/metallb/render.ts'

const CRDS = haveReference
  ? [...crdSchemas(reference('metallb-v0.14.8/crd-ipaddresspools.yaml')), ...crdSchemas(reference('metallb-v0.14.8/crd-l2advertisements.yaml'))]
  : []

/** Seed 001: 10.110.190.0/24, HAProxy .21, masters .22-.24, workers .25-.27. */
const SEED: ClusterNetwork = {
  nodeAddresses: { haproxy: '10.110.190.21', master1: '10.110.190.22', master2: '10.110.190.23', master3: '10.110.190.24', worker1: '10.110.190.25', worker2: '10.110.190.26', worker3: '10.110.190.27' },
  podSubnet: '10.244.0.0/16',
  serviceSubnet: '10.96.0.0/16',
}
const pool = (...addresses: string[]): MetallbConfig => ({ pools: [{ name: 'default-pool', addresses }] })
const messages = (cfg: MetallbConfig, net: ClusterNetwork = SEED): string[] => validateMetallbConfig(cfg, net, { file: 'group_vars/k8s-cluster.yml' }).map((e) => e.message)

test("seed 001's pool is valid; the node network is the nodes' /24", () => {
  assert.equal(messages(pool('10.110.190.100-10.110.190.110')), [])
  assert.equal(messages(pool('10.110.190.128/28')), [])
  assert.equal(nodeNetworks(SEED.nodeAddresses), ['10.110.190.0/24'])
})

test('each invalid range is refused with file, key, expected and found', () => {
  const F = 'group_vars/k8s-cluster.yml: metallb.pools[0].addresses[0]: expected'
  const cases: Array<[MetallbConfig, string]> = [
    [pool('10.110.190.100-110'), `${F} a range with two full addresses (a.b.c.d-a.b.c.e) or a CIDR, found "10.110.190.100-110"`],
    [pool('10.110.190.110-10.110.190.100'), `${F} a range whose first address is not after its last, found "10.110.190.110-10.110.190.100"`],
    [pool('10.110.190.300-10.110.190.310'), `${F} an IPv4 range a.b.c.d-e.f.g.h (first ≤ last) or a CIDR a.b.c.d/n, found "10.110.190.300-10.110.190.310"`],
    [pool('10.110.190.100/28'), `${F} a CIDR with no host bits set (10.110.190.96/28), found "10.110.190.100/28"`],
    [pool('192.168.1.100-192.168.1.110'), `${F} a range inside the node network 10.110.190.0/24 (from the nodes' addresses), found "192.168.1.100-192.168.1.110"`],
    [pool('10.110.190.20-10.110.190.30'), `${F} a range free of node addresses, found "10.110.190.20-10.110.190.30", which holds haproxy 10.110.190.21, master1 10.110.190.22, master2 10.110.190.23, master3 10.110.190.24, worker1 10.110.190.25, worker2 10.110.190.26, worker3 10.110.190.27`],
    [pool('10.110.190.22/32'), `${F} a range free of node addresses, found "10.110.190.22/32", which holds master1 10.110.190.22`],
    [{ pools: [{ name: 'Default Pool', addresses: ['10.110.190.100-10.110.190.110'] }] }, 'group_vars/k8s-cluster.yml: metallb.pools[0].name: expected a Kubernetes object name (lower-case letters, digits, - and .), found "Default Pool"'],
    [{ pools: [{ name: 'p', addresses: [] }] }, 'group_vars/k8s-cluster.yml: metallb.pools[0].addresses: expected at least one range or CIDR, found an empty list'],
  ]
  for (const [cfg, msg] of cases) assert.equal(messages(cfg), [msg], msg)
})

test('ranges overlapping the pod or service CIDR are refused (node network given to allow them in)', () => {
  const net: ClusterNetwork = { ...SEED, nodeNetwork: '10.0.0.0/8' }
  const F = 'group_vars/k8s-cluster.yml: metallb.pools[0].addresses[0]: expected'
  assert.equal(messages(pool('10.244.3.0-10.244.3.10'), net), [`${F} a range outside the pod subnet 10.244.0.0/16, found "10.244.3.0-10.244.3.10"`])
  assert.equal(messages(pool('10.96.0.0/24'), net), [`${F} a range outside the service subnet 10.96.0.0/16, found "10.96.0.0/24"`])
  assert.equal(messages(pool('10.200.0.0/24'), net), [])
  assert.equal(messages(pool('10.110.191.1-10.110.191.5'), { ...SEED, nodeNetwork: '10.110.190.0/24' }),
    [`${F} a range inside the node network 10.110.190.0/24 (from metallb.nodeNetwork), found "10.110.191.1-10.110.191.5"`])
  assert.equal(messages(pool('10.110.190.100-10.110.190.110'), { ...SEED, podSubnet: '10.244.0.1/16' }),
    ['group_vars/k8s-cluster.yml: kubernetes.podSubnet: expected an IPv4 CIDR with no host bits set, found "10.244.0.1/16"'])
})

test('overlapping pools, duplicate names and L2 advertisements naming unknown pools', () => {
  const cfg: MetallbConfig = {
    pools: [
      { name: 'a', addresses: ['10.110.190.100-10.110.190.110'] },
      { name: 'b', addresses: ['10.110.190.110-10.110.190.120'] },
      { name: 'a', addresses: ['10.110.190.200/30', '10.110.190.201'] },
    ],
    l2: [{ name: 'adv', pools: ['a', 'c'] }],
  }
  const F = 'group_vars/k8s-cluster.yml: metallb'
  assert.equal(messages(cfg), [
    `${F}.pools[1].addresses[0]: expected a range no other pool entry uses (it overlaps metallb.pools[0].addresses[0] "10.110.190.100-10.110.190.110"), found "10.110.190.110-10.110.190.120"`,
    `${F}.pools[2].name: expected a name no other pool uses (metallb.pools[0].name is "a"), found "a"`,
    `${F}.pools[2].addresses[1]: expected an IPv4 range a.b.c.d-e.f.g.h (first ≤ last) or a CIDR a.b.c.d/n, found "10.110.190.201"`,
    `${F}.l2[0].pools[1]: expected a pool name from metallb.pools (a, b), found "c"`,
  ])
})

test('golden render: seed 001 IPAddressPool + L2Advertisement', () => {
  assert.fixture(renderMetallbConfig(pool('10.110.190.100-10.110.190.110')), `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: default-pool
  namespace: metallb-system
  labels:
    app.kubernetes.io/managed-by: kubeplay
spec:
  addresses:
    - 10.110.190.100-10.110.190.110
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: default-l2-adv
  namespace: metallb-system
  labels:
    app.kubernetes.io/managed-by: kubeplay
spec:
  ipAddressPools:
    - default-pool
`)
})

withReference(test, 'every rendered object validates against the reference v0.14.8 CRD schemas and the embedded ones', () => {
  const cfg: MetallbConfig = {
    pools: [
      { name: 'default-pool', addresses: ['10.110.190.100-10.110.190.110'] },
      { name: 'reserved', addresses: ['10.110.190.128/28'], autoAssign: false, avoidBuggyIPs: true },
    ],
    l2: [{ name: 'default-l2-adv', pools: ['default-pool'] }, { name: 'eth1-only', pools: ['reserved'], interfaces: ['eth1'] }],
  }
  const objs = renderMetallbObjects(cfg)
  assert.is(objs.length, 4)
  for (const o of objs) assert.is(formatViolations(validateObject(o, CRDS)), '', `${o.kind} ${o.metadata.name}`)
  assert.equal(checkRendered(objs), [])
  const broken = { ...objs[0]!, spec: { addresses: ['x'], autoassign: true } }
  assert.is(formatViolations(validateObject(broken, CRDS)), 'spec.autoassign: expected a known field (addresses, autoAssign, avoidBuggyIPs, serviceAllocation), found an unknown field')
  assert.is(checkRendered([broken]).map((e) => e.message).join('\n'),
    'metallb render: metallb.io/v1beta1 IPAddressPool metallb-system/default-pool spec.autoassign: expected a known field (addresses, autoAssign, avoidBuggyIPs), found an unknown field')
})

test('vars schema at inventory load: types and every pool problem the vars alone show', () => {
  const schema = object({ metallb: optional(metallbVarsSchema) })
  const ok = validate(schema, { metallb: { pools: [{ name: 'default-pool', addresses: ['10.110.190.100-10.110.190.110'] }] } }, 'group_vars/all.yml', { partial: true })
  assert.equal(ok.errors, [])
  const bad = validate(schema, { metallb: { pools: [{ name: 'p', addresses: ['10.110.190.100-110'], autoassign: true }, { name: 'q', addresses: ['10.110.190.105/32'] }], waitTimeoutSeconds: 0 } }, 'group_vars/all.yml', { partial: true })
  assert.equal(bad.errors.map((e) => e.message), [
    "group_vars/all.yml: metallb.pools[0].autoassign: expected a known key (did you mean 'autoAssign'?), found an unknown key",
    'group_vars/all.yml: metallb.waitTimeoutSeconds: expected an integer ≥ 1, found 0',
    'group_vars/all.yml: metallb.pools[0].addresses[0]: expected a range with two full addresses (a.b.c.d-a.b.c.e) or a CIDR, found "10.110.190.100-110"',
  ])
  const overlap = validate(schema, { metallb: { pools: [{ name: 'p', addresses: ['10.0.0.0/24'] }, { name: 'q', addresses: ['10.0.0.5-10.0.0.6'] }] } }, 'g.yml', { partial: true })
  assert.equal(overlap.errors.map((e) => e.message), ['g.yml: metallb.pools[1].addresses[0]: expected a range no other pool entry uses (it overlaps metallb.pools[0].addresses[0] "10.0.0.0/24"), found "10.0.0.5-10.0.0.6"'])
})

test('tags: metallb and kubernetes on every task; finer tags split install and pools; the check runs first', () => {
  const flat = flatten(play('p', { hosts: 'masters[0]', items: [metallb()] }))
  for (const t of flat) assert.ok(t.tags.has('metallb') && t.tags.has('kubernetes'), `${t.item.title}: ${[...t.tags]}`)
  assert.equal(flat.map((t) => t.item.title), [
    'Check the MetalLB address pools against the cluster network',
    'Fetch metallb-native v0.15.2',
    'Upload metallb-native v0.15.2 from the bundle',
    'Apply metallb-native v0.15.2',
    'Wait for the MetalLB controller to be available',
    'Apply the MetalLB address pools and L2 advertisements',
  ])
  assert.equal(flat.filter((t) => t.tags.has('metallb-pools')).map((t) => t.index), [0, 4, 5])
  const images = flatten(play('i', { hosts: 'k8s-cluster', items: [metallbImages()] }))
  assert.equal(images.map((t) => t.item.title), ['Import the MetalLB controller image', 'Import the MetalLB speaker image'])
  for (const t of images) assert.ok(t.tags.has('metallb') && t.tags.has('metallb-install') && t.tags.has('images'), `${t.item.title}: ${[...t.tags]}`)
})

test('a playbook run from a script (no CLI validation) with pools of the wrong shape is refused before connecting, not crashed', async () => {
  const inv = withExtraVars(stubInventory({ masters: ['m1'] }), ['metallb.pools=not-a-list'])
  let connected = false
  const err = await runPlaybook(playbook('p', [play('MetalLB', { hosts: 'masters[0]', items: [metallb()] })]), {
    inventory: inv, connector: async () => { connected = true; throw new Error('must not connect') },
  }).then(() => null, (e: Error) => e)
  assert.instance(err, ConfigErrors)
  assert.match(err!.message, /metallb\.pools: expected a list, found "not-a-list"/)
  assert.is(connected, false)
})

test.run()
