/**
 * Pieces both kubernetes roles use: the model of a host (settings + inventory, validated), the
 * check-only task that reports it, and the tag sets.
 */
import { defineModule, noChange, type HostContext } from '../../lib/engine/module.ts'
import { defineSettings } from '../../lib/engine/vars.ts'
import { KUBERNETES_ANSIBLE_NAMES, kubernetesDefaults, kubernetesVarsSchema, modelFor, type ClusterModel, type KubernetesParams } from './settings.ts'

/** The kubernetes settings, declared once for both kubernetes roles (params checked when a role is built). */
export const KUBERNETES_SETTINGS = defineSettings({ key: 'kubernetes', schema: kubernetesVarsSchema, defaults: kubernetesDefaults, ansibleNames: KUBERNETES_ANSIBLE_NAMES })

export function modelOf(params: Partial<KubernetesParams>): (h: HostContext) => ClusterModel {
  return (h) => modelFor(h.vars, h.inventory, params)
}

export const isFirstMaster = (model: (h: HostContext) => ClusterModel) => (h: HostContext): boolean => model(h).firstMaster === h.name

/** Check-only: reports the resolved cluster model; a bad setting fails here, before any change. */
export const kubernetesSettingsCheck = defineModule<{ readonly model: ClusterModel; readonly host: string }>({
  name: 'kubernetesSettings',
  check: async (_h, { model: m, host }) => noChange(
    `Kubernetes v${m.version.major}.${m.version.minor}.${m.version.patch} via ${m.controlPlaneEndpoint}; ` +
    `pods ${m.s.podSubnet}, services ${m.s.serviceSubnet}; ${host === m.firstMaster ? 'first master (initialises)' : `joins through ${m.firstMaster}`}`),
  apply: async () => {},
})
