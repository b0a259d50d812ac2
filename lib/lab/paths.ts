/**
 * Names, paths and limits of the lab. Pure: no I/O here, so every derived name (bridge, nft table,
 * machine) can be unit-tested and stays stable across processes.
 */
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { ConfigError } from '../errors.ts'
import { validateLabName } from '../inventory/lab-name.ts'

/** Root of every lab's state and of the unpacked bases. */
export const LAB_ROOT = process.env.KUBEPLAY_LAB_ROOT ?? '/var/lib/kubeplay-lab'
/** Base rootfs tarballs survive `down --purge`. */
export const CACHE_DIR = process.env.KUBEPLAY_LAB_CACHE ?? '/var/cache/kubeplay-lab'
/** cgroup subtree (in every mounted hierarchy) that holds one cgroup per lab host. */
export const CGROUP_PARENT = 'kubeplay-lab'
export const DEFAULT_NAME = 'kubeplay'
export const MAX_HOSTS = 40

export type Distro = 'debian12' | 'ubuntu2204' | 'ubuntu2404'
export const DISTROS: readonly Distro[] = ['debian12', 'ubuntu2204', 'ubuntu2404']

export interface DistroSpec {
  readonly suite: string
  readonly mirror: string
  /** Extra debootstrap arguments before the suite. */
  readonly flags: readonly string[]
  /** debootstrap script argument after the mirror (debootstrap 1.0.128 has no `noble` script). */
  readonly script?: string
  readonly sources: string
}

const DEBIAN = 'http://deb.debian.org/debian'
const UBUNTU = 'http://deb.debian.org/ubuntu'
const ubuntuSources = (suite: string): string =>
  ['', '-updates', '-security'].map((s) => `deb [trusted=yes] ${UBUNTU} ${suite}${s} main universe\n`).join('')

export const DISTRO_SPECS: Readonly<Record<Distro, DistroSpec>> = {
  debian12: {
    suite: 'bookworm',
    mirror: DEBIAN,
    flags: [],
    sources: `deb ${DEBIAN} bookworm main\ndeb ${DEBIAN} bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n`,
  },
  // No Ubuntu keyring on a Debian machine: unsigned, trusted sources.
  ubuntu2204: { suite: 'jammy', mirror: UBUNTU, flags: ['--no-check-gpg'], sources: ubuntuSources('jammy') },
  ubuntu2404: {
    suite: 'noble', mirror: UBUNTU, flags: ['--no-check-gpg'], script: '/usr/share/debootstrap/scripts/gutsy',
    sources: ubuntuSources('noble'),
  },
}

export function parseDistro(v: string, where = 'lab'): Distro {
  if ((DISTROS as readonly string[]).includes(v)) return v as Distro
  throw new ConfigError(where, 'distro', DISTROS.join(' | '), JSON.stringify(v))
}

/** Lab names become directory, machine and interface name parts: keep them boring (the inventory layer's rule). */
export const validateName = validateLabName

const hash4 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 4)

/** Linux interface names are at most 15 bytes: `kp-<name>`, or a truncated name plus a hash. */
export function bridgeName(name: string): string {
  const plain = `kp-${name}`
  return plain.length <= 15 ? plain : `kp-${name.slice(0, 7)}-${hash4(name)}`
}

/** nft identifiers: letters, digits, underscore. */
export function nftTableName(name: string): string {
  return `kplab_${name.replace(/-/g, '_')}`
}

/** The nspawn machine name is global on the machine; the hostname inside stays `lab1`. */
export function machineName(lab: string, host: string): string {
  return `${lab}-${host}`
}

export const stateDir = (name: string): string => join(LAB_ROOT, name)
export const baseDir = (distro: Distro): string => join(LAB_ROOT, `base-${distro}`)
export const baseTarball = (distro: Distro): string => join(CACHE_DIR, `base-${distro}.tar.zst`)
export const hostDir = (name: string, host: string): string => join(stateDir(name), 'hosts', host)

export interface LabPaths {
  readonly state: string
  readonly labJson: string
  readonly netJson: string
  readonly inventory: string
  readonly knownHosts: string
  readonly sshConfig: string
  readonly key: string
  readonly becomePassword: string
  readonly hosts: string
}

export function labPaths(name: string): LabPaths {
  const s = stateDir(name)
  return {
    state: s,
    labJson: join(s, 'lab.json'),
    netJson: join(s, 'net.json'),
    inventory: join(s, 'inventory.json'),
    knownHosts: join(s, 'known_hosts'),
    sshConfig: join(s, 'ssh_config'),
    key: join(s, 'id_ed25519'),
    becomePassword: join(s, 'become-password'),
    hosts: join(s, 'hosts'),
  }
}

/** Subnet `10.250.<k>.0/24`: machine side `.1`, hosts `.11`, `.12`, … */
export const subnetOf = (k: number): string => `10.250.${k}.0/24`
export const gatewayOf = (k: number): string => `10.250.${k}.1`
export const hostAddress = (k: number, index: number): string => `10.250.${k}.${11 + index}`

/** True when `ip` (dotted quad) is inside `cidr`. */
export function inSubnet(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/')
  const toInt = (a: string): number | null => {
    const p = a.split('.')
    if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return null
    return p.reduce((acc, x) => acc * 256 + Number(x), 0)
  }
  const a = toInt(ip)
  const n = toInt(net ?? '')
  const bits = Number(bitsText)
  if (a === null || n === null || !(bits >= 0 && bits <= 32)) return false
  const size = 2 ** (32 - bits)
  return Math.floor(a / size) === Math.floor(n / size)
}
