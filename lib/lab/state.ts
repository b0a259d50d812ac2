/**
 * What a lab leaves in its state dir for its users: `lab.json` (the LabInfo), `inventory.json`
 * (an InventorySpec), an exact `known_hosts`, an `ssh_config` for humans. Rendering is pure.
 */
import { readFileSync } from 'node:fs'
import type { InventorySpec } from '../inventory/types.ts'
import type { LayoutPlan, Layout } from './layout.ts'
import type { Distro, LabPaths } from './paths.ts'

export interface LabHostInfo {
  readonly name: string
  readonly address: string
  /** Direct groups of the host. */
  readonly groups: readonly string[]
  /** nspawn machine name (unique on the machine). */
  readonly machine: string
  readonly supervisorPid: number
  readonly nspawnPid: number
}

export interface LabInfo {
  readonly name: string
  readonly distro: Distro
  readonly layout: Layout
  /** Hosts booted to run the kubelet (`--kubernetes`). */
  readonly kubernetes?: boolean
  readonly bridge: string
  readonly subnet: string
  readonly nftTable: string
  readonly stateDir: string
  readonly inventoryPath: string
  readonly knownHostsPath: string
  readonly sshConfigPath: string
  readonly keyPath: string
  readonly becomeUser: 'kp'
  readonly becomePasswordPath: string
  readonly hosts: readonly LabHostInfo[]
}

/** The kubelet settings of lab nodes (kind's): no image collection or eviction driven by the shared disk. */
export const LAB_KUBELET = {
  imageGCHighThresholdPercent: 100,
  evictionHard: { 'nodefs.available': '0%', 'nodefs.inodesFree': '0%', 'imagefs.available': '0%' },
} as const

/** Reads `lab.json`; null when absent or unreadable. */
export function readLabJson(path: string): LabInfo | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LabInfo
  } catch {
    return null
  }
}

export interface ClientHost {
  readonly name: string
  readonly address: string
  /** `ssh-ed25519 AAAA… comment` */
  readonly hostKey: string
}

/** One line per address and per name, so both `ssh 10.250.k.11` and `HostKeyAlias lab1` verify. */
export function renderKnownHosts(hosts: readonly ClientHost[]): string {
  const lines: string[] = []
  for (const h of hosts) {
    const key = h.hostKey.split(/\s+/).slice(0, 2).join(' ')
    lines.push(`${h.address} ${key}`, `${h.name} ${key}`)
  }
  return lines.join('\n') + '\n'
}

export function renderSshConfig(hosts: readonly ClientHost[], paths: LabPaths): string {
  const per = hosts.map((h) => `Host ${h.name}\n  HostName ${h.address}\n`).join('')
  return `# kubeplay lab: ssh -F ${paths.sshConfig} lab1
${per}
Host *
  User root
  IdentityFile ${paths.key}
  IdentitiesOnly yes
  BatchMode yes
  StrictHostKeyChecking yes
  UserKnownHostsFile ${paths.knownHosts}
  GlobalKnownHostsFile /dev/null
  LogLevel ERROR
`
}

/** The lab's MetalLB range: .200-.219 of the hosts' /24. */
export function labMetallbRange(hosts: readonly Pick<ClientHost, 'address'>[]): string {
  const net = hosts[0]!.address.split('.').slice(0, 3).join('.')
  return `${net}.200-${net}.219`
}

/**
 * The lab's NFS settings: this machine's kernel has no nfsd and no NFS client, so NFS-Ganesha serves
 * the share from user space (each host's /srv/nfs is an ext4 bind mount, as its VFS backend needs);
 * the clients' fstab entries are written, not mounted.
 */
export function labNfs(): Record<string, unknown> {
  return { serverSoftware: 'ganesha', graceless: true, mountState: 'present' }
}

export function renderInventory(lab: string, plan: LayoutPlan, hosts: readonly ClientHost[], paths: LabPaths, becomeUser: string, kubernetes = false): InventorySpec {
  const conn = { port: 22, user: 'root', keyFile: paths.key, knownHosts: paths.knownHosts }
  return {
    defaults: conn,
    hosts: Object.fromEntries(hosts.map((h) => [h.name, {
      address: h.address,
      ...conn,
      vars: { lab_become_user: becomeUser },
    }])),
    groups: plan.groups,
    vars: {
      lab_name: lab,
      lab_become_password_file: paths.becomePassword,
      nfs: labNfs(),
      ...(kubernetes ? {
        // No package repository or registry is reachable from here: Kubernetes comes from the offline
        // bundle (`npm run bundle`). Hosts are containers sharing the machine's kernel: kube-proxy
        // must leave the global conntrack table size alone (read-only in a network namespace).
        // (containerd's restrictOomScoreAdj 'auto' sees the missing CAP_SYS_RESOURCE by itself.)
        // Their disk is this machine's: a kubelet that sees it filling would collect the images
        // imported from the bundle (nothing to pull them back from) and evict pods for space the
        // lab does not use; disk-driven collection and eviction are off, as kind does.
        kubernetes: { packageSource: 'artifacts', kubeProxyConntrackMaxPerCore: 0, kubelet: LAB_KUBELET },
        // Seed 001's L2 pool, on the lab bridge's own /24, clear of the hosts (.11 upwards).
        metallb: { pools: [{ name: 'lab-pool', addresses: [labMetallbRange(hosts)] }] },
        // The monitoring stack the bundle can carry: Grafana and kube-state-metrics have no image here.
        prometheus: { grafana: false, kubeStateMetrics: false },
      } : {
        // Hosts without the kubelet's cgroups: the Kubernetes roles are tested with stand-ins here.
        kubernetes: { packageSource: 'preinstalled' },
      }),
    },
  }
}
