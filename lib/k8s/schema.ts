/**
 * A small OpenAPI v3 validator: the subset CustomResourceDefinitions use in `openAPIV3Schema`
 * (type, properties, required, items, enum, pattern, format, additionalProperties, min/max of
 * items, length and value, nullable, x-kubernetes-int-or-string, x-kubernetes-preserve-unknown-fields).
 * Used to check what a role renders against the CRD before anything reaches a cluster.
 *
 * Unlike the API server, which silently prunes unknown fields, an unknown field is an error here: a
 * field the server would drop is a typo in our own renderer.
 */
import { isIPv4, isIPv6 } from '../schema/net.ts'
import { parseObjects, type K8sObject } from './objects.ts'

export interface OpenApiSchema {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean'
  readonly properties?: Readonly<Record<string, OpenApiSchema>>
  readonly required?: readonly string[]
  readonly items?: OpenApiSchema
  readonly additionalProperties?: boolean | OpenApiSchema
  readonly enum?: readonly unknown[]
  readonly pattern?: string
  readonly format?: string
  readonly minItems?: number
  readonly maxItems?: number
  readonly minLength?: number
  readonly maxLength?: number
  readonly minimum?: number
  readonly maximum?: number
  readonly nullable?: boolean
  readonly 'x-kubernetes-int-or-string'?: boolean
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean
}

export interface SchemaViolation {
  /** `spec.addresses[0]`. */
  readonly path: string
  readonly expected: string
  readonly found: string
}

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return `an array of ${v.length}`
  if (typeof v === 'object') return 'an object'
  return JSON.stringify(v)
}

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v

const join = (path: string, k: string | number): string =>
  typeof k === 'number' ? `${path}[${k}]` : path ? `${path}.${k}` : k

/** Formats the API server knows; others are accepted as any string (as the server does). */
const FORMATS: Record<string, (s: string) => boolean> = {
  ipv4: isIPv4,
  ipv6: isIPv6,
  cidr: (s) => /^[^/]+\/\d{1,3}$/.test(s) && (isIPv4(s.split('/')[0]!) || isIPv6(s.split('/')[0]!)),
  'date-time': (s) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d\d-\d\dT/.test(s),
  hostname: (s) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(s) && s.length <= 253,
}

/** Pure: every violation of `schema` by `value` (empty: valid). */
export function validateSchema(schema: OpenApiSchema, value: unknown, path = ''): SchemaViolation[] {
  const out: SchemaViolation[] = []
  const bad = (expected: string, found = show(value)): void => { out.push({ path: path || '(root)', expected, found }) }
  if (value === null) {
    if (!schema.nullable) bad(schema.type ? `a ${schema.type}` : 'a value')
    return out
  }
  if (schema['x-kubernetes-int-or-string']) {
    if (!(typeof value === 'string' || Number.isInteger(value))) bad('an integer or a string')
    return out
  }
  const t = typeOf(value)
  if (schema.type && !(schema.type === t || (schema.type === 'number' && (t === 'integer' || t === 'number')))) {
    bad(`a${/^[aeiou]/.test(schema.type) ? 'n' : ''} ${schema.type}`, `${t === 'object' || t === 'array' ? `an ${t}` : `${t} ${show(value)}`}`)
    return out
  }
  if (schema.enum && !schema.enum.some((e) => e === value)) bad(`one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`)
  if (typeof value === 'string') {
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) bad(`a string matching /${schema.pattern}/`)
    if (schema.format && FORMATS[schema.format] && !FORMATS[schema.format]!(value)) bad(`a string in format ${schema.format}`)
    if (schema.minLength !== undefined && value.length < schema.minLength) bad(`at least ${schema.minLength} characters`)
    if (schema.maxLength !== undefined && value.length > schema.maxLength) bad(`at most ${schema.maxLength} characters`)
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) bad(`a number ≥ ${schema.minimum}`)
    if (schema.maximum !== undefined && value > schema.maximum) bad(`a number ≤ ${schema.maximum}`)
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) bad(`at least ${schema.minItems} items`)
    if (schema.maxItems !== undefined && value.length > schema.maxItems) bad(`at most ${schema.maxItems} items`)
    if (schema.items) value.forEach((v, i) => out.push(...validateSchema(schema.items!, v, join(path, i))))
  }
  if (t === 'object') {
    const obj = value as Record<string, unknown>
    for (const k of schema.required ?? []) if (obj[k] === undefined) out.push({ path: join(path, k), expected: 'a value (required)', found: 'nothing' })
    const props = schema.properties
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined) continue
      const sub = props?.[k]
      if (sub) out.push(...validateSchema(sub, v, join(path, k)))
      else if (typeof schema.additionalProperties === 'object') out.push(...validateSchema(schema.additionalProperties, v, join(path, k)))
      else if (schema.additionalProperties === false || (props && schema.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields'])) {
        out.push({ path: join(path, k), expected: props ? `a known field (${Object.keys(props).join(', ')})` : 'no fields', found: 'an unknown field' })
      }
    }
  }
  return out
}

/** One served version of a CustomResourceDefinition. */
export interface CrdVersionSchema {
  readonly group: string
  readonly kind: string
  readonly version: string
  /** `metallb.io/v1beta1`. */
  readonly apiVersion: string
  readonly schema: OpenApiSchema
}

/** Pure: the served versions' schemas of every CRD in a YAML stream. */
export function crdSchemas(text: string, source = 'crd'): CrdVersionSchema[] {
  return parseObjects(text, source).filter((o) => o.kind === 'CustomResourceDefinition').flatMap((o) => {
    const spec = o.spec as { group: string; names: { kind: string }; versions: Array<{ name: string; served?: boolean; schema?: { openAPIV3Schema?: OpenApiSchema } }> }
    return spec.versions.filter((v) => v.served !== false && v.schema?.openAPIV3Schema).map((v) => ({
      group: spec.group, kind: spec.names.kind, version: v.name, apiVersion: `${spec.group}/${v.name}`, schema: v.schema!.openAPIV3Schema!,
    }))
  })
}

/**
 * Pure: an object checked against the schema of its apiVersion/kind among `schemas`. An object whose
 * kind has no schema there is reported (we asked to validate it, and cannot).
 */
export function validateObject(o: K8sObject, schemas: readonly CrdVersionSchema[]): SchemaViolation[] {
  const s = schemas.find((x) => x.apiVersion === o.apiVersion && x.kind === o.kind)
  if (!s) return [{ path: '(root)', expected: `a kind among ${[...new Set(schemas.map((x) => `${x.apiVersion} ${x.kind}`))].join(', ')}`, found: `${o.apiVersion} ${o.kind}` }]
  return validateSchema(s.schema, o)
}

/** `spec.addresses[0]: expected …, found …` lines. */
export function formatViolations(vs: readonly SchemaViolation[]): string {
  return vs.map((v) => `${v.path}: expected ${v.expected}, found ${v.found}`).join('\n')
}
