/**
 * One lab host before boot: an overlay root over the shared base, with every per-host file written
 * into its upper layer (hostname, /etc/hosts, static IP, SSH host key, authorized_keys, the `kp`
 * become user, the modprobe shim), and the supervisor script that boots it under systemd-nspawn.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { release } from 'node:os'
import { join } from 'node:path'
import { quote } from '../connection/quote.ts'
import { run, tryRun } from './exec.ts'
import type { LabNet } from './net.ts'
import { CGROUP_PARENT, hostDir, machineName } from './paths.ts'

export const BECOME_USER = 'kp'

export interface HostPlan {
  readonly lab: string
  readonly name: string
  readonly address: string
}

export interface HostFiles {
  readonly dir: string
  readonly root: string
  readonly upper: string
  readonly runSh: string
  readonly console: string
  readonly supervisorPid: string
  readonly nspawnPid: string
  readonly stop: string
  readonly hostKey: string
}

export function hostFiles(lab: string, host: string): HostFiles {
  const dir = hostDir(lab, host)
  return {
    dir,
    root: join(dir, 'root'),
    upper: join(dir, 'upper'),
    runSh: join(dir, 'run.sh'),
    console: join(dir, 'console.log'),
    supervisorPid: join(dir, 'supervisor.pid'),
    nspawnPid: join(dir, 'nspawn.pid'),
    stop: join(dir, 'stop'),
    hostKey: join(dir, 'ssh_host_ed25519_key'),
  }
}

/** True when `path` is a mount point (reads /proc/self/mountinfo; octal escapes decoded). */
export function isMounted(path: string): boolean {
  const text = readFileSync('/proc/self/mountinfo', 'utf8')
  return text.split('\n').some((l) => (l.split(' ')[4] ?? '').replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))) === path)
}

/** Built-in modules of the machine's kernel that roles `modprobe`: a shim so modprobe succeeds. */
const BUILTIN_MODULES = [
  'net/bridge/br_netfilter', 'fs/overlayfs/overlay', 'net/bridge/bridge', 'net/netfilter/nf_conntrack',
  'net/netfilter/nf_nat', 'net/ipv4/netfilter/ip_tables', 'net/ipv4/netfilter/iptable_nat', 'net/ipv4/netfilter/iptable_filter',
  'net/netfilter/xt_conntrack', 'net/netfilter/xt_MASQUERADE', 'net/netfilter/xt_addrtype', 'net/netfilter/xt_comment',
  'net/netfilter/xt_mark', 'drivers/net/veth', 'drivers/net/vxlan', 'net/netfilter/nf_tables',
]

export interface PrepareInput {
  readonly host: HostPlan
  readonly base: string
  readonly net: LabNet
  /** `/etc/hosts` lines of every lab host and the mirror. */
  readonly hostsLines: readonly string[]
  readonly authorizedKey: string
  readonly becomePassword: string
}

/** Mounts the overlay and writes the per-host files; returns the host's public SSH host key line. */
export async function prepareHost(p: PrepareInput): Promise<string> {
  const f = hostFiles(p.host.lab, p.host.name)
  for (const d of ['upper', 'work', 'root', 'containerd']) mkdirSync(join(f.dir, d), { recursive: true })
  if (!isMounted(f.root)) {
    await run('mount', ['-t', 'overlay', `kplab-${machineName(p.host.lab, p.host.name)}`, '-o',
      `lowerdir=${p.base},upperdir=${f.upper},workdir=${join(f.dir, 'work')}`, f.root])
  }
  const R = (...parts: string[]): string => join(f.root, ...parts)
  writeFileSync(R('etc/hostname'), `${p.host.name}\n`)
  writeFileSync(R('etc/hosts'), ['127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback', ...p.hostsLines, ''].join('\n'))
  writeFileSync(R('etc/systemd/network/10-host0.network'),
    `[Match]\nName=host0\n[Network]\nAddress=${p.host.address}/24\nGateway=${p.net.gateway}\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n`)

  // The host key is made here, so the lab's known_hosts is exact and host-key checking stays strict.
  if (!existsSync(f.hostKey)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${p.host.name}`, '-f', f.hostKey])
  const pub = readFileSync(`${f.hostKey}.pub`, 'utf8').trim()
  writeFileSync(R('etc/ssh/ssh_host_ed25519_key'), readFileSync(f.hostKey), { mode: 0o600 })
  chmodSync(R('etc/ssh/ssh_host_ed25519_key'), 0o600)
  writeFileSync(R('etc/ssh/ssh_host_ed25519_key.pub'), `${pub}\n`)

  mkdirSync(R('root/.ssh'), { recursive: true, mode: 0o700 })
  chmodSync(R('root/.ssh'), 0o700)
  writeFileSync(R('root/.ssh/authorized_keys'), `${p.authorizedKey}\n`, { mode: 0o600 })

  await addBecomeUser(f.root, p.authorizedKey, p.becomePassword)

  // The machine's kernel has no loadable modules: make `modprobe <built-in>` a successful no-op.
  const kver = release()
  mkdirSync(R('lib/modules', kver), { recursive: true })
  writeFileSync(R('lib/modules', kver, 'modules.builtin'), BUILTIN_MODULES.map((m) => `kernel/${m}.ko\n`).join(''))
  await tryRun('chroot', [f.root, 'depmod', kver])

  writeFileSync(f.runSh, supervisorScript(p.host, p.net.bridge), { mode: 0o755 })
  return pub
}

/** A non-root user with password sudo, as on a real fleet: tests and roles exercise `become`. */
async function addBecomeUser(root: string, authorizedKey: string, password: string): Promise<void> {
  const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8')
  if (!passwd.split('\n').some((l) => l.startsWith(`${BECOME_USER}:`))) {
    await run('chroot', [root, 'useradd', '--create-home', '--shell', '/bin/bash', '--groups', 'sudo', BECOME_USER])
  }
  await run('chroot', [root, 'chpasswd'], { input: `${BECOME_USER}:${password}\n` })
  const entry = readFileSync(join(root, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith(`${BECOME_USER}:`))
  const [, , uid, gid] = (entry ?? '').split(':')
  const ssh = join(root, 'home', BECOME_USER, '.ssh')
  mkdirSync(ssh, { recursive: true, mode: 0o700 })
  writeFileSync(join(ssh, 'authorized_keys'), `${authorizedKey}\n`, { mode: 0o600 })
  for (const path of [ssh, join(ssh, 'authorized_keys')]) chownSync(path, Number(uid), Number(gid))
}

/** cgroup directories of one host, in every hierarchy this machine mounts (v1 named, hybrid, pure v2). */
export function hostCgroups(lab: string, host: string): string[] {
  const sub = join(CGROUP_PARENT, lab, host)
  const out: string[] = []
  for (const h of ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified']) if (existsSync(h)) out.push(join(h, sub))
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) out.push(join('/sys/fs/cgroup', sub))
  return out
}

/**
 * The supervisor: puts itself in the host's own cgroup (else every host shares nspawn's `/payload`
 * and systemd inside sees the others' processes), then boots the host, again after an in-host
 * `reboot` (nspawn exits 133) unless the stop marker exists.
 */
export function supervisorScript(host: HostPlan, bridge: string): string {
  const f = hostFiles(host.lab, host.name)
  const q = quote
  const cgroups = hostCgroups(host.lab, host.name)
  return `#!/bin/bash
# kubeplay lab supervisor for ${host.lab}/${host.name} (generated)
for c in ${cgroups.map(q).join(' ')}; do
  mkdir -p "$c" && echo $$ >"$c/cgroup.procs"
done
export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1   # cgroup v2 inside, like a real host; runc needs it
while :; do
  systemd-nspawn --boot --register=no --keep-unit --quiet -D ${q(f.root)} -M ${q(machineName(host.lab, host.name))} \\
    --network-bridge=${q(bridge)} --resolv-conf=off --link-journal=no --console=read-only \\
    --bind=${q(join(f.dir, 'containerd'))}:/var/lib/containerd \\
    --system-call-filter='keyctl add_key request_key bpf' </dev/null &
  echo $! >${q(f.nspawnPid)}
  wait $!; rc=$?
  if [ "$rc" = 133 ] && [ ! -e ${q(f.stop)} ]; then echo "=== reboot ==="; continue; fi
  break
done
echo "exit rc=$rc"
`
}
