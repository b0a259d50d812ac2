/**
 * containerd as the kubelet's runtime (seeds 000, 001): installed from the distribution or Docker's
 * repository, config.toml written for the installed major version (systemd cgroups, the pause image
 * kubeadm expects, registry hosts from /etc/containerd/certs.d), crictl pointed at it, the service
 * enabled, and a final check that the daemon answers. The daemon restarts only when config.toml
 * changed: hosts.toml files are read at each pull, so mirrors never need a restart.
 */
import { CAP, capabilityBoundingSet, hasCapability } from '../../lib/facts/capabilities.ts'
import { dpkgPackages } from '../../lib/facts/dpkg.ts'
import { osRelease } from '../../lib/facts/os-release.ts'
import type { HostContext } from '../../lib/engine/module.ts'
import { flushHandlers, handler, role, task, type Role } from '../../lib/engine/task.ts'
import { defineSettings } from '../../lib/engine/vars.ts'
import { ModuleError } from '../../lib/errors.ts'
import { array, boolean, enumOf, object, optional, record, refine, string, union } from '../../lib/schema/validate.ts'
import { aptPackages } from '../../lib/modules/apt-packages.ts'
import { aptRepository } from '../../lib/modules/apt-repository.ts'
import { file } from '../../lib/modules/file.ts'
import { systemdService } from '../../lib/modules/systemd-service.ts'
import { template } from '../../lib/modules/template.ts'
import { containerdServer, registryHosts } from './modules.ts'
import { configFor, MIRROR_URL, packageName, pauseImageFor, REGISTRY, renderHostsToml, TEMPLATES, versionToConfigure } from './render.ts'

export interface ContainerdParams {
  /** Where the package comes from: the distribution (`containerd`) or Docker's repository (`containerd.io`). @default 'distro' */
  readonly source: 'distro' | 'docker'
  /** Exact apt version to install and hold (`'1.7.27-1'` for containerd.io). @default the repository's latest, not held */
  readonly version?: string
  /** Docker's repository root; `/<debian|ubuntu>` is appended. @default 'https://download.docker.com/linux' */
  readonly dockerRepoUrl: string
  /** sha256 of `<dockerRepoUrl>/<debian|ubuntu>/gpg`, checked before apt trusts it. Required for source 'docker'. @default none */
  readonly dockerKeySha256?: string
  /** Kubernetes minor version the pause image is matched to. @default `kubernetes.version` when the host has it, else '1.31' */
  readonly kubernetesVersion: string
  /** Registry of the default pause image (a local mirror of registry.k8s.io). @default 'registry.k8s.io' */
  readonly sandboxRegistry: string
  /** Pause image, overriding the one derived from `kubernetesVersion`. @default derived */
  readonly sandboxImage?: string
  /** runc uses systemd cgroups (the kubelet's cgroupDriver must say `systemd` too). @default true */
  readonly systemdCgroup: boolean
  /**
   * containerd never sets an OOM score below its own (`restrict_oom_score_adj`). Without
   * CAP_SYS_RESOURCE (containers used as nodes, like the lab's) runc cannot lower a score and every
   * pod sandbox (-998) fails to start. 'auto': on exactly when the host lacks that capability. @default 'auto'
   */
  readonly restrictOomScoreAdj: boolean | 'auto'
  /** registry → mirror URLs tried in order before it (`{ 'docker.io': ['https://mirror.lan'] }`). @default {} */
  readonly registryMirrors: Readonly<Record<string, readonly string[]>>
  /** Registry hosts directory (`config_path`). @default '/etc/containerd/certs.d' */
  readonly certsDir: string
  /** TOML appended to config.toml as written (more plugin tables). @default '' */
  readonly extraToml: string
}

export const containerdDefaults: ContainerdParams = {
  source: 'distro',
  dockerRepoUrl: 'https://download.docker.com/linux',
  kubernetesVersion: '1.31',
  sandboxRegistry: 'registry.k8s.io',
  systemdCgroup: true,
  restrictOomScoreAdj: 'auto',
  registryMirrors: {},
  certsDir: '/etc/containerd/certs.d',
  extraToml: '',
}

const CONFIG = '/etc/containerd/config.toml'
const SOCKET = '/run/containerd/containerd.sock'

export const containerdVarsSchema = object({
  source: optional(enumOf(['distro', 'docker'])),
  version: optional(refine(string(), "a Debian version like '1.7.27-1'", (v) => /^[A-Za-z0-9.+~:-]+$/.test(v))),
  dockerRepoUrl: optional(refine(string(), 'an http(s):// URL without a trailing slash', (u) => /^https?:\/\/\S+[^/]$/.test(u))),
  dockerKeySha256: optional(refine(string(), 'a sha256 of 64 hex digits', (s) => /^[0-9a-fA-F]{64}$/.test(s))),
  kubernetesVersion: optional(refine(string(), "a Kubernetes version like '1.31'", (v) => /^v?1\.\d+(\.\d+)?$/.test(v))),
  sandboxRegistry: optional(string()),
  sandboxImage: optional(refine(string(), "an image like 'registry.k8s.io/pause:3.10'", (s) => /^[^\s"'\\]+$/.test(s))),
  systemdCgroup: optional(boolean()),
  restrictOomScoreAdj: optional(union(boolean(), enumOf(['auto']))),
  registryMirrors: optional(record(array(refine(string(), 'an http(s):// mirror URL', (u) => MIRROR_URL.test(u))))),
  certsDir: optional(refine(string(), 'an absolute path', (p) => /^\/[^\s"'\\]*$/.test(p))),
  extraToml: optional(string()),
}, { strict: true })

/** The version config.toml is written for: installed, else pinned, else what apt would install. */
async function versionFor(h: HostContext, p: ContainerdParams): Promise<string> {
  const pkg = packageName(p.source)
  const installed = (await h.fact(dpkgPackages, { names: [pkg] })).installed.get(pkg)
  const candidate = installed || p.version ? undefined : (await h.fact(dpkgPackages, { names: [pkg], candidates: true })).candidates.get(pkg)
  const v = versionToConfigure(installed, p.version, candidate)
  if (v === null) {
    throw new ModuleError('containerd', `${h.name}: cannot tell which ${pkg} version to configure: not installed, no containerd.version, and apt has no candidate (in check mode before Docker's repository exists, set containerd.version)`)
  }
  return v
}

async function restrictOom(h: HostContext, p: ContainerdParams): Promise<boolean> {
  if (p.restrictOomScoreAdj !== 'auto') return p.restrictOomScoreAdj
  return !hasCapability(await h.fact(capabilityBoundingSet, undefined), CAP.SYS_RESOURCE)
}

const SETTINGS = defineSettings({ key: 'containerd', schema: containerdVarsSchema, defaults: containerdDefaults, ansibleNames: { containerd_version: 'version', containerd_systemd_cgroup: 'systemdCgroup' } })

export function containerd(params: Partial<ContainerdParams> = {}): Role {
  const given = SETTINGS.params(params, 'containerd()')
  // The pause image follows kubernetes.version unless containerd.kubernetesVersion says otherwise.
  const s = (h: HostContext): ContainerdParams => {
    const p = SETTINGS.of(h, given)
    const own = h.vars.containerd
    const explicit = params.kubernetesVersion ?? (own && typeof own === 'object' && 'kubernetesVersion' in own ? own.kubernetesVersion : undefined)
    const k8s = (h.vars.kubernetes as { version?: unknown } | undefined)?.version
    return explicit === undefined && typeof k8s === 'string' ? { ...p, kubernetesVersion: k8s } : p
  }
  const restart = handler('Restart containerd', systemdService, { name: 'containerd', state: 'restarted' as const })

  return role('containerd', [
    task("Add Docker's apt repository", aptRepository, async (h) => {
      const p = s(h)
      const os = await h.fact(osRelease, undefined)
      const distro = os.id === 'ubuntu' || os.idLike.includes('ubuntu') ? 'ubuntu' : 'debian'
      if (!p.dockerKeySha256) {
        throw new ModuleError('containerd', `dockerKeySha256: expected the sha256 of ${p.dockerRepoUrl}/${distro}/gpg (on a trusted machine: curl -fsSL ${p.dockerRepoUrl}/${distro}/gpg | sha256sum), found none`)
      }
      return {
        name: 'docker', uris: `${p.dockerRepoUrl}/${distro}`, suites: os.codename, components: ['stable'],
        signedBy: { url: `${p.dockerRepoUrl}/${distro}/gpg`, sha256: p.dockerKeySha256 },
      }
    }, { tags: ['packages', 'docker-repo'], when: (h) => s(h).source === 'docker', whenReason: "containerd.source is 'distro'" }),
    task('Install containerd', aptPackages, (h) => {
      const p = s(h)
      const pkg = packageName(p.source)
      return p.version ? { names: { [pkg]: p.version }, updateCache: true, hold: true } : { names: [pkg], updateCache: true }
    }, { tags: ['packages'] }),
    task('Create the registry hosts directory', file, (h) => ({ path: s(h).certsDir, state: 'directory' as const, mode: '0755' }),
      { tags: ['containerd-config', 'registry-mirrors'] }),
    task('Write containerd config.toml', template, async (h) => {
      const p = s(h)
      const { src, vars } = configFor(await versionFor(h, p), {
        sandboxImage: p.sandboxImage ?? pauseImageFor(p.kubernetesVersion, p.sandboxRegistry),
        systemdCgroup: p.systemdCgroup, restrictOomScoreAdj: await restrictOom(h, p), certsDir: p.certsDir, extraToml: p.extraToml,
      })
      return { path: CONFIG, src, vars: { ...vars }, mode: '0644' }
    }, { tags: ['containerd-config'], notify: [restart] }),
    task('Write registry mirror hosts.toml files', registryHosts, (h) => {
      const p = s(h)
      const bad = Object.keys(p.registryMirrors).find((r) => !REGISTRY.test(r))
      if (bad !== undefined) throw new ModuleError('containerd', `registryMirrors: expected registry hosts like 'docker.io', found '${bad}'`)
      return { dir: p.certsDir, files: Object.fromEntries(Object.entries(p.registryMirrors).map(([r, m]) => [r, renderHostsToml(r, m)])) }
    }, { tags: ['containerd-config', 'registry-mirrors'] }),
    task('Point crictl at containerd', template, { path: '/etc/crictl.yaml', src: TEMPLATES.crictl, vars: { socket: SOCKET }, mode: '0644' },
      { tags: ['crictl'] }),
    task('Start containerd at boot', systemdService, { name: 'containerd', enabled: true, state: 'started' as const }, { tags: ['service'] }),
    flushHandlers(),
    task('Check that containerd answers', containerdServer, { socket: SOCKET }, { tags: ['verify'] }),
  ], { tags: [], vars: SETTINGS.vars })
}
