/**
 * Renews every kubeadm-managed certificate (`kubeadm certs renew all`, seed 003) one master at a
 * time: the expiry table before, the renewal, the control-plane static pods restarted (manifests
 * moved out until the kubelet has stopped those containers, then back), the kubelet restarted, and
 * then a wait until etcd and the API server on that master are healthy again; only then the next
 * master. The operator's kubeconfig is refreshed from the renewed admin.conf. A run interrupted while
 * the manifests were out puts them back first.
 *
 *   npx tsx playbooks/renew-certs.ts -i inventory.ts
 */
import { main, play, playbook, type Playbook, sh, task } from 'kubeplay'
import { command, shell, systemdService } from 'kubeplay/modules'
import { kubeconfigFile, mergeKubernetesSettings, startStaticPods, stopStaticPods, waitControlPlane } from 'kubeplay/kubernetes'

const TAGS = ['kubernetes', 'renew-certs']
/** Present on a control-plane node only (kubeadm's certs phase). */
const APISERVER_CERT = '/etc/kubernetes/pki/apiserver.crt'
const ASIDE = '/etc/kubernetes/manifests.kubeplay-restart'

/** The static pods stopped and started again: a manifest gone stops its pod, back starts it with the new certificates. */
export function restartStaticPods(stopTimeoutSeconds: number) {
  return sh`${startStaticPods(ASIDE)}
${stopStaticPods(ASIDE, stopTimeoutSeconds)}
${startStaticPods(ASIDE)}`
}

export function renewCertsPlaybook(o: { mastersGroup?: string; stopTimeoutSeconds?: number; healthTimeoutSeconds?: number } = {}): Playbook {
  return playbook('renew-certs', [play('Renew control-plane certificates', {
    hosts: o.mastersGroup ?? 'masters',
    serial: 1,
    anyErrorsFatal: true,
    items: [
      task('Show certificate expiration (kubeadm certs check-expiration)', command, { argv: ['kubeadm', 'certs', 'check-expiration'], removes: APISERVER_CERT, changedWhen: () => false }, { tags: TAGS }),
      task('Renew every certificate (kubeadm certs renew all)', command, { argv: ['kubeadm', 'certs', 'renew', 'all'], removes: APISERVER_CERT }, { tags: TAGS }),
      task('Restart the control-plane static pods', shell, { cmd: restartStaticPods(o.stopTimeoutSeconds ?? 120), removes: APISERVER_CERT }, { tags: TAGS }),
      task('Restart the kubelet', systemdService, { name: 'kubelet', state: 'restarted' }, { tags: TAGS }),
      task('Wait for etcd and the API server on this master', waitControlPlane, { timeoutSeconds: o.healthTimeoutSeconds ?? 300 }, { tags: TAGS }),
      task('Refresh the operator kubeconfig', kubeconfigFile, (h) => ({ user: mergeKubernetesSettings(h.vars.kubernetes, {}).kubeconfigUser }), { tags: TAGS }),
    ],
  })])
}

export const renewCerts = renewCertsPlaybook()

main(import.meta.url, renewCerts)
