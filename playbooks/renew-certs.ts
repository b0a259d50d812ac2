/**
 * Renews every kubeadm-managed certificate (`kubeadm certs renew all`, seed 003) one master at a
 * time, then restarts that master's control-plane static pods (manifests moved out until the kubelet
 * stops the pods, then back) and the kubelet, and refreshes the operator's kubeconfig from the
 * renewed admin.conf. Each master is back before the next one starts.
 *
 *   npx tsx playbooks/renew-certs.ts -i inventory.ts
 */
import { main } from '../lib/cli/main.ts'
import { sh } from '../lib/connection/quote.ts'
import { play, playbook, task, type Playbook } from '../lib/engine/task.ts'
import { command } from '../lib/modules/command.ts'
import { shell } from '../lib/modules/shell.ts'
import { systemdService } from '../lib/modules/systemd-service.ts'
import { kubeconfigFile } from '../roles/kubernetes/kubeconfig.ts'
import { mergeKubernetesSettings } from '../roles/kubernetes/settings.ts'

const TAGS = ['kubernetes', 'renew-certs']

export function renewCertsPlaybook(o: { mastersGroup?: string; restartWaitSeconds?: number } = {}): Playbook {
  const wait = o.restartWaitSeconds ?? 20
  return playbook('renew-certs', [play('Renew control-plane certificates', {
    hosts: o.mastersGroup ?? 'masters',
    serial: 1,
    anyErrorsFatal: true,
    items: [
      task('Renew every certificate (kubeadm certs renew all)', command, { argv: ['kubeadm', 'certs', 'renew', 'all'], removes: '/etc/kubernetes/admin.conf' }, { tags: TAGS }),
      // The kubelet watches the manifest directory: a manifest gone stops its pod, back starts it with the new certificates.
      task('Restart the control-plane static pods', shell, {
        cmd: sh`set -e
mkdir -p /etc/kubernetes/manifests.kubeplay-restart
mv /etc/kubernetes/manifests/*.yaml /etc/kubernetes/manifests.kubeplay-restart/
sleep ${wait}
mv /etc/kubernetes/manifests.kubeplay-restart/*.yaml /etc/kubernetes/manifests/
rmdir /etc/kubernetes/manifests.kubeplay-restart`,
        removes: '/etc/kubernetes/manifests/kube-apiserver.yaml',
      }, { tags: TAGS }),
      task('Restart the kubelet', systemdService, { name: 'kubelet', state: 'restarted' }, { tags: TAGS }),
      task('Refresh the operator kubeconfig', kubeconfigFile, (h) => ({ user: mergeKubernetesSettings(h.vars.kubernetes, {}).kubeconfigUser }), { tags: TAGS }),
    ],
  })])
}

export const renewCerts = renewCertsPlaybook()

main(import.meta.url, renewCerts)
