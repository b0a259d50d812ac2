/**
 * What the add-on roles (MetalLB, metrics-server, the monitoring stack) share about the cluster they
 * are installed on: the kubernetes role's settings, whether their images and manifests come from the
 * offline bundle, and the play that imports their images on the nodes.
 */
import type { HostContext } from '../../lib/engine/module.ts'
import { role, task, type Role } from '../../lib/engine/task.ts'
import { containerdImage } from '../../lib/modules/containerd-image.ts'
import { settingsBundleImage, type ImageKey } from './artifacts.ts'
import { mergeKubernetesSettings, type KubernetesParams } from './settings.ts'

/** The kubernetes settings as an add-on sees them (from the host's vars; an add-on has no params for them). */
export const addonKube = (h: HostContext): KubernetesParams => mergeKubernetesSettings(h.vars.kubernetes, {})

/** Whether the add-on comes from the offline bundle (kubernetes.packageSource 'artifacts'). */
export const addonFromBundle = (h: HostContext): boolean => addonKube(h).packageSource === 'artifacts'

/**
 * An add-on's images imported into containerd from the offline bundle, on every host of the play;
 * with any other package source the kubelet pulls them, and each task is skipped saying so.
 */
export function addonImages(name: string, images: ReadonlyArray<readonly [title: string, key: ImageKey]>,
  o: { readonly roleTags: readonly string[]; readonly taskTags?: readonly string[] }): Role {
  const opts = { tags: [...(o.taskTags ?? []), 'images'], when: addonFromBundle, whenReason: "kubernetes.packageSource is not 'artifacts' (the kubelet pulls them)" }
  return role(name, images.map(([title, key]) => task(title, containerdImage, (h) => settingsBundleImage(addonKube(h), key), opts)), { tags: [...o.roleTags] })
}
