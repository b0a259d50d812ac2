/**
 * Shared setup of the Kubernetes-addon lab tests: lab3 as the only master, the TEST STAND-IN kubectl
 * installed (test/standin), a fake admin.conf, and what the stand-in was given to apply.
 */
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { parseObjects } from '../../lib/k8s/objects.ts'
import { loadInventory } from '../../lib/inventory/load.ts'
import { inventoryFromSpec } from '../../lib/inventory/resolve.ts'
import type { Inventory, InventorySpec } from '../../lib/inventory/types.ts'
import type { LabInfo } from '../../lib/lab/index.ts'
import { installStandins } from '../standin/install.ts'

export const STORE = '/var/lib/kubeplay-standin/applied'
export const ADMIN_CONF = '/etc/kubernetes/admin.conf'

/** The lab's hosts with their connection settings; lab3 is `masters`, the others `workers`. */
export async function addonInventory(l: LabInfo, source: string): Promise<Inventory> {
  const base = await loadInventory(l.inventoryPath)
  const hosts: InventorySpec['hosts'] = Object.fromEntries([...base.hosts.values()].map((h) => [h.name, {
    address: h.connection.address, port: h.connection.port, user: h.connection.user,
    keyFile: h.connection.keyFile, knownHosts: h.connection.knownHosts, connection: 'ssh' as const,
  }]))
  return inventoryFromSpec({ hosts, groups: { masters: { hosts: ['lab3'] }, workers: { hosts: ['lab1', 'lab2'] } } }, source)
}

/** Stand-ins on the host, an empty store; with `cluster`, a fake admin.conf (0600) as kubeadm leaves it. */
export async function prepareStandin(conn: Connection, o: { cluster: boolean }): Promise<void> {
  await installStandins(conn, { version: '1.31.4', nodes: ['lab3'] })
  await conn.exec(sh`rm -rf ${STORE} ${ADMIN_CONF} /etc/kubeplay/manifests /var/log/kubeplay-standin.log`)
  if (o.cluster) await fakeCluster(conn)
}

export async function fakeCluster(conn: Connection): Promise<void> {
  await conn.exec(sh`mkdir -p /etc/kubernetes`)
  await conn.writeFile(ADMIN_CONF, 'apiVersion: v1\nkind: Config\n# kubeplay TEST stand-in admin.conf\n', { mode: '0600' })
}

/** Removes everything the stand-in setup and the roles left on the host. */
export async function cleanStandin(conn: Connection, extra: readonly string[] = []): Promise<void> {
  await conn.exec(sh`rm -rf ${STORE} /etc/kubernetes /etc/kubeplay ${[...extra]} /usr/local/bin/kubectl /usr/local/bin/kubeadm /usr/local/bin/kubelet /usr/local/bin/etcdctl /usr/local/lib/kubeplay-standin /var/lib/kubeplay-standin /etc/kubeplay-standin /etc/systemd/system/kubelet.service /var/log/kubeplay-standin.log; systemctl daemon-reload`)
}

/** Every object the stand-in was given, as `kind/namespace/name` → object (later manifests win). */
export async function appliedObjects(conn: Connection): Promise<Map<string, Record<string, unknown>>> {
  const r = await conn.exec(sh`for f in $(ls -tr ${STORE} 2>/dev/null); do cat ${STORE}/"$f"; printf '\n---\n'; done`)
  const out = new Map<string, Record<string, unknown>>()
  for (const o of parseObjects(r.stdout, 'stand-in store')) out.set(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o as Record<string, unknown>)
  return out
}
