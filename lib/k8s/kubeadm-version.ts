/**
 * Kubernetes version arithmetic for kubeadm clusters: parsing `1.31.4` / `v1.31.4`, the Debian
 * package version pkgs.k8s.io uses (`1.31.4-1.1`), the per-minor repository, the kubeadm config API
 * version a release reads, and the one-minor-at-a-time upgrade rule. Pure.
 */
import { ConfigError } from '../errors.ts'

export interface KubeVersion {
  readonly major: number
  readonly minor: number
  readonly patch: number
}

/** Oldest release kubeplay renders a config for (v1beta3 exists since 1.22; pkgs.k8s.io starts at 1.24). */
export const MIN_MINOR = 24

/**
 * Newest minor kubeplay accepts: kubeadm's v1beta4 config, the kubelet flags and pkgs.k8s.io's
 * layout it renders hold through 1.34; 1.35 refuses cgroup v1 by default and is not handled yet.
 */
export const MAX_MINOR = 34

/** `1.31.4`, `v1.31.4` → version; null otherwise (pre-releases are refused: clusters run releases). */
export function parseKubeVersion(s: string): KubeVersion | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(String(s).trim())
  if (!m) return null
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) }
}

/** Like parseKubeVersion, but a ConfigError naming `where` when the value is not a release version. */
export function requireKubeVersion(s: string, where: string, key = 'version'): KubeVersion {
  const v = parseKubeVersion(s)
  if (!v || v.major !== 1) throw new ConfigError(where, key, 'a Kubernetes release like 1.31.4', JSON.stringify(s))
  if (v.minor < MIN_MINOR || v.minor > MAX_MINOR) throw new ConfigError(where, key, `a Kubernetes release kubeplay supports (1.${MIN_MINOR} to 1.${MAX_MINOR})`, JSON.stringify(s))
  return v
}

export const formatVersion = (v: KubeVersion): string => `${v.major}.${v.minor}.${v.patch}`

/** `v1.31.4`: what kubeadm's `kubernetesVersion` and `upgrade apply` take. */
export const vVersion = (v: KubeVersion): string => `v${formatVersion(v)}`

/** `v1.31`: the pkgs.k8s.io repository of a minor (`/core:/stable:/v1.31/deb/`). */
export const repoMinor = (v: KubeVersion): string => `v${v.major}.${v.minor}`

/** `1.31.4` + revision `1.1` → `1.31.4-1.1`, the exact Debian version of kubeadm/kubelet/kubectl on pkgs.k8s.io. */
export function packageVersion(v: KubeVersion, revision = '1.1'): string {
  if (!/^[0-9][0-9A-Za-z.+~]*$/.test(revision)) throw new ConfigError('kubernetes', 'packageRevision', "a Debian revision like '1.1'", JSON.stringify(revision))
  return `${formatVersion(v)}-${revision}`
}

export type KubeadmApiVersion = 'kubeadm.k8s.io/v1beta3' | 'kubeadm.k8s.io/v1beta4'

/**
 * The kubeadm config API a release is given: v1beta4 from 1.31 (where it was introduced; v1beta3 is
 * deprecated there), v1beta3 before (1.22–1.30 read v1beta3; they do not know v1beta4).
 */
export function kubeadmApiVersion(v: KubeVersion): KubeadmApiVersion {
  return v.major > 1 || v.minor >= 31 ? 'kubeadm.k8s.io/v1beta4' : 'kubeadm.k8s.io/v1beta3'
}

export function compareVersions(a: KubeVersion, b: KubeVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch
}

export type UpgradeStep =
  | { readonly kind: 'none'; readonly reason: string }
  | { readonly kind: 'patch' | 'minor'; readonly from: KubeVersion; readonly to: KubeVersion }

/**
 * kubeadm upgrades one minor at a time (1.31.x → 1.32.y), never skipping one and never downgrading.
 * Returns the step, or a ConfigError (thrown) saying which intermediate minor to go through first.
 */
export function upgradeStep(current: KubeVersion, target: KubeVersion, where = 'upgrade'): UpgradeStep {
  const cmp = compareVersions(target, current)
  if (cmp === 0) return { kind: 'none', reason: `already at ${vVersion(current)}` }
  if (cmp < 0) {
    throw new ConfigError(where, 'kubernetes_target', `a version newer than the cluster's ${vVersion(current)} (kubeadm cannot downgrade)`, vVersion(target))
  }
  if (target.major !== current.major) throw new ConfigError(where, 'kubernetes_target', `a ${current.major}.x version`, vVersion(target))
  const minors = target.minor - current.minor
  if (minors > 1) {
    const next = `${current.major}.${current.minor + 1}`
    throw new ConfigError(where, 'kubernetes_target',
      `one minor at a time from ${vVersion(current)}: ${next}.x next (skipping ${minors - 1} minor${minors > 2 ? 's' : ''} is not supported by kubeadm)`,
      vVersion(target))
  }
  return { kind: minors === 1 ? 'minor' : 'patch', from: current, to: target }
}
