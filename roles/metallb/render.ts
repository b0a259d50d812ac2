/**
 * Pure rendering of MetalLB's configuration objects: one IPAddressPool per pool and the
 * L2Advertisements, as the role applies them (golden-tested, and checked against the v0.14.8 CRD
 * schemas in test/roles/metallb.test.ts). The embedded schema holds the constraints of those CRDs
 * that the renderer can break, so the role re-checks its own output before applying it.
 */
import type { ConfigError } from '../../lib/errors.ts'
import { ConfigError as CE } from '../../lib/errors.ts'
import { objectId, toYaml, type K8sObject } from '../../lib/k8s/objects.ts'
import { validateSchema, type OpenApiSchema } from '../../lib/k8s/schema.ts'
import type { MetallbConfig, MetallbL2 } from './validate.ts'

export const METALLB_API = 'metallb.io/v1beta1'
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'kubeplay' } as const

/** The L2 advertisements: as given, or one `default-l2-adv` for every pool (seed 001's naming). */
export function l2Of(cfg: MetallbConfig): readonly MetallbL2[] {
  return cfg.l2 ?? (cfg.pools.length ? [{ name: 'default-l2-adv', pools: cfg.pools.map((p) => p.name) }] : [])
}

export function renderMetallbObjects(cfg: MetallbConfig, namespace = 'metallb-system'): K8sObject[] {
  const meta = (name: string) => ({ name, namespace, labels: { ...MANAGED_BY } })
  const pools: K8sObject[] = cfg.pools.map((p) => ({
    apiVersion: METALLB_API,
    kind: 'IPAddressPool',
    metadata: meta(p.name),
    spec: {
      addresses: p.addresses.map((a) => a.trim()),
      ...(p.autoAssign !== undefined ? { autoAssign: p.autoAssign } : {}),
      ...(p.avoidBuggyIPs !== undefined ? { avoidBuggyIPs: p.avoidBuggyIPs } : {}),
    },
  }))
  const l2: K8sObject[] = l2Of(cfg).map((a) => ({
    apiVersion: METALLB_API,
    kind: 'L2Advertisement',
    metadata: meta(a.name),
    spec: { ipAddressPools: [...a.pools], ...(a.interfaces?.length ? { interfaces: [...a.interfaces] } : {}) },
  }))
  return [...pools, ...l2]
}

/** The YAML stream the role applies. */
export function renderMetallbConfig(cfg: MetallbConfig, namespace?: string): string {
  return toYaml(renderMetallbObjects(cfg, namespace))
}

const strings: OpenApiSchema = { type: 'array', items: { type: 'string' } }
const metadata: OpenApiSchema = { type: 'object' }
const top = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata } as const

/** The subset of the v0.14.8 CRDs' openAPIV3Schema this renderer can produce (the full ones are in the tests). */
export const EMBEDDED_SCHEMAS: Readonly<Record<string, OpenApiSchema>> = {
  IPAddressPool: {
    type: 'object', required: ['spec'],
    properties: { ...top, spec: { type: 'object', required: ['addresses'], properties: { addresses: strings, autoAssign: { type: 'boolean' }, avoidBuggyIPs: { type: 'boolean' } } } },
  },
  L2Advertisement: {
    type: 'object',
    properties: { ...top, spec: { type: 'object', properties: { ipAddressPools: strings, interfaces: strings } } },
  },
}

/** Pure: the rendered objects against the embedded schemas, as ConfigErrors (a renderer bug, not a user's). */
export function checkRendered(objects: readonly K8sObject[]): ConfigError[] {
  return objects.flatMap((o) => {
    const s = EMBEDDED_SCHEMAS[o.kind]
    if (!s) return [new CE('metallb render', objectId(o), 'an IPAddressPool or L2Advertisement', o.kind)]
    return validateSchema(s, o).map((v) => new CE('metallb render', `${objectId(o)} ${v.path}`, v.expected, v.found))
  })
}
