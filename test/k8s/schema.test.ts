/** OpenAPI v3 subset validator, CRD schema extraction, and manifest object parsing. */
import { reference, withReference } from '../helpers/reference.ts'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { objectId, parseObjects, toYaml } from '../../lib/k8s/objects.ts'
import { crdSchemas, formatViolations, validateObject, validateSchema, type OpenApiSchema } from '../../lib/k8s/schema.ts'

const ref = reference

const S: OpenApiSchema = {
  type: 'object', required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[a-z]+$', maxLength: 8 },
    mode: { type: 'string', enum: ['a', 'b'] },
    ip: { type: 'string', format: 'ipv4' },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    ratio: { type: 'number' },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 2, minItems: 1 },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    target: { 'x-kubernetes-int-or-string': true },
    opt: { type: 'string', nullable: true },
    free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: { type: 'string' } } },
  },
}

test('valid values pass: int-or-string, nullable, integer as number, preserved unknown fields', () => {
  assert.equal(validateSchema(S, { name: 'abc', mode: 'a', ip: '10.0.0.1', port: 80, ratio: 1, tags: ['x'], labels: { k: 'v' }, target: 'http', opt: null, free: { a: 'x', b: 1 } }), [])
  assert.equal(validateSchema(S, { name: 'abc', target: 8080 }), [])
})

test('each violation: path, expected, found', () => {
  const cases: Array<[unknown, string]> = [
    [{}, 'name: expected a value (required), found nothing'],
    [{ name: 5 }, 'name: expected a string, found integer 5'],
    [{ name: 'ABC' }, 'name: expected a string matching /^[a-z]+$/, found "ABC"'],
    [{ name: 'abcdefghi' }, 'name: expected at most 8 characters, found "abcdefghi"'],
    [{ name: 'a', mode: 'c' }, 'mode: expected one of "a", "b", found "c"'],
    [{ name: 'a', ip: '10.0.0.300' }, 'ip: expected a string in format ipv4, found "10.0.0.300"'],
    [{ name: 'a', port: 0 }, 'port: expected a number ≥ 1, found 0'],
    [{ name: 'a', port: 1.5 }, 'port: expected an integer, found number 1.5'],
    [{ name: 'a', tags: ['x', 'y', 'z'] }, 'tags: expected at most 2 items, found an array of 3'],
    [{ name: 'a', tags: [] }, 'tags: expected at least 1 items, found an array of 0'],
    [{ name: 'a', tags: ['x', 3] }, 'tags[1]: expected a string, found integer 3'],
    [{ name: 'a', labels: { k: 1 } }, 'labels.k: expected a string, found integer 1'],
    [{ name: 'a', target: true }, 'target: expected an integer or a string, found true'],
    [{ name: 'a', mode: null }, 'mode: expected a string, found null'],
    [{ name: 'a', adresses: [] }, 'adresses: expected a known field (name, mode, ip, port, ratio, tags, labels, target, opt, free), found an unknown field'],
    [[], '(root): expected an object, found an array'],
  ]
  for (const [v, msg] of cases) assert.is(formatViolations(validateSchema(S, v)), msg, msg)
})

test('additionalProperties: false refuses every field; a schema without properties accepts any', () => {
  assert.is(formatViolations(validateSchema({ type: 'object', additionalProperties: false }, { a: 1 })), 'a: expected no fields, found an unknown field')
  assert.equal(validateSchema({ type: 'object' }, { anything: { goes: 1 } }), [])
})

withReference(test, 'the reference MetalLB CRDs yield their served v1beta1 schemas', () => {
  const s = [...crdSchemas(ref('metallb-v0.14.8/crd-ipaddresspools.yaml')), ...crdSchemas(ref('metallb-v0.14.8/crd-l2advertisements.yaml'))]
  assert.equal(s.map((x) => `${x.apiVersion} ${x.kind}`), ['metallb.io/v1beta1 IPAddressPool', 'metallb.io/v1beta1 L2Advertisement'])
  const pool = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p', namespace: 'metallb-system' }, spec: { addresses: ['10.0.0.1-10.0.0.2'] } }
  assert.equal(validateObject(pool, s), [])
  assert.is(formatViolations(validateObject({ ...pool, spec: {} }, s)), 'spec.addresses: expected a value (required), found nothing')
  assert.is(formatViolations(validateObject({ ...pool, spec: { addresses: '10.0.0.1/32' } }, s)), 'spec.addresses: expected an array, found string "10.0.0.1/32"')
  assert.is(formatViolations(validateObject({ ...pool, spec: { addresses: [], autoassign: true } }, s)),
    'spec.autoassign: expected a known field (addresses, autoAssign, avoidBuggyIPs, serviceAllocation), found an unknown field')
  assert.is(formatViolations(validateObject({ ...pool, apiVersion: 'metallb.io/v1alpha1' }, s)),
    '(root): expected a kind among metallb.io/v1beta1 IPAddressPool, metallb.io/v1beta1 L2Advertisement, found metallb.io/v1alpha1 IPAddressPool')
})

test('parseObjects: every document an object with apiVersion, kind, metadata.name; all problems at once', () => {
  const ok = parseObjects('---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: m\n---\n# only a comment\n', 'x.yaml')
  assert.equal(ok.map(objectId), ['v1 Namespace m'])
  try {
    parseObjects('apiVersion: v1\nkind: Service\nmetadata: {}\n---\n- a\n---\nkind: [\n', 'bad.yaml')
    assert.unreachable('should throw')
  } catch (e) {
    const lines = (e as Error).message.split('\n')
    assert.is(lines[0], 'bad.yaml: document[0]: expected an object with metadata.name, found Service without them')
    assert.is(lines[1], 'bad.yaml: document[1]: expected a mapping (a Kubernetes object), found a list')
    assert.match(lines[2]!, /^bad.yaml: document\[2\]: expected valid YAML, found /)
  }
  const round = parseObjects(toYaml(ok), 'round')
  assert.equal(round, ok)
})

withReference(test, 'the reference manifests parse as objects (MetalLB native: Namespace first, then CRDs)', () => {
  const m = parseObjects(ref('metallb-v0.14.8/metallb-native.yaml'), 'metallb-native.yaml')
  assert.is(objectId(m[0]!), 'v1 Namespace metallb-system')
  assert.ok(m.some((o) => objectId(o) === 'apps/v1 Deployment metallb-system/controller'))
  assert.ok(m.some((o) => objectId(o) === 'apps/v1 DaemonSet metallb-system/speaker'))
  assert.ok(parseObjects(ref('flannel/kube-flannel-v0.28.9.yml'), 'flannel').length >= 6)
})

test.run()
