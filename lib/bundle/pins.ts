/**
 * What a bundle for one Kubernetes release contains, pinned: the upstream Go modules and versions
 * each binary is built from, and the image references kubeadm and the pinned Flannel manifest ask
 * for. The builder checks the image list against the built kubeadm's own
 * `kubeadm config images list`, so a wrong pin fails the build instead of a cluster.
 */

export interface GoComponent {
  /** Module whose version is pinned (`go.etcd.io/etcd/server/v3`). */
  readonly module: string
  readonly version: string
  /** Main packages to build; Go names each binary after the package's last path element (`/vN` skipped). */
  readonly packages: readonly string[]
  /** Go's binary name → the name in the bundle (`server` → `etcd`). */
  readonly rename?: Readonly<Record<string, string>>
  /** `-X` settings for version strings. */
  readonly ldflagsX?: Readonly<Record<string, string>>
  /** k8s.io/kubernetes only: its k8s.io/* staging modules (v0.0.0 in its go.mod) → v0.MINOR.PATCH. */
  readonly stagingReplace?: string
  /**
   * Build the module as the main module, from a copy of its source with these import lines
   * removed (a backend whose SDK the Go module proxy does not serve), instead of as a dependency.
   */
  readonly dropImports?: readonly string[]
  /**
   * Build the module as the main module, from a copy of its source with these files added (path in
   * the module → content): what upstream's release generates before `go build` and the module zip
   * does not carry (Alertmanager's web UI, built with npm).
   */
  readonly placeholders?: Readonly<Record<string, string>>
  /** Link with cgo, statically (upstream builds flanneld this way: its udp backend is C). @default false */
  readonly cgo?: boolean
  /**
   * The Go release upstream built this version with (`1.22.9`), fetched as a toolchain module from
   * the Go module proxy: newer Go changes behaviour (Go 1.26's url.Parse refuses `[10.96.0.1]`,
   * which fails kubeadm 1.31's preflight). @default the local go
   */
  readonly goToolchain?: string
}

export interface ReleasePins {
  /** `1.31.4` */
  readonly kubernetes: string
  readonly etcd: { readonly version: string; readonly imageTag: string }
  readonly coredns: string
  readonly pause: string
  readonly cniPlugins: string
  readonly crictl: string
  readonly flannel: { readonly version: string; readonly cniImageTag: string; readonly manifestSha256: string }
  readonly metallb: { readonly version: string; readonly manifestSha256: string }
  readonly metricsServer: { readonly version: string; readonly baseSha256: string }
  readonly monitoring: { readonly prometheus: string; readonly prometheusModule: string; readonly alertmanager: string; readonly nodeExporter: string }
}

/** Flannel v0.28.9: Documentation/kube-flannel.yml in its Go module is the manifest the roles apply. */
const FLANNEL = { version: '0.28.9', cniImageTag: 'v1.9.1-flannel3', manifestSha256: 'e875824be2f552b45711dbda91af81b17eb961d00025d914d9fef18fad8f09c0' }

/**
 * MetalLB v0.15.2 (seed 001 installs v0.15.0; v0.15.2 is its latest patch on the Go module proxy):
 * config/manifests/metallb-native.yaml in its Go module is the manifest the role applies.
 */
const METALLB = { version: '0.15.2', manifestSha256: 'a1b04c376fb39c93265f551fe23716a3ae6e09b790edb3bf257d3fc784c35a18' }

/**
 * metrics-server v0.8.0 (supports Kubernetes 1.31+; 0.7 for older clusters, but 0.8.0 is what the
 * Go module proxy serves): its release manifest is manifests/base in its Go module with the release
 * image; the sha256 covers those base files, in kustomization order (see lib/bundle/metrics-server.ts).
 */
const METRICS_SERVER = { version: '0.8.0', baseSha256: 'bdd1b8cba69f06da839874a2166f3af1748d71050ea8b1803c5c0742e71a574d' }

/**
 * The monitoring stack the Go module proxy can serve: Prometheus 3.16.0 (its Go module numbers
 * 3.x.y as v0.3xx.y), Alertmanager 0.35.0, node-exporter 1.12.1. kube-state-metrics is not served
 * by the proxy and Grafana is not built (AGPL, and a web front-end build): see docs/roles/prometheus.md.
 */
const MONITORING = { prometheus: '3.16.0', prometheusModule: 'v0.316.0', alertmanager: '0.35.0', nodeExporter: '1.12.1' }

/** What Alertmanager's UI package embeds; upstream's release builds it with npm, the module has none. */
const ALERTMANAGER_UI = '<!doctype html><title>Alertmanager</title><p>The web UI is not part of the kubeplay offline bundle (it is built with npm upstream); the API is at <a href="/api/v2/status">/api/v2</a>.</p>\n'

/**
 * Releases the builder knows. etcd/CoreDNS/pause are the versions kubeadm of that release deploys.
 * crictl: the Go module proxy serves cri-tools v1.34.0 and newer only; crictl is a CRI v1 client,
 * so a newer crictl works against containerd 1.6/1.7.
 */
export const RELEASES: Readonly<Record<string, ReleasePins>> = {
  '1.30.14': {
    kubernetes: '1.30.14',
    etcd: { version: '3.5.15', imageTag: '3.5.15-0' },
    coredns: '1.11.3',
    pause: '3.9',
    cniPlugins: '1.5.1',
    crictl: '1.34.0',
    flannel: FLANNEL,
    metallb: METALLB,
    metricsServer: METRICS_SERVER,
    monitoring: MONITORING,
  },
  '1.31.4': {
    kubernetes: '1.31.4',
    etcd: { version: '3.5.15', imageTag: '3.5.15-0' },
    coredns: '1.11.3',
    pause: '3.10',
    cniPlugins: '1.5.1',
    crictl: '1.34.0',
    flannel: FLANNEL,
    metallb: METALLB,
    metricsServer: METRICS_SERVER,
    monitoring: MONITORING,
  },
}

export function releasePins(version: string): ReleasePins {
  const pins = RELEASES[version.replace(/^v/, '')]
  if (!pins) throw new Error(`no bundle pins for Kubernetes ${version}: known releases are ${Object.keys(RELEASES).join(', ')}`)
  return pins
}

/** Pure: the image references of a release, as kubeadm and the Flannel manifest name them. */
export function imageRefs(p: ReleasePins): {
  apiserver: string; controllerManager: string; scheduler: string; proxy: string; etcd: string; coredns: string; pause: string
  flannel: string; flannelCni: string; metallbController: string; metallbSpeaker: string; metricsServer: string
  prometheus: string; alertmanager: string; nodeExporter: string
} {
  const v = `v${p.kubernetes}`
  return {
    apiserver: `registry.k8s.io/kube-apiserver:${v}`,
    controllerManager: `registry.k8s.io/kube-controller-manager:${v}`,
    scheduler: `registry.k8s.io/kube-scheduler:${v}`,
    proxy: `registry.k8s.io/kube-proxy:${v}`,
    coredns: `registry.k8s.io/coredns/coredns:v${p.coredns}`,
    pause: `registry.k8s.io/pause:${p.pause}`,
    etcd: `registry.k8s.io/etcd:${p.etcd.imageTag}`,
    flannel: `ghcr.io/flannel-io/flannel:v${p.flannel.version}`,
    flannelCni: `ghcr.io/flannel-io/flannel-cni-plugin:${p.flannel.cniImageTag}`,
    metallbController: `quay.io/metallb/controller:v${p.metallb.version}`,
    metallbSpeaker: `quay.io/metallb/speaker:v${p.metallb.version}`,
    metricsServer: `registry.k8s.io/metrics-server/metrics-server:v${p.metricsServer.version}`,
    prometheus: `quay.io/prometheus/prometheus:v${p.monitoring.prometheus}`,
    alertmanager: `quay.io/prometheus/alertmanager:v${p.monitoring.alertmanager}`,
    nodeExporter: `quay.io/prometheus/node-exporter:v${p.monitoring.nodeExporter}`,
  }
}

/** Pure: kubeadm's list order (`kubeadm config images list`) for comparison with the built kubeadm. */
export function kubeadmImageList(p: ReleasePins): string[] {
  const r = imageRefs(p)
  return [r.apiserver, r.controllerManager, r.scheduler, r.proxy, r.coredns, r.pause, r.etcd]
}

const K8S = 'k8s.io/kubernetes'

/** Pure: the Go builds of a release, in the order the builder runs them (kubeadm first: it checks the pins). */
export function goComponents(p: ReleasePins, gitCommit: string, k8sGoVersion?: string): Record<string, GoComponent> {
  const [major, minor, patch] = p.kubernetes.split('.')
  const versionX = (pkg: string): Record<string, string> => ({
    [`${pkg}.gitVersion`]: `v${p.kubernetes}`,
    [`${pkg}.gitMajor`]: major!,
    [`${pkg}.gitMinor`]: minor!,
    [`${pkg}.gitCommit`]: gitCommit,
    [`${pkg}.gitTreeState`]: 'clean',
  })
  const k8sX = { ...versionX('k8s.io/component-base/version'), ...versionX('k8s.io/client-go/pkg/version') }
  const k8s = (cmds: string[]): GoComponent => ({
    module: K8S, version: `v${p.kubernetes}`, packages: cmds.map((c) => `${K8S}/cmd/${c}`), ldflagsX: k8sX, stagingReplace: `v0.${minor}.${patch}`,
    ...(k8sGoVersion ? { goToolchain: k8sGoVersion } : {}),
  })
  const cni = 'github.com/containernetworking/plugins/plugins'
  return {
    kubeadm: k8s(['kubeadm']),
    kubernetes: k8s(['kubelet', 'kubectl', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy']),
    etcd: {
      module: 'go.etcd.io/etcd/server/v3', version: `v${p.etcd.version}`, packages: ['go.etcd.io/etcd/server/v3'], rename: { server: 'etcd' },
      ldflagsX: { 'go.etcd.io/etcd/api/v3/version.GitSHA': `v${p.etcd.version}` },
    },
    etcdctl: { module: 'go.etcd.io/etcd/etcdctl/v3', version: `v${p.etcd.version}`, packages: ['go.etcd.io/etcd/etcdctl/v3'] },
    etcdutl: { module: 'go.etcd.io/etcd/etcdutl/v3', version: `v${p.etcd.version}`, packages: ['go.etcd.io/etcd/etcdutl/v3'] },
    coredns: {
      module: 'github.com/coredns/coredns', version: `v${p.coredns}`, packages: ['github.com/coredns/coredns'],
      ldflagsX: { 'github.com/coredns/coredns/coremain.GitCommit': `v${p.coredns}` },
    },
    cniPlugins: {
      module: 'github.com/containernetworking/plugins', version: `v${p.cniPlugins}`,
      packages: [`${cni}/main/bridge`, `${cni}/ipam/host-local`, `${cni}/main/loopback`, `${cni}/meta/portmap`],
    },
    flannel: {
      module: 'github.com/flannel-io/flannel', version: `v${p.flannel.version}`,
      packages: ['github.com/flannel-io/flannel', 'github.com/flannel-io/flannel/cmd/install_conf'],
      ldflagsX: { 'github.com/flannel-io/flannel/pkg/version.Version': `v${p.flannel.version}` },
      // The Tencent Cloud VPC backend's SDK module is not served by the Go module proxy; the
      // lab and kubeplay's manifests use the vxlan backend. Everything else is upstream as tagged.
      dropImports: ['github.com/flannel-io/flannel/pkg/backend/tencentvpc'],
      cgo: true,
    },
    // flannel-io/cni-plugin is not served by the Go module proxy; the same plugin (it was forked
    // from here) is in containernetworking/plugins up to v0.9.1.
    flannelCni: { module: 'github.com/containernetworking/plugins', version: 'v0.9.1', packages: [`${cni}/meta/flannel`] },
    // MetalLB's controller and speaker, as its Dockerfiles build them (CGO off, one binary each).
    metallb: { module: 'go.universe.tf/metallb', version: `v${p.metallb.version}`, packages: ['go.universe.tf/metallb/controller', 'go.universe.tf/metallb/speaker'] },
    // metrics-server as its Makefile builds it (CGO off; the version in client-go's version package).
    metricsServer: {
      module: 'sigs.k8s.io/metrics-server', version: `v${p.metricsServer.version}`, packages: ['sigs.k8s.io/metrics-server/cmd/metrics-server'],
      ldflagsX: { 'k8s.io/client-go/pkg/version.gitVersion': `v${p.metricsServer.version}` },
    },
    // The monitoring stack as upstream's Makefiles (promu) build it: CGO off, the version stamped
    // in prometheus/common's version package.
    prometheus: {
      module: 'github.com/prometheus/prometheus', version: p.monitoring.prometheusModule, packages: ['github.com/prometheus/prometheus/cmd/prometheus'],
      ldflagsX: { 'github.com/prometheus/common/version.Version': p.monitoring.prometheus },
    },
    alertmanager: {
      module: 'github.com/prometheus/alertmanager', version: `v${p.monitoring.alertmanager}`, packages: ['github.com/prometheus/alertmanager/cmd/alertmanager'],
      ldflagsX: { 'github.com/prometheus/common/version.Version': p.monitoring.alertmanager },
      placeholders: { 'ui/app/dist/elm/index.html': ALERTMANAGER_UI, 'ui/app/dist/mantine/index.html': ALERTMANAGER_UI },
    },
    nodeExporter: {
      module: 'github.com/prometheus/node_exporter', version: `v${p.monitoring.nodeExporter}`, packages: ['github.com/prometheus/node_exporter'],
      ldflagsX: { 'github.com/prometheus/common/version.Version': p.monitoring.nodeExporter },
    },
    crictl: { module: 'sigs.k8s.io/cri-tools', version: `v${p.crictl}`, packages: ['sigs.k8s.io/cri-tools/cmd/crictl'] },
  }
}
