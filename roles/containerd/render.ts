/**
 * Pure decisions and rendering for the containerd role: which config format the installed version
 * reads, which pause image matches the Kubernetes version, and the files written from templates.
 * The tasks render the same templates, so these outputs are exactly what lands on the hosts.
 */
import { fileURLToPath } from 'node:url'
import semver from 'semver'
import { ModuleError } from '../../lib/errors.ts'
import { renderTemplateFile } from '../../lib/modules/template.ts'

export const TEMPLATES = {
  v2: fileURLToPath(new URL('./templates/config-v2.toml.hbs', import.meta.url)),
  v3: fileURLToPath(new URL('./templates/config-v3.toml.hbs', import.meta.url)),
  hosts: fileURLToPath(new URL('./templates/hosts.toml.hbs', import.meta.url)),
  crictl: fileURLToPath(new URL('./templates/crictl.yaml.hbs', import.meta.url)),
} as const

function render(which: keyof typeof TEMPLATES, vars: Record<string, unknown>): string {
  return renderTemplateFile(TEMPLATES[which], vars)
}

/** `containerd` from the distribution, `containerd.io` from Docker's repository. */
export function packageName(source: 'distro' | 'docker'): string {
  return source === 'docker' ? 'containerd.io' : 'containerd'
}

/** Pure: a Debian version (`1.6.20~ds1-1+b1`, `1:1.7.27-1`, `2.0.0~rc.1-1`) → its upstream semver. */
export function upstreamVersion(debVersion: string): semver.SemVer {
  const v = semver.coerce(debVersion.replace(/^\d+:/, ''))
  if (!v) throw new ModuleError('containerd', `expected a containerd version like '1.7.27-1', found '${debVersion}'`)
  return v
}

/** Pure: the config format a version reads natively: 2 for containerd 1.x, 3 for 2.x and later. */
export function configVersion(v: semver.SemVer): 2 | 3 {
  return v.major >= 2 ? 3 : 2
}

/**
 * Pure: the pause image kubeadm expects for a Kubernetes minor version (its PauseVersion): a
 * mismatch makes kubeadm warn, and an unreachable image blocks every pod sandbox.
 */
export function pauseImageFor(kubernetesVersion: string, registry = 'registry.k8s.io'): string {
  const v = semver.coerce(kubernetesVersion)
  if (!v || v.major !== 1 || v.minor < 24) {
    throw new ModuleError('containerd', `kubernetesVersion: expected 1.24 or later like '1.31', found '${kubernetesVersion}'`)
  }
  const tag = v.minor >= 34 ? '3.10.1' : v.minor >= 31 ? '3.10' : v.minor >= 26 ? '3.9' : v.minor === 25 ? '3.8' : '3.7'
  return `${registry}/pause:${tag}`
}

export interface ConfigVars {
  /** `1.7`, for the header. */
  readonly series: string
  readonly sandboxImage: string
  readonly systemdCgroup: boolean
  /** `restrict_oom_score_adj = true` (nodes without CAP_SYS_RESOURCE). @default false */
  readonly restrictOomScoreAdj?: boolean
  readonly certsDir: string
  /** Appended as written (more TOML tables). */
  readonly extraToml: string
}

/** Pure: the template and its vars for an installed version. */
export function configFor(debVersion: string, v: Omit<ConfigVars, 'series'>): { src: string; vars: ConfigVars } {
  const up = upstreamVersion(debVersion)
  return { src: configVersion(up) === 3 ? TEMPLATES.v3 : TEMPLATES.v2, vars: { ...v, series: `${up.major}.${up.minor}`, extraToml: v.extraToml.trim() } }
}

export function renderConfig(debVersion: string, v: Omit<ConfigVars, 'series'>): string {
  const { src, vars } = configFor(debVersion, v)
  return renderTemplateFile(src, { ...vars })
}

/** Docker Hub's registry is not at its name: pulls for `docker.io` go to registry-1.docker.io. */
export function upstreamServer(registry: string): string {
  return registry === 'docker.io' ? 'https://registry-1.docker.io' : `https://${registry}`
}

/** A registry as containerd names its hosts directory: `docker.io`, `10.0.0.5:5000`, or `_default`. */
export const REGISTRY = /^(_default|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?)$/
export const MIRROR_URL = /^https?:\/\/[^\s"'\\]+$/

export function renderHostsToml(registry: string, mirrors: readonly string[]): string {
  if (!REGISTRY.test(registry)) throw new ModuleError('containerd', `registryMirrors: expected a registry host like 'docker.io' or '10.0.0.5:5000', found '${registry}'`)
  const bad = mirrors.find((m) => !MIRROR_URL.test(m))
  if (bad !== undefined) throw new ModuleError('containerd', `registryMirrors.${registry}: expected http(s):// URLs, found '${bad}'`)
  // _default applies to every registry without its own directory: there is no single upstream server
  const server = registry === '_default' ? '' : upstreamServer(registry)
  return render('hosts', { registry, server, mirrors })
}

export function renderCrictlYaml(socket: string): string {
  return render('crictl', { socket })
}

/** Pure: the server version in `ctr version` output; null when the daemon did not answer. */
export function parseCtrVersion(out: string): string | null {
  const server = out.split(/^Server:\s*$/m)[1]
  return server ? /^\s*Version:\s*(\S+)/m.exec(server)?.[1] ?? null : null
}

/** Pure: the version the config is written for: installed, else pinned, else apt's candidate. */
export function versionToConfigure(installed: string | undefined, pinned: string | undefined, candidate: string | undefined): string | null {
  return installed ?? pinned ?? candidate ?? null
}
