/**
 * kubeadm's preflight checks, run before kubeadm ever is: CPUs and memory on control-plane nodes,
 * hostname/MAC/product_uuid unique across the cluster, required ports free. Uniqueness reads the
 * other nodes' identity through `host.from` (once per run per node), so every host compares itself
 * with the same data. Findings are warnings or one failure, by `severity`; the check never writes.
 */
import { defineModule, hostValue, noChange, type HostContext } from '../../lib/engine/module.ts'
import { ModuleError } from '../../lib/errors.ts'
import { selectHosts } from '../../lib/inventory/pattern.ts'
import { nodeIdentity, type NodeIdentity } from './facts.ts'

/** kubeadm's control-plane ports: API server, kubelet, scheduler, controller-manager, etcd. */
export const CONTROL_PLANE_PORTS: readonly number[] = [6443, 10250, 10259, 10257, 2379, 2380]
export const NODE_PORTS: readonly number[] = [10250]

export interface PreflightParams {
  readonly severity: 'warn' | 'fail'
  /** This node runs the control plane: CPU, memory and control-plane port checks apply. */
  readonly controlPlane: boolean
  /** Other nodes to compare identities with (inventory names; this host is left out). */
  readonly peers: readonly string[]
  readonly minCpus: number
  readonly minMemoryMb: number
}

/** Another node's identity, or why it could not be read. */
export type PeerIdentity = { readonly name: string; readonly id: NodeIdentity } | { readonly name: string; readonly error: string }

export interface Finding {
  /** kubeadm's check name: `NumCPU`, `Mem`, `Port-6443`, `Hostname`, `MAC`, `ProductUUID`, `Peer`. */
  readonly check: string
  readonly message: string
}

/** Pure: every finding for this node, in kubeadm's order. */
export function preflightFindings(self: NodeIdentity, peers: readonly PeerIdentity[], p: Omit<PreflightParams, 'peers' | 'severity'>): Finding[] {
  const out: Finding[] = []
  if (p.controlPlane && self.cpus < p.minCpus) {
    out.push({ check: 'NumCPU', message: `${self.cpus} CPU(s) available, a control-plane node needs at least ${p.minCpus}` })
  }
  if (p.controlPlane && self.memoryMb < p.minMemoryMb) {
    out.push({ check: 'Mem', message: `${self.memoryMb} MB of RAM, a control-plane node needs at least ${p.minMemoryMb} MB` })
  }
  if (!self.inCluster) {
    for (const port of p.controlPlane ? CONTROL_PLANE_PORTS : NODE_PORTS) {
      if (self.listening.has(port)) out.push({ check: `Port-${port}`, message: `port ${port} is in use (kubeadm needs it free)` })
    }
  }
  for (const peer of peers) {
    if ('error' in peer) {
      out.push({ check: 'Peer', message: `could not read ${peer.name} to compare hostname/MAC/product_uuid: ${peer.error}` })
      continue
    }
    const o = peer.id
    if (o.hostname.toLowerCase() === self.hostname.toLowerCase()) {
      out.push({ check: 'Hostname', message: `hostname '${self.hostname}' is also ${peer.name}'s: node names must be unique` })
    }
    const theirs = new Set(o.macs.values())
    for (const [iface, mac] of self.macs) {
      if (theirs.has(mac)) out.push({ check: 'MAC', message: `MAC ${mac} (${iface}) is also on ${peer.name}: cloned VMs need new MACs` })
    }
    if (self.productUuid && self.productUuid === o.productUuid) {
      out.push({ check: 'ProductUUID', message: `product_uuid ${self.productUuid} is also ${peer.name}'s: cloned VMs need new UUIDs` })
    }
  }
  return out
}

/** Pure: the summary line for a clean run. */
export function preflightPassed(self: NodeIdentity, peers: number, controlPlane: boolean): string {
  const ports = self.inCluster ? 'ports not checked (kubeadm already ran here)' : `ports ${(controlPlane ? CONTROL_PLANE_PORTS : NODE_PORTS).join(', ')} free`
  const res = controlPlane ? `${self.cpus} CPUs, ${self.memoryMb} MB; ` : ''
  return `preflight passed: ${res}${ports}; hostname, MACs${self.productUuid ? ' and product_uuid' : ''} unique among ${peers + 1} nodes${self.productUuid ? '' : ' (no product_uuid here)'}`
}

/** One cross-host value per node: read once per run, shared by every host that compares with it. */
function peerIdentity(host: HostContext, name: string): Promise<PeerIdentity> {
  return host.from(hostValue(`common.preflight.identity:${name}`, name, (src) => src.fact(nodeIdentity, undefined)))
    .then((id) => ({ name, id }), (e: unknown) => ({ name, error: e instanceof Error ? e.message : String(e) }))
}

/** The peers of `host` in the inventory pattern `group` (this host left out). */
export function peersOf(host: HostContext, group: string): string[] {
  return selectHosts(host.inventory, group, 'common.clusterGroup').filter((n) => n !== host.name)
}

export const preflight = defineModule<PreflightParams, undefined>({
  name: 'preflight',
  async check(host, p) {
    const self = await host.fact(nodeIdentity, undefined)
    const peers = await Promise.all(p.peers.map((n) => peerIdentity(host, n)))
    const findings = preflightFindings(self, peers, p)
    if (!findings.length) return noChange(preflightPassed(self, p.peers.length, p.controlPlane))
    const lines = findings.map((f) => `[${f.check}] ${f.message}`)
    // an unreadable peer is a gap in the check, not a kubeadm failure: it only ever warns
    const errors = p.severity === 'fail' ? findings.filter((f) => f.check !== 'Peer') : []
    for (const f of findings) if (!errors.includes(f)) host.warn(`preflight [${f.check}] ${f.message}`)
    if (errors.length) {
      throw new ModuleError('preflight', `${host.name}: kubeadm would refuse this node:\n  ${errors.map((f) => `[${f.check}] ${f.message}`).join('\n  ')}\n(set common.preflight: 'warn' to go on anyway)`)
    }
    return noChange(`preflight: ${findings.length} warning(s): ${lines.join('; ')}`)
  },
  // never planned: check only reports
  async apply() {},
})
