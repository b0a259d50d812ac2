/**
 * An etcd snapshot on the first master (seed 001's etcdctl flags), the newest `retention` snapshots
 * kept there, and a copy on the controller under `backups/<host>/` (read over the connection,
 * written to a temp file and renamed: a half-copied snapshot never has the final name).
 *
 *   npx tsx playbooks/etcd-backup.ts -i inventory.ts [-e etcd_backup_retention=7] [-e etcd_backup_dir=backups]
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { change, CommandError, defineModule, main, ModuleError, noChange, play, playbook, type Playbook, sh, task } from 'kubeplay'
import { aptPackages } from 'kubeplay/modules'
import { commandPath } from 'kubeplay/kubernetes'

export const ETCD_SNAPSHOT_DIR = '/var/backups/etcd'
export const ETCDCTL_FLAGS = [
  '--endpoints=https://127.0.0.1:2379',
  '--cacert=/etc/kubernetes/pki/etcd/ca.crt',
  '--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt',
  '--key=/etc/kubernetes/pki/etcd/healthcheck-client.key',
] as const

export interface EtcdBackupOptions {
  /** Snapshots kept on the master and on the controller. @default the `etcd_backup_retention` var, else 7 */
  readonly retention?: number
  /** Controller directory. @default the `etcd_backup_dir` var, else 'backups' */
  readonly localDir?: string
  /** @default 'masters' */
  readonly mastersGroup?: string
}

/** Pure: the snapshot file name for a time (sortable: oldest first). */
export function snapshotName(at: Date): string {
  return `etcd-snapshot-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.db`
}

/** Pure: the snapshot names to delete so that `keep` remain (names sort by time). */
export function pruneList(names: readonly string[], keep: number): string[] {
  const snaps = names.filter((n) => /^etcd-snapshot-\d{8}T\d{6}Z\.db$/.test(n)).sort()
  return snaps.slice(0, Math.max(0, snaps.length - keep))
}

const retentionOf = (v: unknown, o: EtcdBackupOptions): number => {
  const n = o.retention ?? Number(v ?? 7)
  if (!Number.isInteger(n) || n < 1) throw new ModuleError('etcdBackup', `etcd_backup_retention: expected a whole number ≥ 1, found ${JSON.stringify(v)}`)
  return n
}

/** Takes a snapshot (always a change: a backup is a new file), prunes old ones, copies it home. */
export const etcdSnapshot = defineModule<{ retention: number; localDir: string }, string>({
  name: 'etcdSnapshot',
  async check(host) {
    const r = await host.exec(sh`test -f /etc/kubernetes/pki/etcd/healthcheck-client.crt`, { become: true })
    if (r.code !== 0 && !host.checkMode) throw new ModuleError('etcdSnapshot', `${host.name}: expected a stacked etcd (no /etc/kubernetes/pki/etcd/healthcheck-client.crt)`)
    const name = snapshotName(new Date())
    return change(`snapshot etcd to ${ETCD_SNAPSHOT_DIR}/${name} and copy it to the controller`, { data: name })
  },
  async apply(host, p, plan) {
    const remote = `${ETCD_SNAPSHOT_DIR}/${plan.data}`
    const save = sh`mkdir -p -m 0700 ${ETCD_SNAPSHOT_DIR} && ETCDCTL_API=3 etcdctl snapshot save ${remote} ${[...ETCDCTL_FLAGS]}`
    const r = await host.exec(save, { become: true, timeoutMs: 10 * 60_000 })
    if (r.code !== 0) throw new CommandError(host.name, save.masked, r.code, r.stdout, r.stderr)
    const listed = (await host.run(sh`ls -1 ${ETCD_SNAPSHOT_DIR}`, { become: true })).stdout.split('\n').filter(Boolean)
    const old = pruneList(listed, p.retention)
    if (old.length) await host.run(sh`cd ${ETCD_SNAPSHOT_DIR} && rm -f -- ${old}`, { become: true })
    const bytes = await host.conn.readFile(remote, { become: true })
    if (!bytes) throw new ModuleError('etcdSnapshot', `${host.name}: ${remote} vanished after etcdctl wrote it`)
    const dir = resolve(p.localDir, host.name)
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const tmp = join(dir, `.${plan.data}.${process.pid}.tmp`)
    writeFileSync(tmp, bytes, { mode: 0o600 })
    renameSync(tmp, join(dir, plan.data))
    for (const n of pruneList(readdirSync(dir), p.retention)) rmSync(join(dir, n), { force: true })
    const sha = createHash('sha256').update(bytes).digest('hex').slice(0, 16)
    return { output: `${join(dir, plan.data)} (${bytes.length} bytes, sha256 ${sha}…); pruned ${old.length} on the host` }
  },
})

/** etcdctl is not part of the kubeadm packages; Debian's etcd-client provides it. */
const etcdctlMissing = defineModule<Record<string, never>>({
  name: 'etcdctlPresent',
  async check(host) {
    const path = await host.fact(commandPath, 'etcdctl')
    return path ? noChange(`etcdctl at ${path}`) : change('etcdctl missing')
  },
  async apply() {},
})

export function etcdBackupPlaybook(o: EtcdBackupOptions = {}): Playbook {
  const masters = o.mastersGroup ?? 'masters'
  return playbook('etcd-backup', [play('Back up etcd', {
    hosts: `${masters}[0]`,
    items: [
      task('Look for etcdctl', etcdctlMissing, {}, { tags: ['etcd-backup'] }),
      task('Install etcdctl (etcd-client)', aptPackages, { names: ['etcd-client'] }, {
        tags: ['etcd-backup'],
        when: async (h) => (await h.fact(commandPath, 'etcdctl')) === null,
        whenReason: 'etcdctl is already installed',
      }),
      task('Snapshot etcd and copy it to the controller', etcdSnapshot, (h) => ({
        retention: retentionOf(h.var('etcd_backup_retention'), o),
        localDir: o.localDir ?? h.var<string>('etcd_backup_dir', 'backups'),
      }), { tags: ['etcd-backup'] }),
    ],
  })])
}

export const etcdBackup = etcdBackupPlaybook()

main(import.meta.url, etcdBackup)
