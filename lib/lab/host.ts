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
  /** Boot it so the kubelet can run (see KUBERNETES_MODE in docs/lab.md). @default false */
  readonly kubernetes?: boolean
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
  for (const d of ['upper', 'work', 'root', 'containerd', 'srv-nfs']) mkdirSync(join(f.dir, d), { recursive: true })
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

  if (p.host.kubernetes) {
    writeKubeletShims(f.root)
    // CoreDNS refuses to start without a nameserver to forward to, and no DNS server is reachable
    // here. The host's own address: nothing listens on its port 53, so outside names fail at once
    // (connection refused) while cluster names resolve; not loopback, which CoreDNS sees as a loop.
    writeFileSync(R('etc/resolv.conf'), `# lab: no DNS server here; CoreDNS needs an upstream (queries are refused at once)\nnameserver ${p.host.address}\n`)
  }
  writeFileSync(f.runSh, supervisorScript(p.host, p.net.bridge), { mode: 0o755 })
  return pub
}

/**
 * Global kernel settings the kubelet insists on (it writes them at start and fails when it cannot).
 * They belong to the machine's kernel, shared by every host and the machine itself: the lab shows
 * the kubelet files holding the values it wants instead of changing them.
 */
export const KUBELET_SYSCTLS: Readonly<Record<string, string>> = {
  'vm.overcommit_memory': '1',
  'kernel.panic': '10',
  'kernel.panic_on_oops': '1',
}

/**
 * PID 1 of a kubernetes-mode host, run by nspawn before systemd: makes this host's own subtree of
 * each cgroup v1 controller writable (nspawn mounts them read-only; systemd and the kubelet create
 * slices there), binds the sysctl files over /proc/sys, then becomes systemd in legacy cgroup mode.
 */
export const KUBERNETES_INIT = `#!/bin/sh
# kubeplay lab: PID 1 wrapper of a kubernetes-mode host (generated)
for d in /sys/fs/cgroup/*; do
  if mountpoint -q "$d"; then mount -o remount,bind,rw "$d"; fi
done
for f in /etc/kubeplay-lab/sysctl/*; do
  [ -f "$f" ] && mount --bind "$f" "/proc/sys/$(basename "$f" | tr . /)"
done
exec /lib/systemd/systemd systemd.legacy_systemd_cgroup_controller=1 "$@"
`
export const KUBERNETES_INIT_PATH = '/usr/local/sbin/kubeplay-lab-init'

function writeKubeletShims(root: string): void {
  const dir = join(root, 'etc/kubeplay-lab/sysctl')
  mkdirSync(dir, { recursive: true })
  for (const [k, v] of Object.entries(KUBELET_SYSCTLS)) writeFileSync(join(dir, k), `${v}\n`)
  mkdirSync(join(root, 'usr/local/sbin'), { recursive: true })
  writeFileSync(join(root, KUBERNETES_INIT_PATH), KUBERNETES_INIT, { mode: 0o755 })
  chmodSync(join(root, KUBERNETES_INIT_PATH), 0o755)
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

/** cgroup v1 controller hierarchies of this machine (`/sys/fs/cgroup/memory`…), empty on pure v2. */
export function controllerHierarchies(): string[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8')
  return text.split('\n').flatMap((l) => {
    const [pre, post] = l.split(' - ')
    if (!post?.startsWith('cgroup ')) return []
    const mountPoint = pre!.split(' ')[4]!
    return mountPoint.startsWith('/sys/fs/cgroup/') && !mountPoint.endsWith('/systemd') ? [mountPoint] : []
  }).sort()
}

/**
 * cgroup directories of one host, in every hierarchy this machine mounts (v1 named, hybrid, pure
 * v2); with `controllers`, also in each v1 controller hierarchy (kubernetes-mode hosts live there).
 */
export function hostCgroups(lab: string, host: string, opts: { controllers?: boolean } = { controllers: true }): string[] {
  const sub = join(CGROUP_PARENT, lab, host)
  const out: string[] = []
  for (const h of ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified']) if (existsSync(h)) out.push(join(h, sub))
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) out.push(join('/sys/fs/cgroup', sub))
  if (opts.controllers) out.push(...controllerHierarchies().map((h) => join(h, sub)))
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
  const k8s = host.kubernetes === true
  const cgroups = hostCgroups(host.lab, host.name, { controllers: k8s })
  // kubernetes mode: cgroup v1 controllers delegated to the host (the machine's controllers are all
  // bound to v1, so a v2 view inside has none), the kernel log for the kubelet's OOM watcher, and
  // CAP_SYSLOG to read it; PID 1 is the wrapper that makes the host's cgroups writable.
  const mode = k8s
    ? `export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0   # cgroup v1 inside, with this host's controllers: the kubelet needs them`
    : `export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1   # cgroup v2 inside, like a real host; runc needs it`
  const boot = k8s
    ? `--kill-signal=SIGRTMIN+3 --bind=/dev/kmsg --capability=CAP_SYSLOG,CAP_IPC_LOCK \\
    --system-call-filter='keyctl add_key request_key bpf open_by_handle_at name_to_handle_at' ${KUBERNETES_INIT_PATH} </dev/null &`
    : `--system-call-filter='keyctl add_key request_key bpf open_by_handle_at name_to_handle_at' </dev/null &`
  return `#!/bin/bash
# kubeplay lab supervisor for ${host.lab}/${host.name} (generated)
for c in ${cgroups.map(q).join(' ')}; do
  mkdir -p "$c"
  case "$c" in /sys/fs/cgroup/cpuset/*)  # cpuset: every level needs cpus and mems before it takes a task
    d=/sys/fs/cgroup/cpuset
    IFS=/; for part in \${c#/sys/fs/cgroup/cpuset/}; do d="$d/$part"
      for k in cpuset.cpus cpuset.mems; do [ -s "$d/$k" ] || cat "\${d%/*}/$k" >"$d/$k"; done
    done; unset IFS ;;
  esac
  echo $$ >"$c/cgroup.procs"
done
${mode}
while :; do
  systemd-nspawn ${k8s ? '' : '--boot '}--register=no --keep-unit --quiet -D ${q(f.root)} -M ${q(machineName(host.lab, host.name))} \\
    --network-bridge=${q(bridge)} --resolv-conf=off --link-journal=no --console=read-only \\
    --bind=${q(join(f.dir, 'containerd'))}:/var/lib/containerd --bind=${q(join(f.dir, 'srv-nfs'))}:/srv/nfs \\
    ${boot}
  echo $! >${q(f.nspawnPid)}
  wait $!; rc=$?
  if [ "$rc" = 133 ] && [ ! -e ${q(f.stop)} ]; then echo "=== reboot ==="; continue; fi
  break
done
echo "exit rc=$rc"
`
}
