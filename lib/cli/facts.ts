/**
 * `kubeplay facts PATTERN`: what kubeplay reads of a host before deciding anything (the facts of
 * lib/facts: distribution, architecture, the services and packages its roles manage), as JSON per
 * host, like `ansible HOST -m setup` but limited to what kubeplay uses. Read-only: a fact never
 * changes the host.
 */
import { sh } from '../connection/quote.ts'
import type { Connection } from '../connection/types.ts'
import { hostContext } from '../engine/adhoc.ts'
import { dpkgPackages } from '../facts/dpkg.ts'
import { osRelease, type OsRelease } from '../facts/os-release.ts'
import { systemdUnitState } from '../facts/systemd.ts'
import type { Inventory } from '../inventory/types.ts'

/** The services kubeplay's roles install and run. */
export const FACT_UNITS = ['containerd', 'kubelet', 'haproxy', 'keepalived', 'nfs-server'] as const
/** The packages whose versions the roles pin or check. */
export const FACT_PACKAGES = ['containerd', 'containerd.io', 'runc', 'kubeadm', 'kubelet', 'kubectl', 'haproxy', 'keepalived', 'nfs-kernel-server', 'nfs-common'] as const

export interface HostFacts {
  readonly hostname: string
  readonly os: OsRelease
  /** `uname -m`: `x86_64`, `aarch64` */
  readonly arch: string
  readonly kernel: string
  readonly cpus: number
  readonly memoryMiB: number
  /** Unit → `active`/`inactive`/`failed`…, or `not-found`. */
  readonly services: Readonly<Record<string, string>>
  /** Installed versions of the packages kubeplay manages (absent: not installed). */
  readonly packages: Readonly<Record<string, string>>
  /** Binaries installed from the offline bundle (`/usr/local/bin`), with their reported versions. */
  readonly bundleTools: Readonly<Record<string, string>>
}

/** Pure: `hostname; uname -m; uname -r; nproc; MemTotal` lines. */
export function parseBasics(stdout: string): Pick<HostFacts, 'hostname' | 'arch' | 'kernel' | 'cpus' | 'memoryMiB'> {
  const [hostname = '', arch = '', kernel = '', cpus = '0', mem = ''] = stdout.split('\n').map((l) => l.trim())
  const kb = Number(/(\d+)/.exec(mem)?.[1] ?? 0)
  return { hostname, arch, kernel, cpus: Number(cpus) || 0, memoryMiB: Math.round(kb / 1024) }
}

/** Pure: `name<TAB>version output` lines of the bundle tools that are there. */
export function parseToolVersions(stdout: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of stdout.split('\n')) {
    const [name, ...rest] = line.split('\t')
    const v = /v?\d+\.\d+\.\d+[\w.+-]*/.exec(rest.join(' '))?.[0]
    if (name && v) out[name] = v.startsWith('v') ? v : `v${v}`
  }
  return out
}

export async function gatherFacts(conn: Connection, inventory: Inventory, host: string): Promise<HostFacts> {
  const h = hostContext(conn, { inventory, vars: inventory.hosts.get(host)?.vars ?? {}, readOnly: true })
  const basics = await h.exec(sh`hostname; uname -m; uname -r; nproc; grep MemTotal /proc/meminfo`)
  const tools = await h.exec(sh`for t in kubeadm kubelet kubectl crictl; do
  [ -x /usr/local/bin/$t ] || continue
  case $t in kubeadm) v=$(/usr/local/bin/kubeadm version -o short 2>/dev/null);; kubectl) v=$(/usr/local/bin/kubectl version --client 2>/dev/null | head -n1);; *) v=$(/usr/local/bin/$t --version 2>/dev/null | head -n1);; esac
  printf '%s\\t%s\\n' "$t" "$v"
done`)
  const dpkg = await h.fact(dpkgPackages, { names: [...FACT_PACKAGES] })
  const services: Record<string, string> = {}
  for (const u of FACT_UNITS) {
    const s = await h.fact(systemdUnitState, u)
    services[u] = (s.loadState === 'loaded' ? s.activeState : s.loadState) || 'unknown (no systemd answered)'
  }
  return {
    ...parseBasics(basics.stdout),
    os: await h.fact(osRelease, undefined),
    services,
    packages: Object.fromEntries([...dpkg.installed].sort(([a], [b]) => a.localeCompare(b))),
    bundleTools: parseToolVersions(tools.stdout),
  }
}
