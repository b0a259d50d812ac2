/**
 * Kubernetes objects as plain data: parsing a multi-document manifest (every document must be an
 * object with apiVersion, kind and metadata.name) and rendering objects back to one YAML stream.
 */
import { parseAllDocuments, stringify } from 'yaml'
import { ConfigError, ConfigErrors } from '../errors.ts'

export interface K8sObject {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly [k: string]: unknown }
  readonly [k: string]: unknown
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** `apps/v1 Deployment monitoring/grafana`, for messages and summaries. */
export function objectId(o: K8sObject): string {
  return `${o.apiVersion} ${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`
}

/**
 * Pure: every document of `text` (empty documents skipped) as a K8sObject. Throws ConfigErrors naming
 * `source`, the document index and what is missing, all problems at once.
 */
export function parseObjects(text: string, source: string): K8sObject[] {
  const errors: ConfigError[] = []
  const out: K8sObject[] = []
  parseAllDocuments(text).forEach((doc, i) => {
    const key = `document[${i}]`
    if (doc.errors.length) { errors.push(new ConfigError(source, key, 'valid YAML', doc.errors[0]!.message.split('\n')[0]!)); return }
    const v: unknown = doc.toJS()
    if (v === null || v === undefined) return
    if (!isMap(v)) { errors.push(new ConfigError(source, key, 'a mapping (a Kubernetes object)', Array.isArray(v) ? 'a list' : typeof v)); return }
    const missing = [
      typeof v.apiVersion === 'string' && v.apiVersion ? null : 'apiVersion',
      typeof v.kind === 'string' && v.kind ? null : 'kind',
      isMap(v.metadata) && typeof v.metadata.name === 'string' && v.metadata.name ? null : 'metadata.name',
    ].filter((x): x is string => x !== null)
    if (missing.length) { errors.push(new ConfigError(source, key, `an object with ${missing.join(', ')}`, `${typeof v.kind === 'string' ? v.kind : 'an object'} without them`)); return }
    out.push(v as unknown as K8sObject)
  })
  if (errors.length) throw new ConfigErrors(errors)
  return out
}

/** Pure: objects → one YAML stream (`---` between documents), keys in the order given. */
export function toYaml(objects: readonly K8sObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n')
}
