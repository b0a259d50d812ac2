/**
 * Pieces both kubernetes roles use: the model of a host (settings + inventory, validated), the
 * check-only task that reports it, and the tag sets.
 */
import type { HostContext } from '../../lib/engine/module.ts'
import { task, type Task } from '../../lib/engine/task.ts'
import { assertion } from '../../lib/modules/assert.ts'
import { defineSettings } from '../../lib/engine/vars.ts'
import { KUBERNETES_ANSIBLE_NAMES, kubernetesDefaults, kubernetesVarsSchema, modelFor, type ClusterModel, type KubernetesParams } from './settings.ts'

/** The kubernetes settings, declared once for both kubernetes roles (params checked when a role is built). */
export const KUBERNETES_SETTINGS = defineSettings({ key: 'kubernetes', schema: kubernetesVarsSchema, defaults: kubernetesDefaults, ansibleNames: KUBERNETES_ANSIBLE_NAMES })

export function modelOf(params: Partial<KubernetesParams>): (h: HostContext) => ClusterModel {
  return (h) => modelFor(h.vars, h.inventory, params)
}

export const isFirstMaster = (model: (h: HostContext) => ClusterModel) => (h: HostContext): boolean => model(h).firstMaster === h.name

/** The settings check both kubernetes roles start with: the resolved cluster model, reported (a bad setting failed building it). */
export function settingsCheck(model: (h: HostContext) => ClusterModel): Task {
  return task('Check the Kubernetes settings', assertion, (h) => {
    const m = model(h)
    return {
      ok: `Kubernetes v${m.version.major}.${m.version.minor}.${m.version.patch} via ${m.controlPlaneEndpoint}; ` +
        `pods ${m.s.podSubnet}, services ${m.s.serviceSubnet}; ${h.name === m.firstMaster ? 'first master (initialises)' : `joins through ${m.firstMaster}`}`,
    }
  }, { withRole: true })
}
