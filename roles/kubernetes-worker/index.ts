/**
 * kubernetes-worker (seed 001): the same pinned, held packages as the masters, then `kubeadm join`
 * with a token created on the first master at that moment (masked). A node with
 * /etc/kubernetes/kubelet.conf has joined and is left alone, so a rerun asks the first master for
 * nothing, and a reset node (kubelet.conf gone) rejoins even under `--limit`.
 */
import { role, task, type Role } from '../../lib/engine/task.ts'
import { KUBERNETES_SETTINGS, modelOf, settingsCheck } from '../kubernetes/common.ts'
import { kubeadmJoin } from '../kubernetes/join.ts'
import { packageTasks } from '../kubernetes/packages.ts'
import { kubernetesPreflight, type KubernetesParams } from '../kubernetes/settings.ts'

export const WORKER_TAGS = ['kubernetes', 'k8s-worker'] as const

export function kubernetesWorker(params: Partial<KubernetesParams> = {}): Role {
  const p = KUBERNETES_SETTINGS.params(params, 'kubernetesWorker()')
  const model = modelOf(p)
  return role('kubernetes-worker', [
    settingsCheck(model),
    ...packageTasks(model, []),
    task('Join the cluster as a worker (kubeadm join)', kubeadmJoin, (h) => ({ model: model(h), controlPlane: false }), { tags: ['join'] }),
  ], { tags: [...WORKER_TAGS], vars: KUBERNETES_SETTINGS.vars, preflight: (inv, _hosts, ctx) => kubernetesPreflight(inv, params, ctx) })
}
