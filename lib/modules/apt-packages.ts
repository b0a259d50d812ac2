/**
 * Debian packages: installed (optionally at an exact version), latest, or absent; held or not.
 * Check reads every name's state in one round trip; apply is one apt-get transaction per action.
 * A package to install that the package lists know nothing of refreshes the lists first.
 */
import { joinCommands, sh, type ShellCommand } from '../connection/quote.ts'
import { change, defineModule, noChange } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'
import { APT_UPDATE_STAMP, dpkgPackages, type DpkgState } from '../facts/dpkg.ts'

export interface AptPackagesParams {
  /** Names, or name → exact version (`{ kubeadm: '1.31.4-1.1' }`). */
  readonly names: readonly string[] | Readonly<Record<string, string>>
  /** @default 'present' */
  readonly state?: 'present' | 'absent' | 'latest'
  /** true: `apt-mark hold` after installing (kubeadm must not move with `apt upgrade`); false: unhold. @default leave holds alone */
  readonly hold?: boolean
  /**
   * true: refresh the package lists before installing (only when something is to be installed);
   * `{ maxAgeSeconds }`: also refresh when the lists are older than that.
   * @default false
   */
  readonly updateCache?: boolean | { readonly maxAgeSeconds: number }
  /** @default apt's own setting */
  readonly installRecommends?: boolean
}

export interface AptPlan {
  readonly update: boolean
  /** `name` or `name=version` */
  readonly install: readonly string[]
  readonly remove: readonly string[]
  readonly hold: readonly string[]
  readonly unhold: readonly string[]
  /** A held package changes version or goes away. */
  readonly allowHeld: boolean
  readonly installRecommends?: boolean
  /** Packages to install that the current lists do not know: the lists are refreshed first. */
  readonly unknown?: readonly string[]
}

const NAME = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/
const VERSION = /^[A-Za-z0-9.+~:-]+$/

/** Pure: the names and pinned versions, validated (they go on an apt-get command line). */
export function desiredVersions(names: AptPackagesParams['names']): Map<string, string | null> {
  const entries: [string, string | null][] = Array.isArray(names)
    ? (names as readonly string[]).map((n) => [n, null])
    : Object.entries(names as Record<string, string>)
  if (entries.length === 0) throw new ModuleError('aptPackages', 'names: expected at least one package, found none')
  for (const [n, v] of entries) {
    if (!NAME.test(n)) throw new ModuleError('aptPackages', `names: expected a Debian package name, found '${n}'`)
    if (v !== null && !VERSION.test(v)) throw new ModuleError('aptPackages', `names.${n}: expected a Debian version like '1.31.4-1.1', found '${v}'`)
  }
  return new Map(entries)
}

/** Pure: what to do for the desired state given the host's package state; null when nothing. */
export function planPackages(p: AptPackagesParams, s: DpkgState): AptPlan | null {
  const want = desiredVersions(p.names)
  const state = p.state ?? 'present'
  const install: string[] = []
  const remove: string[] = []
  let allowHeld = false
  for (const [name, version] of want) {
    const have = s.installed.get(name)
    if (state === 'absent') {
      if (have !== undefined) { remove.push(name); allowHeld ||= s.holds.has(name) }
      continue
    }
    const target = version ?? (state === 'latest' ? s.candidates.get(name) ?? null : null)
    if (have === undefined) install.push(version ? `${name}=${version}` : name)
    else if (target !== null && have !== target) {
      install.push(version ? `${name}=${version}` : name)
      allowHeld ||= s.holds.has(name)
    }
  }
  const present = state !== 'absent' ? [...want.keys()] : []
  const hold = p.hold === true ? present.filter((n) => !s.holds.has(n)) : []
  const unhold = p.hold === false ? [...want.keys()].filter((n) => s.holds.has(n)) : []
  const maxAge = typeof p.updateCache === 'object' ? p.updateCache.maxAgeSeconds : null
  const stale = maxAge !== null && (s.cacheAgeSeconds === null || s.cacheAgeSeconds > maxAge)
  const update = stale || (p.updateCache !== undefined && p.updateCache !== false && install.length > 0)
  if (!update && !install.length && !remove.length && !hold.length && !unhold.length) return null
  return { update, install, remove, hold, unhold, allowHeld, installRecommends: p.installRecommends }
}

/**
 * Pure: a plan that installs a package the host's lists know no candidate for refreshes the lists
 * first (they may predate it: a fresh image, a point release), as an operator does after apt's
 * "Unable to locate package". A name unknown after the refresh still fails, with apt's message.
 */
export function refreshForUnknown(plan: AptPlan, candidates: ReadonlyMap<string, string>): AptPlan {
  if (plan.update || !plan.install.length) return plan
  const unknown = plan.install.map((n) => n.split('=')[0]!).filter((n) => !candidates.has(n))
  return unknown.length ? { ...plan, update: true, unknown } : plan
}

/** Pure: one line per action, for the summary. */
export function describeAptPlan(plan: AptPlan): string {
  const parts = [
    plan.update && `update lists${plan.unknown?.length ? ` (they know no ${plan.unknown.join(', ')})` : ''}`,
    plan.install.length && `install ${plan.install.join(' ')}`,
    plan.remove.length && `remove ${plan.remove.join(' ')}`,
    plan.hold.length && `hold ${plan.hold.join(' ')}`,
    plan.unhold.length && `unhold ${plan.unhold.join(' ')}`,
  ]
  return parts.filter(Boolean).join('; ')
}

const APT = sh`DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=120`

/** Pure: the commands that carry out the plan, in order. */
export function aptCommands(plan: AptPlan): ShellCommand[] {
  const cmds: ShellCommand[] = []
  if (plan.update) cmds.push(aptUpdateCommand())
  const held = plan.allowHeld ? sh`--allow-change-held-packages` : sh``
  if (plan.install.length) {
    const rec = plan.installRecommends === undefined ? sh``
      : plan.installRecommends ? sh`--install-recommends` : sh`--no-install-recommends`
    cmds.push(sh`${APT} -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold --allow-downgrades ${held} ${rec} install ${plan.install}`)
  }
  if (plan.remove.length) cmds.push(sh`${APT} ${held} remove ${plan.remove}`)
  if (plan.unhold.length) cmds.push(sh`apt-mark unhold ${plan.unhold} >/dev/null`)
  if (plan.hold.length) cmds.push(sh`apt-mark hold ${plan.hold} >/dev/null`)
  return cmds
}

/** `apt-get update` plus the stamp the dpkg fact reads the cache age from. */
export function aptUpdateCommand(): ShellCommand {
  return sh`${APT} update && mkdir -p /var/lib/apt/periodic && touch ${APT_UPDATE_STAMP}`
}

export const aptPackages = defineModule<AptPackagesParams, AptPlan>({
  name: 'aptPackages',
  async check(host, p) {
    const names = [...desiredVersions(p.names).keys()].sort()
    const state = await host.fact(dpkgPackages, { names, candidates: p.state === 'latest' })
    let plan = planPackages(p, state)
    // Something to install: does apt know it? (A second round trip, only when installing.)
    if (plan?.install.length && !plan.update) {
      plan = refreshForUnknown(plan, (p.state === 'latest' ? state : await host.fact(dpkgPackages, { names, candidates: true })).candidates)
    }
    return plan
      ? change(describeAptPlan(plan), { data: plan })
      : noChange(`${names.join(', ')}: already ${p.state ?? 'present'}${p.hold ? ' and held' : ''}`)
  },
  async apply(host, _p, plan) {
    await host.run(joinCommands(aptCommands(plan.data), ' && '))
  },
})
