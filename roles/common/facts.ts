/**
 * Read-only probes the common role decides from: whether the host is a container, the runtime
 * state of kernel parameters, and the identity kubeadm's preflight compares across nodes.
 * Parsing is pure and unit-tested; each probe is one round trip.
 */
import { sh } from '../../lib/connection/quote.ts'
import { defineFact } from '../../lib/engine/module.ts'
import { batchCommand, parseBatch } from '../../lib/facts/batch.ts'

/** Pure: `systemd-detect-virt --container` prints `none` (exit 1) outside containers. */
export function parseContainerVirt(out: string): string | null {
  const w = out.trim().split('\n')[0]!.trim()
  return w === '' || w === 'none' ? null : w
}

/** The container technology (`systemd-nspawn`, `lxc`, `docker`…), or null on a VM or bare metal. */
export const containerVirt = defineFact<void, string | null>({
  name: 'containerVirt',
  command: () => sh`systemd-detect-virt --container 2>/dev/null || true`,
  parse: (r) => parseContainerVirt(r.stdout),
})

export interface NodeIdentity {
  readonly hostname: string
  /** Interface → MAC, loopback and all-zero addresses left out. */
  readonly macs: ReadonlyMap<string, string>
  /** Null where the firmware exposes none (containers, some clouds). */
  readonly productUuid: string | null
  readonly cpus: number
  /** MemTotal in MiB, as kubeadm counts it. */
  readonly memoryMb: number
  /** TCP ports something listens on (IPv4 and IPv6). */
  readonly listening: ReadonlySet<number>
  /** kubeadm has already run here (init or join): its own ports are in use by design. */
  readonly inCluster: boolean
}

/** Pure: /proc/net/tcp{,6} → ports in state 0A (LISTEN). */
export function parseListeningPorts(procNetTcp: string): Set<number> {
  const ports = new Set<number>()
  for (const line of procNetTcp.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f.length < 4 || f[3] !== '0A') continue
    const port = parseInt(f[1]!.split(':')[1] ?? '', 16)
    if (Number.isInteger(port)) ports.add(port)
  }
  return ports
}

/** Pure: `iface mac` lines → MACs worth comparing. */
export function parseMacs(out: string): Map<string, string> {
  const m = new Map<string, string>()
  for (const line of out.split('\n')) {
    const [iface, mac] = line.trim().split(/\s+/)
    if (iface && mac && iface !== 'lo' && !/^(00:){5}00$/.test(mac)) m.set(iface, mac.toLowerCase())
  }
  return m
}

export const nodeIdentity = defineFact<void, NodeIdentity>({
  name: 'nodeIdentity',
  // product_uuid is readable by root only
  become: true,
  command: () => batchCommand([
    sh`hostname`,
    sh`for d in /sys/class/net/*; do printf '%s %s\n' "$(basename "$d")" "$(cat "$d/address")"; done`,
    sh`cat /sys/class/dmi/id/product_uuid`,
    sh`nproc`,
    sh`awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo`,
    sh`cat /proc/net/tcp /proc/net/tcp6`,
    sh`[ -e /etc/kubernetes/kubelet.conf ] || [ -e /etc/kubernetes/manifests/kube-apiserver.yaml ]`,
  ]),
  parse: (r) => {
    const [host, macs, uuid, cpus, mem, tcp, cluster] = parseBatch(r.stdout, 7)
    return {
      hostname: host!.out.trim(),
      macs: parseMacs(macs!.out),
      productUuid: uuid!.code === 0 && uuid!.out.trim() ? uuid!.out.trim().toLowerCase() : null,
      cpus: Number(cpus!.out.trim()) || 0,
      memoryMb: Math.floor((Number(mem!.out.trim()) || 0) / 1024),
      listening: parseListeningPorts(tcp!.out),
      inCluster: cluster!.code === 0,
    }
  },
})
