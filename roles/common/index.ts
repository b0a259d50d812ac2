/**
 * Node preparation every kubeadm node needs (seeds 000, 001, 003): base packages, no swap, kernel
 * modules and parameters for bridged pod traffic, time sync, the hostname and every node in
 * /etc/hosts, then kubeadm's preflight checks as warnings or a failure. Every task reads the host
 * (facts, vars), never an earlier task's output, so any `--tags` subset runs on its own.
 */
import type { HostContext } from '../../lib/engine/module.ts'
import { handler, role, task, type Role } from '../../lib/engine/task.ts'
import { defineSettings } from '../../lib/engine/vars.ts'
import { isAddress, isHostname } from '../../lib/schema/net.ts'
import { array, boolean, enumOf, int, number, object, optional, record, refine, string, union } from '../../lib/schema/validate.ts'
import { aptPackages } from '../../lib/modules/apt-packages.ts'
import { blockInFile } from '../../lib/modules/block-in-file.ts'
import { copy } from '../../lib/modules/copy.ts'
import { file } from '../../lib/modules/file.ts'
import { swap } from '../../lib/modules/swap.ts'
import { systemdService } from '../../lib/modules/systemd-service.ts'
import { template } from '../../lib/modules/template.ts'
import { containerVirt } from './facts.ts'
import { peersOf, preflight } from './preflight.ts'
import { hostsBlock, sysctlVars, TEMPLATES } from './render.ts'
import { hostnameNow } from '../../lib/modules/hostname-now.ts'
import { kernelModules } from '../../lib/modules/kernel-modules.ts'
import { sysctlNow } from '../../lib/modules/sysctl-now.ts'

export interface CommonParams {
  /** Packages every node gets. @default ['apt-transport-https', 'ca-certificates', 'curl', 'gpg', 'conntrack', 'socat', 'ethtool'] */
  readonly packages: readonly string[]
  /** More packages, on top of `packages` (set this in group vars to keep the defaults). @default [] */
  readonly extraPackages: readonly string[]
  /** Turn swap off now and comment swap out of /etc/fstab (the kubelet refuses to start with swap). @default true */
  readonly disableSwap: boolean
  /** Kernel modules loaded now and at boot (/etc/modules-load.d/NAME.conf). nf_conntrack makes its sysctl keys exist. @default ['overlay', 'br_netfilter', 'nf_conntrack'] */
  readonly kernelModules: readonly string[]
  /** Kernel parameters persisted in `sysctlFile` and set now. @default bridge-nf-call-iptables/ip6tables=1, ip_forward=1, nf_conntrack_max=1000000 */
  readonly sysctl: Readonly<Record<string, string | number>>
  /** More kernel parameters, merged over `sysctl`. @default {} */
  readonly extraSysctl: Readonly<Record<string, string | number>>
  /** @default '/etc/sysctl.d/99-kubernetes.conf' */
  readonly sysctlFile: string
  /** Time sync daemon; skipped in containers, which use the host's clock. @default 'chrony' */
  readonly timeSync: 'chrony' | 'timesyncd' | 'off'
  /** NTP servers; empty keeps the distribution's pool. @default [] */
  readonly ntpServers: readonly string[]
  /** Set /etc/hostname and the running hostname. @default true */
  readonly manageHostname: boolean
  /** This node's hostname (a host var). @default the inventory name */
  readonly hostname?: string
  /** Inventory pattern of the cluster's nodes: their addresses go in /etc/hosts and preflight compares them. @default 'all' */
  readonly clusterGroup: string
  /** More /etc/hosts lines, as written (`'10.0.0.5 registry.lan'`). @default [] */
  readonly extraHosts: readonly string[]
  /** kubeadm preflight findings: warnings, a failed task, or not checked. @default 'warn' */
  readonly preflight: 'warn' | 'fail' | 'off'
  /** Inventory group of control-plane nodes (CPU, memory and control-plane port checks). @default 'masters' */
  readonly mastersGroup: string
  /** @default 2 */
  readonly minCpus: number
  /** @default 1700 */
  readonly minMemoryMb: number
}

export const commonDefaults: CommonParams = {
  packages: ['apt-transport-https', 'ca-certificates', 'curl', 'gpg', 'conntrack', 'socat', 'ethtool'],
  extraPackages: [],
  disableSwap: true,
  kernelModules: ['overlay', 'br_netfilter', 'nf_conntrack'],
  sysctl: {
    'net.bridge.bridge-nf-call-iptables': 1,
    'net.bridge.bridge-nf-call-ip6tables': 1,
    'net.ipv4.ip_forward': 1,
    'net.netfilter.nf_conntrack_max': 1000000,
  },
  extraSysctl: {},
  sysctlFile: '/etc/sysctl.d/99-kubernetes.conf',
  timeSync: 'chrony',
  ntpServers: [],
  manageHostname: true,
  clusterGroup: 'all',
  extraHosts: [],
  preflight: 'warn',
  mastersGroup: 'masters',
  minCpus: 2,
  minMemoryMb: 1700,
}

const sysctlMap = record(union(string(), number()))
const hostsLine = refine(string(), "an /etc/hosts line like '10.0.0.5 registry.lan'",
  (l) => !l.includes('\n') && /^\S+(\s+\S+)+$/.test(l.trim()))

export const commonVarsSchema = object({
  packages: optional(array(string())),
  extraPackages: optional(array(string())),
  disableSwap: optional(boolean()),
  kernelModules: optional(array(refine(string(), "a module name like 'br_netfilter'", (m) => /^[A-Za-z0-9_-]+$/.test(m)))),
  sysctl: optional(sysctlMap),
  extraSysctl: optional(sysctlMap),
  sysctlFile: optional(refine(string(), 'an absolute path', (p) => p.startsWith('/'))),
  timeSync: optional(enumOf(['chrony', 'timesyncd', 'off'])),
  ntpServers: optional(array(refine(string(), 'an NTP server address or host name', isAddress))),
  manageHostname: optional(boolean()),
  hostname: optional(refine(string(), 'an RFC 1123 host name', isHostname)),
  clusterGroup: optional(string()),
  extraHosts: optional(array(hostsLine)),
  preflight: optional(enumOf(['warn', 'fail', 'off'])),
  mastersGroup: optional(string()),
  minCpus: optional(int({ min: 1 })),
  minMemoryMb: optional(int({ min: 0 })),
}, { strict: true })

const TIME = {
  chrony: { pkg: 'chrony', service: 'chrony', dir: '/etc/chrony/sources.d', path: '/etc/chrony/sources.d/kubeplay.sources', src: TEMPLATES.chrony },
  timesyncd: { pkg: 'systemd-timesyncd', service: 'systemd-timesyncd', dir: '/etc/systemd/timesyncd.conf.d', path: '/etc/systemd/timesyncd.conf.d/kubeplay.conf', src: TEMPLATES.timesyncd },
} as const

const SETTINGS = defineSettings({ key: 'common', schema: commonVarsSchema, defaults: commonDefaults })

export function common(params: Partial<CommonParams> = {}): Role {
  const p = SETTINGS.params(params, 'common()')
  const s = (h: HostContext): CommonParams => SETTINGS.of(h, p)
  const time = (h: HostContext) => TIME[s(h).timeSync === 'timesyncd' ? 'timesyncd' : 'chrony']
  const packages = (h: HostContext) => [...new Set([...s(h).packages, ...s(h).extraPackages])]
  const allSysctl = (h: HostContext) => ({ ...s(h).sysctl, ...s(h).extraSysctl })
  const hostname = (h: HostContext) => s(h).hostname ?? h.name
  // skipped, never half-configured: chrony's unit refuses to start without CAP_SYS_TIME anyway
  const timeOpts = {
    tags: ['time'],
    when: async (h: HostContext) => s(h).timeSync !== 'off' && (await h.fact(containerVirt, undefined)) === null,
    whenReason: "containers use the host's clock (or common.timeSync is 'off')",
  }
  const restartTime = handler('Restart the time sync daemon', systemdService, (h) => ({ name: time(h).service, state: 'restarted' as const }))
  const hostnameOpts = { tags: ['hostname'], when: (h: HostContext) => s(h).manageHostname, whenReason: 'common.manageHostname is false' }

  return role('common', [
    task('Install base packages', aptPackages, (h) => ({ names: packages(h), updateCache: true }),
      { tags: ['packages'], when: (h) => packages(h).length > 0, whenReason: 'no packages in common.packages or common.extraPackages' }),
    task('Turn swap off now and at boot', swap, { state: 'absent' },
      { tags: ['swap'], when: (h) => s(h).disableSwap, whenReason: 'common.disableSwap is false' }),
    task('Load kernel modules now and at boot', kernelModules, (h) => ({ names: s(h).kernelModules }),
      { tags: ['modules'], when: (h) => s(h).kernelModules.length > 0, whenReason: 'common.kernelModules is empty' }),
    task('Persist kernel parameters', template, (h) => ({ path: s(h).sysctlFile, src: TEMPLATES.sysctl, vars: sysctlVars(allSysctl(h)), mode: '0644' }),
      { tags: ['sysctl'] }),
    task('Set kernel parameters now', sysctlNow, (h) => ({ values: allSysctl(h), file: s(h).sysctlFile }), { tags: ['sysctl'] }),
    task('Write /etc/hostname', copy, (h) => ({ path: '/etc/hostname', content: `${hostname(h)}\n`, mode: '0644' }), hostnameOpts),
    task('Set the running hostname', hostnameNow, (h) => ({ name: hostname(h) }), hostnameOpts),
    task('Add every cluster node to /etc/hosts', blockInFile, (h) => {
      const p = s(h)
      const b = hostsBlock(h.inventory, p.clusterGroup, p.extraHosts)
      if (b.skipped.length) h.warn(`/etc/hosts: left out ${b.skipped.join(', ')}: their inventory address is a DNS name, not an IP`)
      return { path: '/etc/hosts', block: b.block, marker: '# {mark} KUBEPLAY CLUSTER NODES', create: true, mode: '0644' }
    }, { tags: ['hosts-file'] }),
    task('Install the time sync daemon', aptPackages, (h) => ({ names: [time(h).pkg], updateCache: true }), timeOpts),
    task('Create the time sync config directory', file, (h) => ({ path: time(h).dir, state: 'directory' as const, mode: '0755' }), timeOpts),
    task('Configure NTP servers', template, (h) => ({ path: time(h).path, src: time(h).src, vars: { servers: s(h).ntpServers }, mode: '0644' }),
      { ...timeOpts, notify: [restartTime] }),
    task('Start the time sync daemon at boot', systemdService, (h) => ({ name: time(h).service, enabled: true, state: 'started' as const }), timeOpts),
    task('Run kubeadm preflight checks', preflight, (h) => {
      const p = s(h)
      return {
        severity: p.preflight === 'fail' ? 'fail' as const : 'warn' as const,
        controlPlane: h.groups.includes(p.mastersGroup),
        peers: peersOf(h, p.clusterGroup),
        minCpus: p.minCpus,
        minMemoryMb: p.minMemoryMb,
      }
    }, { tags: ['preflight'], when: (h) => s(h).preflight !== 'off', whenReason: "common.preflight is 'off'" }),
  ], { tags: [], vars: SETTINGS.vars })
}
