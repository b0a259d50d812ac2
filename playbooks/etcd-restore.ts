/**
 * Restores etcd from a snapshot on the first master (stacked etcd, kubeadm layout). Destructive:
 * refuses to start without `-e confirm=yes`. Steps on the first master: stop the control plane
 * (static pod manifests moved aside), keep the current data dir as /var/lib/etcd.before-restore-<time>,
 * `etcdutl snapshot restore` (etcdctl on etcd < 3.5) into /var/lib/etcd as a one-member cluster,
 * put the manifests back. Other masters must then be re-joined (reset + the site playbook): their
 * etcd members belong to the old cluster. See docs/lifecycle.md.
 *
 *   npx tsx playbooks/etcd-restore.ts -i inventory.ts -e confirm=yes -e etcd_snapshot=/var/backups/etcd/etcd-snapshot-….db
 */
import { main } from '../lib/cli/main.ts'
import { sh } from '../lib/connection/quote.ts'
import { play, playbook, task, type Playbook } from '../lib/engine/task.ts'
import { ModuleError } from '../lib/errors.ts'
import { shell } from '../lib/modules/shell.ts'
import { confirmPreflight, confirmTask } from '../roles/kubernetes/confirm.ts'
import { nodeName } from '../roles/kubernetes/lifecycle.ts'

export function etcdRestorePlaybook(o: { mastersGroup?: string } = {}): Playbook {
  const first = `${o.mastersGroup ?? 'masters'}[0]`
  return playbook('etcd-restore', [play('Restore etcd on the first master', {
    hosts: first,
    anyErrorsFatal: true,
    items: [
      confirmTask('replace the cluster state with a snapshot'),
      task('Restore the snapshot into /var/lib/etcd', shell, async (h) => {
        const snap = h.var<string | undefined>('etcd_snapshot')
        if (!snap || !snap.startsWith('/')) throw new ModuleError('etcdRestore', `etcd_snapshot: expected an absolute path on ${h.name} (-e etcd_snapshot=/var/backups/etcd/….db), found ${JSON.stringify(snap)}`)
        const name = await nodeName(h)
        const addr = h.inventory.hosts.get(h.name)!.connection.address
        const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')
        return {
          cmd: sh`set -e
test -f ${snap}
mkdir -p /etc/kubernetes/manifests.kubeplay-stopped
mv /etc/kubernetes/manifests/*.yaml /etc/kubernetes/manifests.kubeplay-stopped/
sleep 20
if [ -d /var/lib/etcd ]; then mv /var/lib/etcd ${`/var/lib/etcd.before-restore-${stamp}`}; fi
if command -v etcdutl >/dev/null 2>&1; then tool=etcdutl; else tool=etcdctl; fi
ETCDCTL_API=3 "$tool" snapshot restore ${snap} --data-dir /var/lib/etcd --name ${name} --initial-cluster ${`${name}=https://${addr}:2380`} --initial-advertise-peer-urls ${`https://${addr}:2380`}
mv /etc/kubernetes/manifests.kubeplay-stopped/*.yaml /etc/kubernetes/manifests/
rmdir /etc/kubernetes/manifests.kubeplay-stopped`,
        }
      }, { tags: ['etcd-restore'] }),
    ],
  })], { preflight: confirmPreflight('replace the cluster state with a snapshot') })
}

export const etcdRestore = etcdRestorePlaybook()

main(import.meta.url, etcdRestore)
