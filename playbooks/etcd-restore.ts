/**
 * Restores a stacked etcd (kubeadm layout) from one snapshot on every master, the upstream way
 * (etcd's disaster-recovery guide, kubeadm's "restoring an etcd cluster"): destructive, so it
 * refuses to start without `-e confirm=yes`.
 *
 * 1. Every master: the snapshot (a path on the first master) copied to the same path (sha256
 *    checked), and the control plane stopped (static pod manifests moved aside, containers gone).
 *    Only when every API server and etcd is down does anything get restored.
 * 2. Every master: its data dir kept as /var/lib/etcd.before-restore-<time>, then `etcdutl snapshot
 *    restore` (etcdctl on etcd < 3.5) with the member's own name and peer URL (read from its etcd
 *    manifest) and the whole initial cluster: one new cluster, the same revision history everywhere.
 * 3. Every master: the manifests back, then a wait until its etcd and API server are healthy.
 * 4. The first master: etcd shows one member per master, all started (`member list`, `endpoint status`).
 *
 * A run that failed half way is finished by running it again (same -e values): stopped masters stay
 * stopped until every one is restored, then all start.
 *
 *   npx tsx playbooks/etcd-restore.ts -i inventory.ts -e confirm=yes -e etcd_snapshot=/var/backups/etcd/etcd-snapshot-….db
 */
import { change, CommandError, defineModule, type HostContext, hostValue, type HostValue, main, ModuleError, noChange, play, playbook, type Playbook, sh, task } from 'kubeplay'
import { shell } from 'kubeplay/modules'
import { fileSha256 } from 'kubeplay/facts'
import { confirmPreflight, confirmTask, etcdClusterCheck, type EtcdManifestMember, etcdManifestMember, startStaticPods, stopStaticPods, waitControlPlane } from 'kubeplay/kubernetes'

const TAGS = ['etcd-restore']
const ASIDE = '/etc/kubernetes/manifests.kubeplay-stopped'
const WHAT = 'replace the cluster state with a snapshot'

function snapshotOf(h: HostContext): string {
  const snap = h.var<string | undefined>('etcd_snapshot')
  if (typeof snap !== 'string' || !snap.startsWith('/')) {
    throw new ModuleError('etcdRestore', `etcd_snapshot: expected an absolute path on the first master (-e etcd_snapshot=/var/backups/etcd/….db), found ${JSON.stringify(snap)}`)
  }
  return snap
}

/** The snapshot as the first master has it: checked with `snapshot status`, its sha256 and bytes. */
function sourceSnapshot(masters: string, path: string): HostValue<{ sha256: string; bytes: Buffer }> {
  return hostValue(`etcd-restore.snapshot ${path}@${masters}[0]`, `${masters}[0]`, async (src) => {
    const status = sh`test -f ${path} || { echo "no file ${path}" >&2; exit 1; }
if command -v etcdutl >/dev/null 2>&1; then etcdutl snapshot status ${path} -w table; else ETCDCTL_API=3 etcdctl snapshot status ${path} -w table; fi`
    const r = await src.exec(status)
    if (r.code !== 0) throw new CommandError(src.name, status.masked, r.code, r.stdout, r.stderr)
    const bytes = await src.conn.readFile(path, { become: true })
    const digest = await src.fact(fileSha256, path)
    if (!bytes || !digest?.sha256) throw new ModuleError('etcdRestore', `${src.name}: cannot read ${path}`)
    return { sha256: digest.sha256, bytes }
  })
}

/** The snapshot at the same path on every master, identical to the first master's (sha256). */
const snapshotOnMaster = defineModule<{ masters: string; path: string }, Buffer>({
  name: 'etcdSnapshotCopy',
  async check(h, p) {
    const want = await h.from(sourceSnapshot(p.masters, p.path))
    const have = await h.fact(fileSha256, p.path)
    return have?.sha256 === want.sha256 ? noChange(`${p.path} (sha256 ${want.sha256.slice(0, 16)}…)`) : change(`copy ${p.path} from ${p.masters}[0] (${want.bytes.length} bytes)`, { data: want.bytes })
  },
  async apply(h, p, plan) {
    const tmp = `${p.path}.kubeplay-tmp`
    await h.run(sh`mkdir -p -m 0700 "$(dirname ${p.path})"`)
    await h.conn.writeFile(tmp, plan.data, { mode: '0600', become: true })
    const want = (await h.from(sourceSnapshot(p.masters, p.path))).sha256
    await h.run(sh`[ "$(sha256sum < ${tmp} | cut -c1-64)" = ${want} ] || { rm -f ${tmp}; echo 'sha256 mismatch after the copy' >&2; exit 1; }
mv -f ${tmp} ${p.path}`)
    return { output: `${p.path} copied, sha256 ${want.slice(0, 16)}…` }
  },
})

/** Each master's etcd member (name, peer URL) from its own etcd manifest, wherever it is. */
const memberOf = (host: string): HostValue<EtcdManifestMember> =>
  hostValue(`etcd-restore.member@${host}`, host, (src) => etcdManifestMember(src, [ASIDE]))

export function etcdRestorePlaybook(o: { mastersGroup?: string; stopTimeoutSeconds?: number; healthTimeoutSeconds?: number } = {}): Playbook {
  const masters = o.mastersGroup ?? 'masters'
  const all = { hosts: masters, anyErrorsFatal: true }
  return playbook('etcd-restore', [
    play('Stop the control plane on every master', {
      ...all,
      items: [
        confirmTask(WHAT),
        task('Put the snapshot on every master', snapshotOnMaster, (h) => ({ masters, path: snapshotOf(h) }), { tags: TAGS }),
        // Read now, while the manifest is where kubeadm put it (memoised for the run).
        task('Read this member\'s name and peer URL', readMember, {}, { tags: TAGS }),
        task('Stop the static pods (etcd and the API server among them)', shell, { cmd: stopStaticPods(ASIDE, o.stopTimeoutSeconds ?? 120) }, { tags: TAGS }),
      ],
    }),
    play('Restore every etcd member from the same snapshot', {
      ...all,
      items: [
        task('Restore the snapshot into /var/lib/etcd', shell, async (h) => {
          const snap = snapshotOf(h)
          const hosts = h.inventory.groups.get(masters)?.hosts ?? []
          const members = await Promise.all(hosts.map((m) => h.from(memberOf(m))))
          const self = await h.from(memberOf(h.name))
          const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')
          return {
            cmd: sh`set -e
if [ -d /var/lib/etcd ]; then mv /var/lib/etcd ${`/var/lib/etcd.before-restore-${stamp}`}; fi
if command -v etcdutl >/dev/null 2>&1; then tool=etcdutl; else tool=etcdctl; export ETCDCTL_API=3; fi
"$tool" snapshot restore ${snap} --data-dir /var/lib/etcd --name ${self.name} --initial-cluster ${members.map((m) => `${m.name}=${m.peerUrl}`).join(',')} --initial-advertise-peer-urls ${self.peerUrl}`,
          }
        }, { tags: TAGS }),
      ],
    }),
    play('Start the control plane on every master', {
      ...all,
      items: [
        task('Start the static pods', shell, { cmd: startStaticPods(ASIDE) }, { tags: TAGS }),
        task('Wait for etcd and the API server on this master', waitControlPlane, { timeoutSeconds: o.healthTimeoutSeconds ?? 300 }, { tags: TAGS }),
      ],
    }),
    play('Check the restored etcd cluster', {
      hosts: `${masters}[0]`,
      items: [
        task('One etcd cluster, one started member per master', etcdClusterCheck, (h) => ({ expected: (h.inventory.groups.get(masters)?.hosts ?? []).length }), { tags: TAGS }),
      ],
    }),
  ], { preflight: confirmPreflight(WHAT) })
}

/** Reads (and memoises) this master's member so the restore plays find it once the manifest is aside. */
const readMember = defineModule<Record<string, never>>({
  name: 'etcdMember',
  async check(h) {
    const m = await h.from(memberOf(h.name))
    return noChange(`${m.name} at ${m.peerUrl}`)
  },
  async apply() {},
})

export const etcdRestore = etcdRestorePlaybook()

main(import.meta.url, etcdRestore)
