/**
 * kubeadm, kubelet and kubectl at one exact version, held so `apt upgrade` never moves them (only
 * the upgrade playbook does): from pkgs.k8s.io (per-minor repository, key pinned by sha256), from a
 * mirror of the same layout, or preinstalled (checked only). Shared by master and worker roles.
 */
import { sh } from '../../lib/connection/quote.ts'
import { defineModule, noChange, type HostContext } from '../../lib/engine/module.ts'
import { task, type Task } from '../../lib/engine/task.ts'
import { ModuleError } from '../../lib/errors.ts'
import { compareVersions, formatVersion, packageVersion, parseKubeVersion, repoMinor, type KubeVersion } from '../../lib/k8s/kubeadm-version.ts'
import { aptPackages } from '../../lib/modules/apt-packages.ts'
import { aptRepository } from '../../lib/modules/apt-repository.ts'
import { systemdService } from '../../lib/modules/systemd-service.ts'
import { artifactTasks } from './artifacts.ts'
import type { ClusterModel, KubernetesParams } from './settings.ts'

export const KUBE_PACKAGES = ['kubeadm', 'kubelet', 'kubectl'] as const

/** Pure: the apt source for a package source and version; null for 'preinstalled'. */
export function kubernetesRepository(s: KubernetesParams, v: KubeVersion): { uri: string; key: { url: string; sha256: string } } | null {
  if (s.packageSource === 'preinstalled' || s.packageSource === 'artifacts') return null
  if (s.packageSource === 'pkgs.k8s.io') {
    const uri = `https://pkgs.k8s.io/core:/stable:/${repoMinor(v)}/deb/`
    return { uri, key: { url: `${uri}Release.key`, sha256: s.repoKeySha256 ?? '' } }
  }
  const uri = s.packageSource.mirror.endsWith('/') ? s.packageSource.mirror : `${s.packageSource.mirror}/`
  return { uri, key: { url: `${uri}Release.key`, sha256: s.packageSource.keySha256 } }
}

/** Pure: `kubeadm version -o short` output → version, or null. */
export function parseKubeadmVersion(stdout: string): KubeVersion | null {
  return parseKubeVersion(stdout.trim().split('\n').pop() ?? '')
}

/** What the host has now: kubeadm's version (null: not installed). */
export async function installedKubeadm(host: HostContext): Promise<KubeVersion | null> {
  const r = await host.exec(sh`command -v kubeadm >/dev/null 2>&1 && kubeadm version -o short`)
  return r.code === 0 ? parseKubeadmVersion(r.stdout) : null
}

/**
 * Refuses to install an older kubeadm over a newer one (vars still saying 1.31.4 after the upgrade
 * playbook moved the cluster to 1.32: the pinned install would downgrade a live node) and, for
 * 'preinstalled', checks the tools are there at the wanted version.
 */
export const kubernetesToolsCheck = defineModule<{ readonly model: ClusterModel }>({
  name: 'kubernetesTools',
  async check(host, { model }) {
    const have = await installedKubeadm(host)
    const want = model.version
    if (have && compareVersions(have, want) > 0) {
      throw new ModuleError('kubernetes', `${host.name}: kubeadm is v${formatVersion(have)}, newer than kubernetes.version ${formatVersion(want)}: set kubernetes.version to the cluster's version (kubeplay never downgrades)`)
    }
    if (model.s.packageSource !== 'preinstalled') return noChange(have ? `kubeadm v${formatVersion(have)} installed` : 'kubeadm not installed yet')
    const missing: string[] = []
    for (const tool of KUBE_PACKAGES) if ((await host.exec(sh`command -v ${tool}`)).code !== 0) missing.push(tool)
    // Nothing in kubeplay installs preinstalled tools: --check fails here as the real run would
    // (a dry-run gate must tell "will fail" from "changes pending").
    if (missing.length) throw new ModuleError('kubernetes', `${host.name}: packageSource 'preinstalled': expected ${missing.join(', ')} on the PATH, found none (install them first)`)
    if (have && compareVersions(have, want) !== 0) {
      throw new ModuleError('kubernetes', `${host.name}: packageSource 'preinstalled': expected kubeadm v${formatVersion(want)}, found v${formatVersion(have)}`)
    }
    return noChange(`kubeadm, kubelet, kubectl preinstalled (kubeadm v${have ? formatVersion(have) : '?'})`)
  },
  async apply() { /* check-only: it never plans a change */ },
})

/** The package tasks; `tags` carry the role's tags through to every one. */
export function packageTasks(model: (h: HostContext) => ClusterModel, tags: readonly string[], controlPlane = false): Task[] {
  const fromRepo = (h: HostContext): boolean => kubernetesRepository(model(h).s, model(h).version) !== null
  const t = [...tags, 'kubernetes-packages']
  return [
    task('Check the installed Kubernetes tools', kubernetesToolsCheck, (h) => ({ model: model(h) }), { tags: t }),
    ...artifactTasks(model, t, controlPlane),
    task('Add the Kubernetes apt repository', aptRepository, (h) => {
      const m = model(h)
      const repo = kubernetesRepository(m.s, m.version)!
      return { name: 'kubernetes', uris: repo.uri, suites: '/', signedBy: repo.key }
    }, { tags: t, when: fromRepo, whenReason: 'packageSource is not an apt repository' }),
    task('Install kubeadm, kubelet and kubectl at the pinned version and hold them', aptPackages, (h) => {
      const m = model(h)
      const v = packageVersion(m.version, m.s.packageRevision)
      return { names: Object.fromEntries(KUBE_PACKAGES.map((p) => [p, v])), hold: true, updateCache: true }
    }, { tags: t, when: fromRepo, whenReason: 'packageSource is not an apt repository' }),
    task('Enable the kubelet', systemdService, { name: 'kubelet', enabled: true }, { tags: [...t, 'kubelet'] }),
  ]
}
