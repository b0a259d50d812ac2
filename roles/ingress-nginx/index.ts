/**
 * The NGINX ingress controller for bare metal (seed 001): the pinned upstream baremetal manifest
 * applied from the first master, its NodePort Service pinned to fixed ports (80 → 32624,
 * 443 → 31316) that HAProxy forwards to, and optionally a LoadBalancer Service for MetalLB.
 *
 * The port patch is a partial Service applied server-side under its own field manager: under the
 * manager that applied the upstream manifest it would declare that manager's whole intent and drop
 * every other field it had set.
 */
import type { HostContext } from '../../lib/engine/module.ts'
import { role, task, type Role } from '../../lib/engine/task.ts'
import { defineSettings } from '../../lib/engine/vars.ts'
import { ConfigError } from '../../lib/errors.ts'
import { configCheck } from '../../lib/k8s/config-check.ts'
import { applyManifest, fetchManifest, INGRESS_NGINX_BAREMETAL } from '../../lib/k8s/manifests.ts'
import { toYaml, type K8sObject } from '../../lib/k8s/objects.ts'
import { isIPv4 } from '../../lib/schema/net.ts'
import { boolean, int, object, optional, refine, string, type Schema } from '../../lib/schema/validate.ts'
import { ADMIN_KUBECONFIG, kubectl, kubectlWait } from '../../lib/modules/kubectl.ts'

export interface IngressNginxParams {
  /** @default 32624 */
  readonly httpNodePort: number
  /** @default 31316 */
  readonly httpsNodePort: number
  /** Also expose the controller through a LoadBalancer Service (MetalLB). @default false */
  readonly loadBalancer: boolean
  /** Fixed address for that Service, from a MetalLB pool. @default MetalLB picks */
  readonly loadBalancerIP?: string
  /**
   * sha256 of the baremetal manifest: required, kubeplay ships no digest for it (no verified copy).
   * Get it with `curl -fsSL <url> | sha256sum` after reviewing the file.
   */
  readonly manifestSha256?: string
  /** A mirror serving the same bytes as the pinned URL. */
  readonly manifestUrl?: string
  /** @default '/etc/kubernetes/admin.conf' */
  readonly kubeconfig: string
  /** @default 300 */
  readonly waitTimeoutSeconds: number
}

export const ingressNginxDefaults: IngressNginxParams = {
  httpNodePort: 32624,
  httpsNodePort: 31316,
  loadBalancer: false,
  kubeconfig: ADMIN_KUBECONFIG,
  waitTimeoutSeconds: 300,
}

export const INGRESS_NAMESPACE = 'ingress-nginx'
export const PORTS_FIELD_MANAGER = 'kubeplay-ingress-nodeports'
const SELECTOR = { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/instance': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' }

const nodePort = () => int({ min: 30000, max: 32767 })
export const ingressNginxVarsSchema = object({
  httpNodePort: optional(nodePort()),
  httpsNodePort: optional(nodePort()),
  loadBalancer: optional(boolean()),
  loadBalancerIP: optional(refine(string(), 'an IPv4 address', isIPv4)),
  manifestSha256: optional(refine(string(), '64 hex digits', (s) => /^[0-9a-fA-F]{64}$/.test(s))),
  manifestUrl: optional(refine(string(), 'an http(s):// or file:// URL', (u) => /^(https?|file):\/\/\S+$/.test(u))),
  kubeconfig: optional(refine(string(), 'an absolute path', (p) => p.startsWith('/'))),
  waitTimeoutSeconds: optional(int({ min: 1 })),
}, { strict: true })

/** Pure: the controller Service's ports, with fixed NodePorts (port + protocol: the list's merge keys). */
export function renderNodePortPatch(p: Pick<IngressNginxParams, 'httpNodePort' | 'httpsNodePort'>): string {
  const svc: K8sObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'ingress-nginx-controller', namespace: INGRESS_NAMESPACE },
    spec: {
      type: 'NodePort',
      ports: [
        { name: 'http', port: 80, protocol: 'TCP', targetPort: 'http', appProtocol: 'http', nodePort: p.httpNodePort },
        { name: 'https', port: 443, protocol: 'TCP', targetPort: 'https', appProtocol: 'https', nodePort: p.httpsNodePort },
      ],
    },
  }
  return toYaml([svc])
}

/** Pure: seed 001's `ingress-nginx-controller-lb`. */
export function renderLoadBalancer(loadBalancerIP?: string): string {
  const svc: K8sObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'ingress-nginx-controller-lb', namespace: INGRESS_NAMESPACE,
      labels: { 'app.kubernetes.io/managed-by': 'kubeplay' },
      ...(loadBalancerIP ? { annotations: { 'metallb.universe.tf/loadBalancerIPs': loadBalancerIP } } : {}),
    },
    spec: {
      type: 'LoadBalancer',
      selector: { ...SELECTOR },
      ports: [
        { name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' },
        { name: 'https', port: 443, protocol: 'TCP', targetPort: 'https' },
      ],
    },
  }
  return toYaml([svc])
}

/** Pure: the settings' problems that the schema cannot see alone. */
export function ingressProblems(p: IngressNginxParams, file = 'vars'): ConfigError[] {
  const errors: ConfigError[] = []
  if (p.httpNodePort === p.httpsNodePort) errors.push(new ConfigError(file, 'ingressNginx.httpsNodePort', `a port other than httpNodePort ${p.httpNodePort}`, String(p.httpsNodePort)))
  const sha = p.manifestSha256 ?? INGRESS_NGINX_BAREMETAL.sha256
  if (!sha) {
    errors.push(new ConfigError(file, 'ingressNginx.manifestSha256',
      `the sha256 of ${p.manifestUrl ?? INGRESS_NGINX_BAREMETAL.url} (kubeplay ships none for ${INGRESS_NGINX_BAREMETAL.version}: review the file, then sha256sum it)`, 'nothing'))
  }
  return errors
}

const SETTINGS = defineSettings({ key: 'ingressNginx', schema: ingressNginxVarsSchema, defaults: ingressNginxDefaults })

export function ingressNginx(params: Partial<IngressNginxParams> = {}): Role {
  const given = SETTINGS.params(params, 'ingressNginx()')
  const s = (h: HostContext): IngressNginxParams => SETTINGS.of(h, given)
  const kc = (h: HostContext) => ({ kubeconfig: s(h).kubeconfig })
  return role('ingress-nginx', [
    task('Check the ingress-nginx settings', configCheck, (h) => ({ what: 'ingress-nginx settings', errors: ingressProblems(s(h)) })),
    fetchManifest(INGRESS_NGINX_BAREMETAL, (h) => ({ url: s(h).manifestUrl, sha256: s(h).manifestSha256 }), { tags: ['ingress-install'] }),
    applyManifest(INGRESS_NGINX_BAREMETAL, kc, { tags: ['ingress-install'] }),
    task('Pin the ingress controller NodePorts', kubectl, (h) => ({
      manifest: renderNodePortPatch(s(h)), fieldManager: PORTS_FIELD_MANAGER, ...kc(h),
    }), { tags: ['ingress-ports'] }),
    task('Apply the ingress LoadBalancer Service', kubectl, (h) => ({ manifest: renderLoadBalancer(s(h).loadBalancerIP), ...kc(h) }),
      { tags: ['ingress-lb'], when: (h) => s(h).loadBalancer, whenReason: 'ingressNginx.loadBalancer is false' }),
    task('Wait for the ingress controller to be available', kubectlWait, (h) => ({
      resource: 'deployment/ingress-nginx-controller', for: 'condition=Available', namespace: INGRESS_NAMESPACE,
      timeoutSeconds: s(h).waitTimeoutSeconds, ...kc(h),
    }), { tags: ['ingress-install'] }),
  ], { tags: ['kubernetes', 'ingress'], vars: SETTINGS.vars })
}
