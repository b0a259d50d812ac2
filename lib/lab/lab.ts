/**
 * The lab's steps in order: machine packages → base → keys → network → host files → boot → wait →
 * client files. `down` undoes them from whatever is on disk, so it also cleans up after a crash.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { KubeplayError } from '../errors.ts'
import { ensureBase, ensureHostPackages, purgeBase, type Log } from './base.ts'
import { mapLimit, run } from './exec.ts'
import { BECOME_USER, hostFiles, isMounted, prepareHost } from './host.ts'
import { planLayout, type Layout } from './layout.ts'
import { withLock } from './lock.ts'
import { netDown, netUp, readNet } from './net.ts'
import {
  DEFAULT_NAME, DISTROS, LAB_ROOT, hostAddress, inSubnet, labPaths, machineName, validateName, type Distro,
} from './paths.ts'
import { bootHost, isReady, nspawnPid, powerOffHost, removeLabCgroups, stopHost, supervisorPid, waitHost } from './proc.ts'
import { readLabJson, renderInventory, renderKnownHosts, renderSshConfig, type ClientHost, type LabInfo } from './state.ts'

export interface LabUpOptions {
  /** Lab name; several labs can run at once. @default 'kubeplay' */
  readonly name?: string
  /** Host count for `flat`. @default 3 (seed001: always 7) */
  readonly hosts?: number
  /** @default 'debian12' */
  readonly distro?: Distro
  /** @default 'flat' */
  readonly layout?: Layout
  /** Progress lines (default: silent). */
  readonly log?: Log
  /** Per-host boot timeout. @default 240000 */
  readonly bootTimeoutMs?: number
  /**
   * Hosts that can run the kubelet: cgroup v1 controllers delegated, /dev/kmsg, the kubelet's
   * sysctls shown as set (docs/lab.md, "Kubernetes mode"). @default false
   */
  readonly kubernetes?: boolean
}

export interface LabDownOptions {
  /** @default 'kubeplay' */
  readonly name?: string
  /** Every lab on this machine. */
  readonly allLabs?: boolean
  /** Also remove unpacked bases no remaining lab uses (the cache tarballs stay). */
  readonly purge?: boolean
  readonly log?: Log
}

const quiet: Log = () => {}

const INOTIFY_INSTANCES = '/proc/sys/fs/inotify/max_user_instances'
/** Every host's systemd holds inotify instances; the kernel default (128 per user, all root here)
 * runs out at about six labs ("Too many open files"). Raised, never lowered, not restored. */
function raiseInotifyLimit(log: Log, want = 1024): void {
  try {
    const now = Number(readFileSync(INOTIFY_INSTANCES, 'utf8'))
    if (now < want) { writeFileSync(INOTIFY_INSTANCES, `${want}\n`); log(`fs.inotify.max_user_instances ${now} → ${want}`) }
  } catch { /* not writable here: the hosts still boot, only fewer of them at once */ }
}

/** The running lab's info; null when it is not up (no lab.json or no bridge). */
export function labInfo(name: string): LabInfo | null {
  const info = readLabJson(labPaths(validateName(name)).labJson)
  if (!info || !existsSync(`/sys/class/net/${info.bridge}`)) return null
  return info
}

export function labInventoryPath(name: string): string {
  return labPaths(validateName(name)).inventory
}

/** Names of every lab with state on this machine, up or half-torn-down. */
export function labNames(): string[] {
  if (!existsSync(LAB_ROOT)) return []
  return readdirSync(LAB_ROOT, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !/^(base-|debootstrap-|locks$)/.test(e.name))
    .filter((e) => ['lab.json', 'net.json', 'hosts'].some((f) => existsSync(join(LAB_ROOT, e.name, f))))
    .map((e) => e.name)
}

export async function labUp(opts: LabUpOptions = {}): Promise<LabInfo> {
  const name = validateName(opts.name ?? DEFAULT_NAME)
  const distro = opts.distro ?? 'debian12'
  if (!DISTROS.includes(distro)) throw new KubeplayError(`lab ${name}: distro: expected ${DISTROS.join(' | ')}, found ${distro}`)
  const layout = opts.layout ?? 'flat'
  const plan = planLayout(layout, opts.hosts)
  const log = opts.log ?? quiet
  return withLock(`lab-${name}`, async () => {
    const existing = readLabJson(labPaths(name).labJson)
    if (existing) {
      const same = existing.distro === distro && existing.layout === layout && (existing.kubernetes ?? false) === (opts.kubernetes ?? false) &&
        existing.hosts.map((h) => h.name).join() === plan.hosts.map((h) => h.name).join()
      if (same && (await healthy(existing))) {
        log(`lab ${name} already up (${existing.hosts.length} hosts, reachable)`)
        return refreshPids(existing)
      }
      log(same ? `lab ${name} is up but not healthy: recreating` : `lab ${name} is up with another shape: recreating`)
    }
    if (labNames().includes(name)) await downUnlocked(name, log)
    try {
      return await upUnlocked(name, distro, plan, opts.bootTimeoutMs ?? 240_000, opts.kubernetes ?? false, log)
    } catch (e) {
      log(`lab ${name}: up failed, tearing down`)
      await downUnlocked(name, log).catch(() => {})
      throw e
    }
  })
}

async function upUnlocked(name: string, distro: Distro, plan: ReturnType<typeof planLayout>, bootTimeoutMs: number, kubernetes: boolean, log: Log): Promise<LabInfo> {
  const paths = labPaths(name)
  await ensureHostPackages(log)
  const base = await ensureBase(distro, log)
  log(`base ${distro} ready`)
  mkdirSync(paths.hosts, { recursive: true })
  if (!existsSync(paths.key)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `kubeplay-lab-${name}`, '-f', paths.key])
  const authorizedKey = readFileSync(`${paths.key}.pub`, 'utf8').trim()
  const becomePassword = randomBytes(18).toString('base64url')
  writeFileSync(paths.becomePassword, becomePassword, { mode: 0o600 })
  chmodSync(paths.becomePassword, 0o600)

  raiseInotifyLimit(log)
  const net = await netUp(name)
  log(`network ${net.subnet} on ${net.bridge}, nft table ${net.nftTable}`)
  const hosts = plan.hosts.map((h, i) => ({ ...h, lab: name, address: hostAddress(net.k, i), kubernetes }))
  const hostsLines = [`${net.mirrors[0]} deb.debian.org`, ...hosts.map((h) => `${h.address} ${h.name}`)]
  const keys = await mapLimit(hosts, 4, (h) => prepareHost({ host: h, base, net, hostsLines, authorizedKey, becomePassword }))
  const client: ClientHost[] = hosts.map((h, i) => ({ name: h.name, address: h.address, hostKey: keys[i]! }))
  writeFileSync(paths.knownHosts, renderKnownHosts(client))
  writeFileSync(paths.sshConfig, renderSshConfig(client, paths))
  writeFileSync(paths.inventory, JSON.stringify(renderInventory(name, plan, client, paths, BECOME_USER, kubernetes), null, 2) + '\n')
  log(`${hosts.length} hosts prepared; booting`)

  const supervisors = hosts.map((h) => bootHost(name, h.name))
  const t0 = Date.now()
  await Promise.all(hosts.map((h) => waitHost(name, h.name, { address: h.address, keyFile: paths.key, knownHosts: paths.knownHosts }, bootTimeoutMs)))
  log(`${hosts.length} hosts up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ssh -F ${paths.sshConfig} ${hosts[0]!.name}`)

  const info: LabInfo = {
    name, distro, layout: plan.layout, kubernetes, bridge: net.bridge, subnet: net.subnet, nftTable: net.nftTable,
    stateDir: paths.state, inventoryPath: paths.inventory, knownHostsPath: paths.knownHosts, sshConfigPath: paths.sshConfig,
    keyPath: paths.key, becomeUser: BECOME_USER, becomePasswordPath: paths.becomePassword,
    hosts: hosts.map((h, i) => ({
      name: h.name, address: h.address, groups: h.groups, machine: machineName(name, h.name),
      supervisorPid: supervisors[i]!, nspawnPid: nspawnPid(name, h.name) ?? 0,
    })),
  }
  writeFileSync(paths.labJson, JSON.stringify(info, null, 2) + '\n')
  return info
}

/**
 * One host of a running lab powered off (clean shutdown, disk kept) or on again (booted from the same
 * disk, waited for until systemd runs): a master lost and back, for failover tests.
 */
export async function labPower(name: string, host: string, state: 'off' | 'on', opts: { log?: Log; bootTimeoutMs?: number } = {}): Promise<LabInfo> {
  const log = opts.log ?? quiet
  return withLock(`lab-${name}`, async () => {
    const info = readLabJson(labPaths(name).labJson)
    const h = info?.hosts.find((x) => x.name === host)
    if (!info || !h) throw new KubeplayError(`lab ${name}: no host ${host}${info ? ` (hosts: ${info.hosts.map((x) => x.name).join(', ')})` : ' (lab not up)'}`)
    if (state === 'off') {
      await powerOffHost(name, host)
      log(`${host} powered off`)
    } else if (supervisorPid(name, host)) {
      log(`${host} is already on`)
    } else {
      if (!isMounted(hostFiles(name, host).root)) throw new KubeplayError(`lab ${name}: ${host}'s disk is not mounted; recreate the lab (down, then up)`)
      bootHost(name, host)
      await waitHost(name, host, { address: h.address, keyFile: info.keyPath, knownHosts: info.knownHostsPath }, opts.bootTimeoutMs ?? 240_000)
      log(`${host} powered on`)
    }
    return refreshPids(info)
  })
}

async function healthy(info: LabInfo): Promise<boolean> {
  if (!existsSync(`/sys/class/net/${info.bridge}`)) return false
  if (info.hosts.some((h) => !supervisorPid(info.name, h.name))) return false
  const ok = await Promise.all(info.hosts.map((h) => isReady({ address: h.address, keyFile: info.keyPath, knownHosts: info.knownHostsPath })))
  return ok.every(Boolean)
}

/** nspawn pids change when a host reboots: re-read them. */
function refreshPids(info: LabInfo): LabInfo {
  const next = { ...info, hosts: info.hosts.map((h) => ({ ...h, supervisorPid: supervisorPid(info.name, h.name) ?? 0, nspawnPid: nspawnPid(info.name, h.name) ?? 0 })) }
  writeFileSync(labPaths(info.name).labJson, JSON.stringify(next, null, 2) + '\n')
  return next
}

/** Stops and removes labs. Safe to run twice and after a crash. */
export async function labDown(opts: LabDownOptions = {}): Promise<string[]> {
  const log = opts.log ?? quiet
  const names = opts.allLabs ? labNames() : [validateName(opts.name ?? DEFAULT_NAME)]
  for (const n of names) await withLock(`lab-${n}`, () => downUnlocked(n, log))
  if (opts.purge) {
    const inUse = new Set(labNames().map((n) => readLabJson(labPaths(n).labJson)?.distro))
    for (const d of DISTROS) if (!inUse.has(d)) purgeBase(d)
    log('unpacked bases removed (cache tarballs kept)')
  }
  return names
}

async function downUnlocked(name: string, log: Log): Promise<void> {
  const paths = labPaths(name)
  const hosts = existsSync(paths.hosts) ? readdirSync(paths.hosts) : []
  await Promise.all(hosts.map((h) => stopHost(name, h)))
  removeLabCgroups(name)
  const stillMounted = hosts.filter((h) => isMounted(hostFiles(name, h).root))
  if (stillMounted.length) throw new KubeplayError(`lab ${name}: overlay still mounted for ${stillMounted.join(', ')}; not removing state`)
  await netDown(name, readNet(name))
  rmSync(paths.state, { recursive: true, force: true })
  if (hosts.length || existsSync(paths.state)) log(`lab ${name} down`)
}

/**
 * Throws unless `ip` is inside the subnet of a running lab whose bridge exists and through which
 * the machine routes it: tests connect only to loopback or to their own lab hosts, and a lab
 * address must never route off the machine.
 */
export function assertLabAddress(ip: string): void {
  for (const n of labNames()) {
    const info = readLabJson(labPaths(n).labJson)
    if (!info || !inSubnet(ip, info.subnet)) continue
    if (!existsSync(`/sys/class/net/${info.bridge}`)) throw new KubeplayError(`${ip}: lab ${n} has no bridge ${info.bridge}: refusing to connect`)
    const route = execFileSync('ip', ['-4', 'route', 'get', ip], { encoding: 'utf8' })
    if (!new RegExp(`\\bdev ${info.bridge}\\b`).test(route)) {
      throw new KubeplayError(`${ip}: expected a route via lab bridge ${info.bridge}, found: ${route.trim()}`)
    }
    return
  }
  throw new KubeplayError(`${ip}: not an address of a running kubeplay lab: refusing to connect`)
}
