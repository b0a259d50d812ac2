/**
 * Talking to a master's own stacked etcd (kubeadm layout) the way kubeadm does: etcdctl inside the
 * running etcd container (the image carries it, so nothing is installed on the host for this), with
 * the healthcheck-client certificate kubeadm creates for exactly that, on 127.0.0.1:2379.
 */
import { sh, type ShellCommand } from '../../lib/connection/quote.ts'
import { defineModule, noChange, type HostContext } from '../../lib/engine/module.ts'
import { ModuleError } from '../../lib/errors.ts'

export const ETCD_PKI = '/etc/kubernetes/pki/etcd'
export const ETCD_CLIENT_FLAGS = [
  '--endpoints=https://127.0.0.1:2379',
  `--cacert=${ETCD_PKI}/ca.crt`,
  `--cert=${ETCD_PKI}/healthcheck-client.crt`,
  `--key=${ETCD_PKI}/healthcheck-client.key`,
] as const

/**
 * A shell snippet: etcdctl `args` in the running etcd container. Exits 3 when no etcd container
 * runs on the host, otherwise with etcdctl's status.
 */
export function etcdctlInContainer(args: readonly string[]): ShellCommand {
  return sh`id=$(crictl ps -q --name '^etcd$' --state running 2>/dev/null | head -n1)
[ -n "$id" ] || { echo 'no running etcd container' >&2; exit 3; }
crictl exec "$id" etcdctl ${[...ETCD_CLIENT_FLAGS]} --command-timeout=10s ${[...args]}`
}

export interface EtcdMember {
  /** Hex, as etcdctl prints it (a uint64: never parse it as a JS number). */
  readonly id: string
  readonly started: boolean
  /** Empty for a member added but never started. */
  readonly name: string
  readonly peerUrls: readonly string[]
  readonly clientUrls: readonly string[]
  readonly learner: boolean
}

/** Pure: `etcdctl member list -w simple` → members (`8e9e05c52164694d, started, lab2, https://…:2380, https://…:2379, false`). */
export function parseMemberList(text: string): EtcdMember[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const [id = '', status = '', name = '', peers = '', clients = '', learner = 'false'] = l.split(',').map((x) => x.trim())
    const urls = (s: string): string[] => s.split(/\s+/).filter(Boolean)
    return { id, started: status === 'started', name, peerUrls: urls(peers), clientUrls: urls(clients), learner: learner === 'true' }
  }).filter((m) => /^[0-9a-f]+$/.test(m.id))
}

/** The members as the etcd running on `h` sees them, or null when no etcd runs there or it does not answer. */
export async function etcdMembers(h: HostContext): Promise<EtcdMember[] | null> {
  const r = await h.exec(etcdctlInContainer(['member', 'list', '-w', 'simple']))
  return r.code === 0 ? parseMemberList(r.stdout) : null
}

/** Pure: `etcdctl endpoint health --cluster -w json` → client URL → healthy (etcdctl prints every endpoint, and exits 1 when one is down). */
export function parseEndpointHealth(text: string): Map<string, boolean> {
  const out = new Map<string, boolean>()
  const start = text.indexOf('[')
  if (start < 0) return out
  try {
    for (const e of JSON.parse(text.slice(start, text.lastIndexOf(']') + 1)) as Array<{ endpoint?: string; health?: boolean }>) {
      if (typeof e.endpoint === 'string') out.set(e.endpoint, e.health === true)
    }
  } catch { /* not JSON: nothing known */ }
  return out
}

/**
 * Pure: what removing `leaving` does to quorum. The members left must still have a majority of
 * themselves answering, or etcd (and the API server with it) stops the moment the member goes.
 */
export function quorumAfterRemoval(members: readonly EtcdMember[], health: ReadonlyMap<string, boolean>, leaving: (m: EtcdMember) => boolean): { ok: boolean; remaining: number; healthy: number; needed: number; down: string[] } {
  const rest = members.filter((m) => !leaving(m))
  const up = (m: EtcdMember): boolean => m.started && m.clientUrls.some((u) => health.get(u) === true)
  const healthy = rest.filter(up).length
  const needed = Math.floor(rest.length / 2) + 1
  return { ok: rest.length > 0 && healthy >= needed, remaining: rest.length, healthy, needed, down: rest.filter((m) => !up(m)).map((m) => m.name || m.id) }
}

/** A member as its etcd static pod manifest declares it. */
export interface EtcdManifestMember { readonly name: string; readonly peerUrl: string }

/** Pure: `--name=` and `--initial-advertise-peer-urls=` of an etcd static pod manifest (null when either is missing). */
export function parseEtcdManifest(text: string): EtcdManifestMember | null {
  const flag = (f: string): string | undefined => new RegExp(`^\\s*-\\s*--${f}=(\\S+)\\s*$`, 'm').exec(text)?.[1]
  const name = flag('name')
  const peerUrl = flag('initial-advertise-peer-urls')?.split(',')[0]
  return name && peerUrl ? { name, peerUrl } : null
}

/** This master's member, from /etc/kubernetes/manifests/etcd.yaml or the same file in one of `elsewhere` (moved aside). */
export async function etcdManifestMember(h: HostContext, elsewhere: readonly string[] = []): Promise<EtcdManifestMember> {
  const paths = ['/etc/kubernetes/manifests', ...elsewhere].map((d) => `${d}/etcd.yaml`)
  for (const p of paths) {
    const b = await h.conn.readFile(p, { become: true })
    if (!b) continue
    const m = parseEtcdManifest(b.toString('utf8'))
    if (!m) throw new ModuleError('etcd', `${h.name}: ${p}: expected --name= and --initial-advertise-peer-urls= flags, found neither or one`)
    return m
  }
  throw new ModuleError('etcd', `${h.name}: no etcd manifest (${paths.join(', ')}): not a stacked-etcd master`)
}

/** Check-only: the etcd running here sees `expected` members, all started voters; shows `endpoint status`. */
export const etcdClusterCheck = defineModule<{ readonly expected: number }>({
  name: 'etcdClusterCheck',
  async check(h, p) {
    const members = await etcdMembers(h)
    if (!members) throw new ModuleError('etcd', `${h.name}: etcd does not answer member list`)
    const problems = [
      ...(members.length !== p.expected ? [`expected ${p.expected} members, found ${members.length}`] : []),
      ...members.filter((m) => !m.started || m.learner).map((m) => `member ${m.name || m.id} is ${m.learner ? 'a learner' : 'not started'}`),
    ]
    if (problems.length) throw new ModuleError('etcd', `${h.name}: ${problems.join('; ')}`)
    const status = await h.exec(etcdctlInContainer(['endpoint', 'status', '--cluster', '-w', 'table']))
    if (status.code !== 0) throw new ModuleError('etcd', `${h.name}: endpoint status --cluster failed: ${status.stderr.trim().split('\n').at(-1)}`)
    // Sorted: etcd lists members by id, and a rejoined member gets a new one.
    return noChange(`${members.length} started members (${members.map((m) => m.name).sort().join(', ')})\n${status.stdout.trimEnd()}`)
  },
  async apply() {},
})
