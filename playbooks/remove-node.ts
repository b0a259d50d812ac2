/**
 * Removes nodes from the cluster, as Kubespray's remove-node does: `-e node=worker3` (several:
 * `-e node=worker3,worker2`) and `-e confirm=yes`, both checked before any connection. One node at
 * a time: drained (kubectl on the first master), `kubeadm reset -f` on it (packages stay), then on
 * the first master its Node object deleted and, for a master, any etcd member left of its name or
 * peer URL removed. The first master cannot be removed (it runs the rest), and a master is not
 * removed when the etcd members left would not keep quorum (a majority of them answering): the run
 * stops before that node is touched. Run again, it finds nothing to do; a run that stopped half way
 * is finished.
 *
 *   npx tsx playbooks/remove-node.ts -i inventory.ts -e node=worker3 -e confirm=yes
 */
import { change, CommandError, ConfigError, defineModule, type HostContext, hostValue, type Inventory, main, ModuleError, noChange, play, playbook, type Playbook, sh, task } from 'kubeplay'
import { ADMIN_CONF, confirmPreflight, confirmTask, etcdctlInContainer, type EtcdMember, etcdMembers, forgetNodeValue, ipv4OrUndefined, KUBEADM_LEFTOVERS, kubeadmReset, mergeKubernetesSettings, nodeName, parseEndpointHealth, quorumAfterRemoval } from 'kubeplay/kubernetes'

const WHAT = 'remove nodes from the cluster'
const TAGS = ['kubernetes', 'remove-node']

const nodesOf = (v: unknown): string[] => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : [])

/** Static: `-e node=…` names hosts of the masters or workers group, never the first master. */
export function removeNodePreflight(inv: Inventory, masters = 'masters', workers = 'workers'): ConfigError[] {
  const first = [...inv.hosts.values()][0]
  const raw = first?.vars.node
  const names = nodesOf(raw)
  const m = inv.groups.get(masters)?.hosts ?? []
  const w = inv.groups.get(workers)?.hosts ?? []
  if (names.length === 0) return [new ConfigError('command line', 'node', '-e node=<host>[,<host>…]: the inventory hosts to remove', raw === undefined ? 'nothing' : JSON.stringify(raw))]
  return names.flatMap((n) => {
    if (n === m[0]) return [new ConfigError('command line', 'node', `a node other than the first master (${n} runs kubectl and etcd for the rest)`, n)]
    if (!m.includes(n) && !w.includes(n)) return [new ConfigError('command line', 'node', `a host of the ${masters} or ${workers} group`, n)]
    return []
  })
}

interface Removal { readonly node: string; readonly inApi: boolean; readonly members: number; readonly leftovers: boolean; readonly quorum: string | null }

/** What is left of `h` in the cluster (asked on the first master) and on the host itself. */
async function removal(h: HostContext, masters: string): Promise<Removal> {
  const node = await nodeName(h)
  const controlPlane = (h.inventory.groups.get(masters)?.hosts ?? []).includes(h.name)
  const peer = `https://${ipv4OrUndefined(h.inventory.hosts.get(h.name)!.connection.address) ?? '-'}:2380`
  const seen = await h.from(hostValue(`remove-node.state ${node}@${masters}[0]`, `${masters}[0]`, async (src) => {
    const r = await src.exec(sh`kubectl --kubeconfig=${ADMIN_CONF} --request-timeout=15s get node ${node} --ignore-not-found -o name`)
    if (r.code !== 0) throw new CommandError(src.name, 'kubectl get node', r.code, r.stdout, r.stderr)
    const all = controlPlane ? (await etcdMembers(src)) ?? [] : []
    const mine = (x: EtcdMember): boolean => x.name === node || x.peerUrls.includes(peer)
    const members = all.filter(mine).length
    // Removing a member must leave a majority of the rest answering, or etcd stops with it.
    let quorum: string | null = null
    if (members > 0) {
      const hr = await src.exec(etcdctlInContainer(['endpoint', 'health', '--cluster', '-w', 'json']))
      const q = quorumAfterRemoval(all, parseEndpointHealth(hr.stdout), mine)
      if (!q.ok) {
        quorum = `${node}: expected the etcd members left after removing it to keep quorum (${q.needed} of ${q.remaining} answering), found ${q.healthy}`
          + `${q.down.length ? ` (not answering: ${q.down.join(', ')})` : ''}: bring those back first, or remove the dead ones first`
      }
    }
    return { inApi: r.stdout.trim() !== '', members, quorum }
  }))
  const leftovers = (await h.exec(KUBEADM_LEFTOVERS)).code === 0
  return { node, ...seen, leftovers }
}

const removeFromCluster = defineModule<{ readonly masters: string }, Removal>({
  name: 'removeNode',
  async check(h, p) {
    const r = await removal(h, p.masters)
    // Before anything changes (in --check too): the drain and reset come before the member removal.
    if (r.quorum) throw new ModuleError('removeNode', r.quorum)
    const steps = [
      ...(r.inApi ? [`drain and delete Node ${r.node}`] : []),
      ...(r.leftovers ? ['kubeadm reset -f here'] : []),
      ...(r.members ? [`remove ${r.members} etcd member(s) of ${r.node}`] : []),
    ]
    return steps.length ? change(steps.join(', '), { data: r }) : noChange(`${r.node}: no Node, no etcd member, nothing of kubeadm left`)
  },
  async apply(h, p, plan) {
    const r = plan.data
    const done: string[] = []
    if (r.inApi) {
      const drain = sh`kubectl --kubeconfig=${ADMIN_CONF} drain ${r.node} --ignore-daemonsets --delete-emptydir-data --timeout=10m`
      done.push(await h.from(hostValue(`remove-node.drain ${r.node}@${p.masters}[0]`, `${p.masters}[0]`, async (src) => {
        const x = await src.exec(drain, { timeoutMs: 11 * 60_000 })
        if (x.code !== 0) throw new CommandError(src.name, drain.masked, x.code, x.stdout, x.stderr)
        return `drained ${r.node}`
      })))
    }
    if (r.leftovers) {
      const reset = kubeadmReset(mergeKubernetesSettings(h.vars.kubernetes, {}).criSocket)
      const x = await h.exec(reset, { timeoutMs: 5 * 60_000 })
      if (x.code !== 0) throw new CommandError(h.name, reset.masked, x.code, x.stdout, x.stderr)
      done.push('reset')
    }
    const controlPlane = (h.inventory.groups.get(p.masters)?.hosts ?? []).includes(h.name)
    const address = ipv4OrUndefined(h.inventory.hosts.get(h.name)!.connection.address)
    done.push(await h.from(forgetNodeValue(p.masters, r.node, controlPlane ? { peerUrl: address ? `https://${address}:2380` : undefined } : undefined)))
    return { output: done.join('; ') }
  },
})

export function removeNodePlaybook(o: { mastersGroup?: string; workersGroup?: string } = {}): Playbook {
  const masters = o.mastersGroup ?? 'masters'
  const workers = o.workersGroup ?? 'workers'
  const selected = (h: HostContext): boolean => nodesOf(h.var('node')).includes(h.name)
  return playbook('remove-node', [play('Remove nodes from the cluster, one at a time', {
    hosts: `${masters}[1:]:${workers}`,
    serial: 1,
    anyErrorsFatal: true,
    items: [
      { ...confirmTask(WHAT), when: selected, whenReason: 'not named in -e node' },
      task('Drain, reset and forget the node', removeFromCluster, { masters }, { tags: TAGS, when: selected, whenReason: 'not named in -e node' }),
    ],
  })], {
    preflight: (inv, ctx) => [...confirmPreflight(WHAT)(inv, ctx), ...removeNodePreflight(inv, masters, workers)],
  })
}

export const removeNode = removeNodePlaybook()

main(import.meta.url, removeNode)
