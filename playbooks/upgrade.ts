/**
 * Upgrades a kubeadm cluster by one minor (or patch) release, the kubeadm way (seed 003):
 *   first master: drain → kubeadm → `kubeadm upgrade apply vX` → kubelet/kubectl → restart kubelet → uncordon
 *   other masters, one at a time: the same with `kubeadm upgrade node`
 *   workers, in batches (`upgradePlaybook({ workersSerial: 2 })`; the CLI default is 1): drain (from the first master) → kubeadm →
 *   `kubeadm upgrade node` → kubelet/kubectl → restart kubelet → uncordon
 * The target is `-e kubernetes_target=1.32.0` (or `upgradePlaybook({ target })`). A skipped minor
 * (1.31 → 1.33) or a downgrade is refused: statically from vars (`upgradePreflight`) and, before
 * anything changes anywhere, from the version the first master's kube-apiserver actually runs.
 * Every step is guarded by the node's own versions, so a rerun after success changes nothing.
 * With packageSource 'artifacts' the target release comes from its bundle (default cache directory,
 * or `-e kubernetes_target_artifacts_dir=…`; checked before any connection): its images imported on
 * every node before the first `upgrade apply`, then per node kubeadm, kubelet and kubectl uploaded.
 *
 *   npx tsx playbooks/upgrade.ts -i inventory.ts -e kubernetes_target=1.32.0
 */
import { ConfigError, flushHandlers, handler, type Handler, type HostContext, hostValue, type Inventory, type Item, main, play, type Play, playbook, type Playbook, type PreflightContext, sh, task } from 'kubeplay'
import { aptPackages, aptRepository, assertion, command, shell, systemdService } from 'kubeplay/modules'
import { artifactsPreflight, controlPlaneVersion, formatVersion, installedKubeadm, kubeconfigFile, kubeletVersion, type KubernetesParams, kubernetesRepository, type KubeVersion, mergeKubernetesSettings, nodeName, onFirstMaster, packageVersion, parseKubeVersion, retryForbidden, sameVersion, targetBundleDir, upgradeArtifactTasks, upgradeStep, vVersion } from 'kubeplay/kubernetes'

export interface UpgradeOptions {
  /** `1.32.0`; default: the `kubernetes_target` var (`-e kubernetes_target=1.32.0`). */
  readonly target?: string
  /** Workers per batch. @default 1 */
  readonly workersSerial?: number | string
  readonly kubernetes?: Partial<KubernetesParams>
}

const TAGS = ['kubernetes', 'upgrade']

function targetOf(h: HostContext, o: UpgradeOptions): KubeVersion {
  const raw = o.target ?? h.var<string | undefined>('kubernetes_target')
  const v = raw === undefined ? null : parseKubeVersion(String(raw))
  if (!v) throw new ConfigError('vars', 'kubernetes_target', 'the target release, e.g. -e kubernetes_target=1.32.0', raw === undefined ? 'nothing' : JSON.stringify(raw))
  return v
}

const settingsOf = (h: HostContext, o: UpgradeOptions): KubernetesParams => mergeKubernetesSettings(h.vars.kubernetes, o.kubernetes ?? {})

/**
 * Static check, for a preflight hook (no connection): target present and a valid one-minor step from
 * the `kubernetes.version` the vars declare. Returns the problems.
 */
export function upgradePreflight(inv: Inventory, o: UpgradeOptions = {}, ctx: PreflightContext = {}): ConfigError[] {
  const first = inv.groups.get(o.kubernetes?.mastersGroup ?? 'masters')?.hosts[0]
  const host = first ? inv.hosts.get(first) : undefined
  if (!host) return [new ConfigError(inv.source, 'groups.masters', 'at least one master', 'none')]
  try {
    const raw = o.target ?? host.vars.kubernetes_target
    const target = raw === undefined ? null : parseKubeVersion(String(raw))
    if (!target) return [new ConfigError('vars', 'kubernetes_target', 'the target release, e.g. -e kubernetes_target=1.32.0', raw === undefined ? 'nothing' : JSON.stringify(raw))]
    const settings = mergeKubernetesSettings(host.vars.kubernetes, o.kubernetes ?? {})
    const declared = parseKubeVersion(settings.version)!
    upgradeStep(declared, target, `upgrade (kubernetes.version is ${formatVersion(declared)})`)
    if (settings.packageSource !== 'artifacts' || ctx.listOnly) return []
    // The target's bundle must be there before anything is touched.
    const override = host.vars.kubernetes_target_artifacts_dir
    return artifactsPreflight({ ...settings, version: formatVersion(target), artifactsDir: targetBundleDir(formatVersion(target), typeof override === 'string' ? override : undefined) }, 'kubernetes_target')
  } catch (e) {
    if (e instanceof ConfigError) return [e]
    throw e
  }
}

/**
 * kubeadm (or, with `kubelet: true`, kubelet + kubectl) at the target version, from the package
 * source. `restart` is the node's one kubelet-restart handler: every step that needs it notifies
 * the same handler, so the kubelet restarts once per node however many steps changed.
 */
const fromApt = (h: HostContext, o: UpgradeOptions): boolean => {
  const src = settingsOf(h, o).packageSource
  return src !== 'preinstalled' && src !== 'artifacts'
}
const fromBundle = (h: HostContext, o: UpgradeOptions): boolean => settingsOf(h, o).packageSource === 'artifacts'
/** The target release's bundle (packageSource 'artifacts'): `-e kubernetes_target_artifacts_dir=…`, else its default cache directory. */
const targetDirOf = (h: HostContext, o: UpgradeOptions): string =>
  targetBundleDir(formatVersion(targetOf(h, o)), h.var<string | undefined>('kubernetes_target_artifacts_dir'))
const BUNDLE_ONLY = "packageSource is not 'artifacts'"

function toolTasks(o: UpgradeOptions, which: 'kubeadm' | 'kubelet', restart: Handler, controlPlane: boolean): Item[] {
  const apt = (h: HostContext): boolean => fromApt(h, o)
  const bundle = upgradeArtifactTasks((h) => targetDirOf(h, o), which, controlPlane, {
    tags: [...TAGS, 'packages'], when: (h) => fromBundle(h, o), whenReason: BUNDLE_ONLY, notify: which === 'kubelet' ? [restart] : undefined,
  })
  if (which === 'kubelet') {
    return [
      ...bundle,
      task('Upgrade kubelet and kubectl', aptPackages, (h) => {
        const v = packageVersion(targetOf(h, o), settingsOf(h, o).packageRevision)
        return { names: { kubelet: v, kubectl: v }, hold: true, updateCache: true }
      }, { tags: [...TAGS, 'packages'], when: apt, whenReason: "packageSource is 'preinstalled' (upgraded with kubeadm) or 'artifacts'", notify: [restart] }),
    ]
  }
  return [
    ...bundle,
    task('Point apt at the target minor', aptRepository, (h) => {
      const t = targetOf(h, o)
      const repo = kubernetesRepository(settingsOf(h, o), t)!
      return { name: 'kubernetes', uris: repo.uri, suites: '/', signedBy: repo.key }
    }, { tags: [...TAGS, 'packages'], when: apt, whenReason: "packageSource is 'preinstalled' or 'artifacts'" }),
    task('Upgrade kubeadm', aptPackages, (h) => ({
      names: { kubeadm: packageVersion(targetOf(h, o), settingsOf(h, o).packageRevision) }, hold: true, updateCache: true,
    }), { tags: [...TAGS, 'packages'], when: apt, whenReason: "packageSource is 'preinstalled' or 'artifacts'" }),
    task('Put the preinstalled tools at the target version', command, (h) => {
      const argv = settingsOf(h, o).preinstalledUpgradeArgv!.map((a) => a.split('{version}').join(formatVersion(targetOf(h, o))))
      return { argv }
    }, {
      tags: [...TAGS, 'packages'],
      when: async (h) => settingsOf(h, o).packageSource === 'preinstalled' && !!settingsOf(h, o).preinstalledUpgradeArgv && !sameVersion(await installedKubeadm(h), targetOf(h, o)),
      whenReason: 'kubeadm already at the target (or packages come from apt, or no preinstalledUpgradeArgv)',
      notify: [restart],
    }),
    task('Check kubeadm is at the target version', assertion, (h) => ({
      problem: async (x: HostContext) => {
        const have = await installedKubeadm(x)
        return x.checkMode || sameVersion(have, targetOf(x, o)) ? null
          : `expected kubeadm ${vVersion(targetOf(x, o))} before upgrading, found ${have ? vVersion(have) : 'none'}`
      },
      ok: `kubeadm at ${vVersion(targetOf(h, o))}`,
    }), { tags: TAGS }),
  ]
}

function drain(o: UpgradeOptions): Item {
  return task('Drain the node (from the first master)', onFirstMaster, (h) => ({
    masters: settingsOf(h, o).mastersGroup,
    label: 'drain {node}',
    command: (node: string) => sh`kubectl --kubeconfig=/etc/kubernetes/admin.conf drain ${node} --ignore-daemonsets --delete-emptydir-data --timeout=15m`,
    needed: async (x: HostContext) => !sameVersion(await kubeletVersion(x), targetOf(x, o)),
    doneReason: `kubelet already at ${vVersion(targetOf(h, o))}`,
  }), { tags: [...TAGS, 'drain'] })
}

/**
 * Whether the node is cordoned, asked on the first master. Read once per run and node, after the
 * drain step (never before it in the task order), so it reflects this run's drain.
 */
async function cordoned(x: HostContext, o: UpgradeOptions): Promise<boolean> {
  const name = await nodeName(x)
  const r = await x.from(hostValue(`kubernetes.unschedulable ${name}@${x.name}`, `${settingsOf(x, o).mastersGroup}[0]`,
    async (src) => (await src.exec(sh`kubectl --kubeconfig=/etc/kubernetes/admin.conf get node ${name} -o jsonpath={.spec.unschedulable}`, { become: true })).stdout.trim()))
  return r === 'true'
}

function uncordon(o: UpgradeOptions): Item {
  return task('Uncordon the node (from the first master)', onFirstMaster, (h) => ({
    masters: settingsOf(h, o).mastersGroup,
    label: 'uncordon {node}',
    command: (node: string) => retryForbidden(sh`kubectl --kubeconfig=/etc/kubernetes/admin.conf uncordon ${node}`),
    needed: async (x: HostContext) => (await cordoned(x, o)) || (x.checkMode && !sameVersion(await kubeletVersion(x), targetOf(x, o))),
    doneReason: 'node is schedulable',
  }), { tags: [...TAGS, 'uncordon'] })
}

/** The one kubelet-restart handler of the playbook, shared by its node plays (notified per host, per play). */
const restartKubelet = handler('Restart the kubelet', systemdService, { name: 'kubelet', state: 'restarted', daemonReload: true })

function nodeUpgrade(o: UpgradeOptions, kind: 'apply' | 'node', controlPlane: boolean): Item[] {
  const restart = restartKubelet
  const upgradeTask = kind === 'apply'
    ? task('Upgrade the control plane (kubeadm upgrade apply)', command, (h) => ({ argv: ['kubeadm', 'upgrade', 'apply', vVersion(targetOf(h, o)), '--yes'] }), {
      tags: [...TAGS, 'kubeadm'], timeoutMs: 30 * 60_000, notify: [restart],
      when: async (h) => !sameVersion(await controlPlaneVersion(h), targetOf(h, o)),
      whenReason: 'kube-apiserver already runs the target version',
    })
    : task('Upgrade the node (kubeadm upgrade node)', shell, { cmd: retryForbidden(sh`kubeadm upgrade node`) }, {
      tags: [...TAGS, 'kubeadm'], timeoutMs: 30 * 60_000, notify: [restart],
      // A worker has no versioned file kubeadm rewrites: it is done when its kubelet runs the target and it is back in service.
      when: async (h) => controlPlane ? !sameVersion(await controlPlaneVersion(h), targetOf(h, o))
        : !sameVersion(await kubeletVersion(h), targetOf(h, o)) || (!h.checkMode && (await cordoned(h, o))),
      whenReason: 'node already at the target version',
    })
  // Drain first on every node (seed 003's order for workers; for masters kubeadm's docs drain a little
  // later, which only shortens the window): the drain guard reads the kubelet binary's version, which
  // the tool step changes, so it must come before it.
  // kubeadm renews a control plane's certificates while upgrading it, admin.conf included: the
  // operator's copy follows, as after renew-certs.
  const kubeconfig = controlPlane
    ? [task('Refresh the operator kubeconfig', kubeconfigFile, (h) => ({ user: settingsOf(h, o).kubeconfigUser }), { tags: [...TAGS, 'kubeconfig'] })]
    : []
  // The target's images once more right before kubeadm needs them: a kubelet short of disk may have
  // collected them (unused until now) since the import play, and there is no registry to pull from.
  return [drain(o), ...toolTasks(o, 'kubeadm', restart, controlPlane), ...targetImages(o, controlPlane), upgradeTask, ...toolTasks(o, 'kubelet', restart, controlPlane), flushHandlers(['always']), ...kubeconfig, uncordon(o)]
}

function targetImages(o: UpgradeOptions, controlPlane: boolean): Item[] {
  return upgradeArtifactTasks((h) => targetDirOf(h, o), 'images', controlPlane, {
    tags: [...TAGS, 'images'], when: (h) => fromBundle(h, o), whenReason: BUNDLE_ONLY,
  })
}

export function upgradePlaybook(o: UpgradeOptions = {}): Playbook & { preflight: (inv: Inventory, ctx?: PreflightContext) => ConfigError[] } {
  const masters = o.kubernetes?.mastersGroup ?? 'masters'
  const workers = o.kubernetes?.workersGroup ?? 'workers'
  const plays: Play[] = [
    play('Check the upgrade step', {
      hosts: `${masters}[0]`,
      items: [task('Refuse a skipped minor or a downgrade', assertion, (h) => ({
        problem: async (x: HostContext) => {
          const current = await controlPlaneVersion(x)
          if (!current) return x.checkMode ? null : 'expected a control plane (kube-apiserver manifest) on the first master, found none'
          upgradeStep(current, targetOf(x, o), `${x.name} (kube-apiserver runs ${vVersion(current)})`)
          return null
        },
        ok: `one step to ${vVersion(targetOf(h, o))}`,
      }), { tags: [...TAGS, 'always'] })],
      anyErrorsFatal: true,
    }),
    // With the bundle: the target's images on every node before the first `upgrade apply`, whose
    // kube-proxy DaemonSet rolls out to every node at once (no registry to pull from here).
    play('Import the target images on the masters', { hosts: masters, items: targetImages(o, true), anyErrorsFatal: true }),
    play('Import the target images on the workers', { hosts: workers, items: targetImages(o, false), anyErrorsFatal: true }),
    play('Upgrade the first control plane', { hosts: `${masters}[0]`, items: nodeUpgrade(o, 'apply', true), anyErrorsFatal: true }),
    play('Upgrade the other control planes', { hosts: `${masters}[1:]`, serial: 1, items: nodeUpgrade(o, 'node', true), anyErrorsFatal: true }),
    play('Upgrade the workers', { hosts: workers, serial: o.workersSerial ?? 1, maxFailPercentage: 0, items: nodeUpgrade(o, 'node', false) }),
  ]
  return { ...playbook('upgrade', plays), preflight: (inv, ctx) => upgradePreflight(inv, o, ctx) }
}

export const upgrade = upgradePlaybook()

main(import.meta.url, upgrade)
