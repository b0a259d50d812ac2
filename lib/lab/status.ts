/** What `status` reports: per host up/down, pids, memory and upper-layer size, read from /proc and disk. */
import { existsSync, readdirSync } from 'node:fs'
import { labNames } from './lab.ts'
import { labPaths, validateName } from './paths.ts'
import { readNet } from './net.ts'
import { hostPssMiB, nspawnPid, supervisorPid, upperBytes } from './proc.ts'
import { readLabJson } from './state.ts'

export interface HostStatus {
  readonly name: string
  readonly address: string | null
  readonly up: boolean
  readonly supervisorPid: number | null
  readonly nspawnPid: number | null
  readonly pssMiB: number
  readonly upperBytes: number
}

export interface LabStatus {
  readonly name: string
  readonly distro: string | null
  readonly bridge: string | null
  readonly subnet: string | null
  /** Bridge present and lab.json written. */
  readonly up: boolean
  readonly hosts: readonly HostStatus[]
}

/** Status of one lab; null when it has no state on this machine. */
export function labStatus(name: string): LabStatus | null {
  const paths = labPaths(validateName(name))
  if (!existsSync(paths.state)) return null
  const info = readLabJson(paths.labJson)
  const net = readNet(name)
  const names = existsSync(paths.hosts) ? readdirSync(paths.hosts).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })) : []
  const hosts = names.map((h): HostStatus => {
    const sp = supervisorPid(name, h)
    const np = nspawnPid(name, h)
    return {
      name: h,
      address: info?.hosts.find((x) => x.name === h)?.address ?? null,
      // An nspawn whose supervisor died (crash) still runs the host: report it, `down` stops it.
      up: sp !== null || np !== null,
      supervisorPid: sp,
      nspawnPid: np,
      pssMiB: sp || np ? hostPssMiB(name, h) : 0,
      upperBytes: upperBytes(name, h),
    }
  })
  const bridge = info?.bridge ?? net?.bridge ?? null
  return {
    name, distro: info?.distro ?? null, bridge, subnet: info?.subnet ?? net?.subnet ?? null,
    up: info !== null && bridge !== null && existsSync(`/sys/class/net/${bridge}`), hosts,
  }
}

/** Status of every lab on the machine. */
export function allLabStatus(): LabStatus[] {
  return labNames().map(labStatus).filter((s): s is LabStatus => s !== null)
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)}MiB`

/** Human-readable lines, one per lab and one per host. */
export function formatStatus(s: LabStatus): string {
  const head = `${s.name}: ${s.up ? 'up' : 'down'} distro=${s.distro ?? '?'} bridge=${s.bridge ?? '-'} subnet=${s.subnet ?? '-'}`
  const hosts = s.hosts.map((h) => h.up
    ? `  ${h.name} ${h.address ?? ''} up supervisor=${h.supervisorPid ?? '-(dead)'} nspawn=${h.nspawnPid ?? '-'} pss=${h.pssMiB}MiB upper=${mib(h.upperBytes)}`
    : `  ${h.name} ${h.address ?? ''} down upper=${mib(h.upperBytes)}`)
  return [head, ...hosts].join('\n')
}
