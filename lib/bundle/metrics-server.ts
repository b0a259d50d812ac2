/**
 * metrics-server's release manifest (the `components.yaml` of its GitHub release) is
 * `kustomize build manifests/overlays/release` in its Go module: the four files of manifests/base,
 * the label `k8s-app: metrics-server` added everywhere kustomize's commonLabels puts it, and the
 * staging image replaced by the release image. The module has no rendered copy, so the bundle
 * builder does those two edits here, on the parsed objects, and nothing else.
 */
import { createHash } from 'node:crypto'
import { parseObjects, toYaml, type K8sObject } from '../k8s/objects.ts'

/** manifests/base/kustomization.yaml's resources, in its order. */
export const METRICS_SERVER_BASE_FILES = ['apiservice.yaml', 'deployment.yaml', 'rbac.yaml', 'service.yaml'] as const
const LABEL = { 'k8s-app': 'metrics-server' }
/** The image manifests/base names; the release component replaces it. */
const STAGING_IMAGE = 'gcr.io/k8s-staging-metrics-server/metrics-server'

/** Pure: the sha256 pinned for the base files (each file's text, in kustomization order, NUL-separated). */
export function metricsServerBaseSha256(texts: readonly string[]): string {
  return createHash('sha256').update(texts.join('\0')).digest('hex')
}

type Obj = Record<string, unknown>
const isMap = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const withLabel = (m: unknown): Obj => ({ ...(isMap(m) ? m : {}), ...LABEL })

/**
 * Pure: the release manifest from the base files' texts (in METRICS_SERVER_BASE_FILES order) and
 * the release image reference. Throws when the base has no metrics-server Deployment using the
 * staging image (the module changed shape: the pins need a look).
 */
export function metricsServerManifest(texts: readonly string[], image: string): string {
  const objects = texts.flatMap((t, i) => parseObjects(t, `manifests/base/${METRICS_SERVER_BASE_FILES[i] ?? i}`))
  let replaced = 0
  const out = objects.map((o): K8sObject => {
    const x: Obj = { ...o, metadata: { ...o.metadata, labels: withLabel(o.metadata.labels) } }
    const spec = isMap(x.spec) ? { ...x.spec } : undefined
    if (o.kind === 'Service' && spec) spec.selector = withLabel(spec.selector)
    if (o.kind === 'Deployment' && spec) {
      spec.selector = { ...(isMap(spec.selector) ? spec.selector : {}), matchLabels: withLabel(isMap(spec.selector) ? spec.selector.matchLabels : undefined) }
      const tpl = isMap(spec.template) ? spec.template : {}
      const tplSpec = isMap(tpl.spec) ? tpl.spec : {}
      const containers = (Array.isArray(tplSpec.containers) ? tplSpec.containers : []).map((c: unknown) => {
        if (!isMap(c) || typeof c.image !== 'string' || !c.image.startsWith(`${STAGING_IMAGE}:`)) return c
        replaced++
        return { ...c, image }
      })
      spec.template = { ...tpl, metadata: { ...(isMap(tpl.metadata) ? tpl.metadata : {}), labels: withLabel(isMap(tpl.metadata) ? tpl.metadata.labels : undefined) }, spec: { ...tplSpec, containers } }
    }
    if (spec) x.spec = spec
    return x as K8sObject
  })
  if (replaced !== 1) throw new Error(`metrics-server manifests/base: expected one container with the image ${STAGING_IMAGE}, found ${replaced}`)
  return toYaml(out)
}
