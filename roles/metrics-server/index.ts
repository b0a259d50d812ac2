/**
 * metrics-server (seed 004: `kubectl top`), applied from the first master: the release manifest
 * (from the offline bundle, or downloaded and sha256-checked), the Deployment's arguments adjusted,
 * then awaited until the `v1beta1.metrics.k8s.io` APIService answers. Every task reads the cluster,
 * never an earlier task's output, so `--tags metrics-server` alone works on a converged cluster.
 *
 * kubeadm's kubelets serve a self-signed certificate, which metrics-server refuses unless told not
 * to verify it: `kubeletInsecureTls` defaults to true, as in Kubespray. Turn it off once the kubelets
 * serve certificates signed by the cluster CA (KubeletConfiguration `serverTLSBootstrap` and their
 * CSRs approved).
 */
import type { HostContext } from '../../lib/engine/module.ts'
import { role, task, type Role } from '../../lib/engine/task.ts'
import { defineSettings } from '../../lib/engine/vars.ts'
import { applyManifest, fetchManifest, manifestPath, METRICS_SERVER } from '../../lib/k8s/manifests.ts'
import { parseObjects, toYaml, type K8sObject } from '../../lib/k8s/objects.ts'
import { array, boolean, int, object, optional, refine, string, type Schema } from '../../lib/schema/validate.ts'
import { ADMIN_KUBECONFIG, kubectlWait } from '../../lib/modules/kubectl.ts'
import { upload } from '../../lib/modules/upload.ts'
import { addonFromBundle, addonImages, addonKube } from '../kubernetes/addon.ts'
import { settingsBundleFile } from '../kubernetes/artifacts.ts'

export interface MetricsServerParams {
  /** Pass `--kubelet-insecure-tls` (kubeadm's kubelets serve self-signed certificates). @default true */
  readonly kubeletInsecureTls: boolean
  /** More arguments for the metrics-server container (`--metric-resolution=30s`). @default [] */
  readonly extraArgs: readonly string[]
  /**
   * Without the offline bundle: the sha256 of the release's components.yaml (kubeplay ships none).
   * Unset, the role is skipped and says why.
   */
  readonly manifestSha256?: string
  /** A mirror serving the same bytes as the release URL. */
  readonly manifestUrl?: string
  /** @default '/etc/kubernetes/admin.conf' */
  readonly kubeconfig: string
  /** @default 300 */
  readonly waitTimeoutSeconds: number
}

export const metricsServerDefaults: MetricsServerParams = {
  kubeletInsecureTls: true,
  extraArgs: [],
  kubeconfig: ADMIN_KUBECONFIG,
  waitTimeoutSeconds: 300,
}

export const metricsServerVarsSchema = object({
  kubeletInsecureTls: optional(boolean()),
  extraArgs: optional(array(refine(string(), 'a --flag or --flag=value', (a) => /^--[a-z][a-z0-9-]*(=.*)?$/.test(a)))),
  manifestSha256: optional(refine(string(), '64 hex digits', (s) => /^[0-9a-fA-F]{64}$/.test(s))),
  manifestUrl: optional(refine(string(), 'an http(s):// or file:// URL', (u) => /^(https?|file):\/\/\S+$/.test(u))),
  kubeconfig: optional(refine(string(), 'an absolute path', (p) => p.startsWith('/'))),
  waitTimeoutSeconds: optional(int({ min: 1 })),
}, { strict: true })

/** The bundle's rendering of the release manifest (lib/bundle/metrics-server.ts). */
const BUNDLE_MANIFEST = 'manifests/metrics-server.yaml'
export const METRICS_SERVER_NAMESPACE = 'kube-system'
export const METRICS_API = 'apiservice/v1beta1.metrics.k8s.io'


/**
 * Pure: the manifest with the metrics-server container's arguments adjusted (`--kubelet-insecure-tls`
 * and `extraArgs` appended once each; an extra `--flag=value` replaces the manifest's own `--flag`).
 * Throws when the manifest has no metrics-server container.
 */
export function metricsServerArgs(text: string, p: Pick<MetricsServerParams, 'kubeletInsecureTls' | 'extraArgs'>): string {
  const objects = parseObjects(text, METRICS_SERVER.name)
  let found = 0
  const flag = (a: string): string => a.split('=')[0]!
  const out = objects.map((o): K8sObject => {
    if (o.kind !== 'Deployment' || o.metadata.name !== 'metrics-server') return o
    const spec = o.spec as { template: { spec: { containers: Array<{ name: string; args?: string[] }> } } }
    const containers = spec.template.spec.containers.map((c) => {
      if (c.name !== 'metrics-server') return c
      found++
      const extra = [...(p.kubeletInsecureTls ? ['--kubelet-insecure-tls'] : []), ...p.extraArgs]
      const replaced = new Set(extra.map(flag))
      return { ...c, args: [...(c.args ?? []).filter((a) => !replaced.has(flag(a))), ...extra] }
    })
    return { ...o, spec: { ...spec, template: { ...spec.template, spec: { ...spec.template.spec, containers } } } }
  })
  if (found !== 1) throw new Error(`${METRICS_SERVER.name}: expected one metrics-server container in Deployment kube-system/metrics-server, found ${found}`)
  return toYaml(out)
}

/**
 * metrics-server's image on the nodes, from the offline bundle (kubernetes.packageSource
 * 'artifacts'; with a registry, the kubelet pulls it): every node, since the Deployment may be
 * scheduled on any node that takes workloads.
 */
export function metricsServerImages(): Role {
  return addonImages('metrics-server-images', [['Import the metrics-server image', 'metricsServer']], { roleTags: ['kubernetes', 'metrics-server'] })
}

const SETTINGS = defineSettings({ key: 'metricsServer', schema: metricsServerVarsSchema, defaults: metricsServerDefaults })

export function metricsServer(params: Partial<MetricsServerParams> = {}): Role {
  const given = SETTINGS.params(params, 'metricsServer()')
  const s = (h: HostContext): MetricsServerParams => SETTINGS.of(h, given)
  const kc = (h: HostContext) => ({ kubeconfig: s(h).kubeconfig })
  const source = {
    when: (h: HostContext) => addonFromBundle(h) || s(h).manifestSha256 !== undefined,
    whenReason: `metricsServer.manifestSha256 is not set: kubeplay ships no digest for ${METRICS_SERVER.url} (review it, then sha256sum it) and kubernetes.packageSource is not 'artifacts'`,
  }
  return role('metrics-server', [
    task(`Upload ${METRICS_SERVER.name} ${METRICS_SERVER.version} from the bundle`, upload, (h) => ({
      ...settingsBundleFile(addonKube(h), BUNDLE_MANIFEST), path: manifestPath(METRICS_SERVER), mode: '0644', owner: 'root', group: 'root',
    }), { when: addonFromBundle, whenReason: "kubernetes.packageSource is not 'artifacts'" }),
    fetchManifest(METRICS_SERVER, (h) => ({ url: s(h).manifestUrl, sha256: s(h).manifestSha256 }), {
      when: (h) => !addonFromBundle(h) && s(h).manifestSha256 !== undefined,
      whenReason: "the manifest comes from the bundle (kubernetes.packageSource 'artifacts'), or metricsServer.manifestSha256 is not set",
    }),
    applyManifest(METRICS_SERVER, (h) => ({ ...kc(h), transform: (text) => metricsServerArgs(text, s(h)) }), source),
    task('Wait for metrics-server to be available', kubectlWait, (h) => ({
      resource: 'deployment/metrics-server', for: 'condition=Available', namespace: METRICS_SERVER_NAMESPACE, timeoutSeconds: s(h).waitTimeoutSeconds, ...kc(h),
    }), source),
    // The Deployment is Available once its pod is ready; `kubectl top` needs the API server to
    // reach it through the aggregation layer too.
    task('Wait for the metrics API to be served', kubectlWait, (h) => ({
      resource: METRICS_API, for: 'condition=Available', timeoutSeconds: s(h).waitTimeoutSeconds, ...kc(h),
    }), source),
  ], { tags: ['kubernetes', 'metrics-server'], vars: SETTINGS.vars })
}
