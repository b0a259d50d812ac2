/**
 * Defragments etcd (seed 004) one master at a time: each member's database size and the part in use
 * read first (`etcdctl endpoint status` in its etcd container); a member whose free space is at
 * least `etcd_defrag_min_free_mb` (default 16) is defragmented (`etcdctl defrag`, which blocks that
 * member while it runs: hence one at a time) and its size read again; the others are left alone.
 * Each result says the size before and after.
 *
 *   npx tsx playbooks/etcd-defrag.ts -i inventory.ts [-e etcd_defrag_min_free_mb=0]
 */
import { change, defineModule, type HostContext, main, ModuleError, noChange, play, playbook, type Playbook, task } from 'kubeplay'
import { etcdctlInContainer } from 'kubeplay/kubernetes'

export interface EtcdSize { readonly dbSize: number; readonly inUse: number }

/** Pure: `dbSize` and `dbSizeInUse` of `etcdctl endpoint status -w json` (numbers read as text: its ids overflow a JS number). */
export function parseEndpointStatus(json: string): EtcdSize | null {
  const size = /"dbSize":(\d+)/.exec(json)?.[1]
  const inUse = /"dbSizeInUse":(\d+)/.exec(json)?.[1]
  return size && inUse ? { dbSize: Number(size), inUse: Number(inUse) } : null
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`

async function sizeOf(h: HostContext): Promise<EtcdSize> {
  const r = await h.exec(etcdctlInContainer(['endpoint', 'status', '-w', 'json']))
  const s = r.code === 0 ? parseEndpointStatus(r.stdout) : null
  if (!s) throw new ModuleError('etcdDefrag', `${h.name}: etcdctl endpoint status: ${r.code === 0 ? `no dbSize/dbSizeInUse in ${JSON.stringify(r.stdout.slice(0, 200))}` : (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.code}`)}`)
  return s
}

export const etcdDefragMember = defineModule<{ readonly minFreeBytes: number }, EtcdSize>({
  name: 'etcdDefrag',
  async check(h, p) {
    const s = await sizeOf(h)
    const free = s.dbSize - s.inUse
    const now = `database ${mib(s.dbSize)}, ${mib(s.inUse)} in use`
    return free > 0 && free >= p.minFreeBytes ? change(`defragment: ${now}`, { data: s }) : noChange(`${now}: less than ${mib(Math.max(p.minFreeBytes, 1))} to free`)
  },
  async apply(h, _p, plan) {
    const r = await h.exec(etcdctlInContainer(['defrag']), { timeoutMs: 10 * 60_000 })
    if (r.code !== 0) throw new ModuleError('etcdDefrag', `${h.name}: etcdctl defrag: ${r.stderr.trim().split('\n').at(-1) ?? `exit ${r.code}`}`)
    const after = await sizeOf(h)
    return { output: `database ${mib(plan.data.dbSize)} → ${mib(after.dbSize)} (${mib(after.inUse)} in use)` }
  },
})

export function etcdDefragPlaybook(o: { mastersGroup?: string; minFreeMb?: number } = {}): Playbook {
  return playbook('etcd-defrag', [play('Defragment etcd, one member at a time', {
    hosts: o.mastersGroup ?? 'masters',
    serial: 1,
    anyErrorsFatal: true,
    items: [task('Defragment this etcd member when enough space is free', etcdDefragMember, (h) => {
      const raw = o.minFreeMb ?? h.var<unknown>('etcd_defrag_min_free_mb', 16)
      const mb = Number(raw)
      if (!Number.isFinite(mb) || mb < 0) throw new ModuleError('etcdDefrag', `etcd_defrag_min_free_mb: expected a number of MiB ≥ 0, found ${JSON.stringify(raw)}`)
      return { minFreeBytes: mb * 1024 * 1024 }
    }, { tags: ['etcd-defrag'] })],
  })])
}

export const etcdDefrag = etcdDefragPlaybook()

main(import.meta.url, etcdDefrag)
