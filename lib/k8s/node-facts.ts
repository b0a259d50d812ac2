/**
 * Read-only probes of a Kubernetes node, as facts (one round trip each, cached per host until a task
 * changes something there): the version its kube-apiserver manifest runs, its kubelet's version, the
 * node name kubeadm registers, and where a command is on the PATH.
 */
import { sh } from '../connection/quote.ts'
import { defineFact } from '../engine/module.ts'
import { parseKubeVersion, type KubeVersion } from './kubeadm-version.ts'

export const APISERVER_MANIFEST = '/etc/kubernetes/manifests/kube-apiserver.yaml'

/** Pure: the kube-apiserver image tag in its static pod manifest → the control plane's version. */
export function parseApiserverVersion(manifest: string): KubeVersion | null {
  const m = /image:\s*\S*kube-apiserver:(v?\d+\.\d+\.\d+)\b/.exec(manifest)
  return m ? parseKubeVersion(m[1]!) : null
}

/** The version this host's kube-apiserver runs (null: no control plane here). */
export const controlPlaneVersionFact = defineFact<void, KubeVersion | null>({
  name: 'controlPlaneVersion',
  become: true,
  command: () => sh`cat ${APISERVER_MANIFEST} 2>/dev/null || true`,
  parse: (r) => parseApiserverVersion(r.stdout),
})

/** `kubelet --version` → the node's kubelet version (null: no kubelet). */
export const kubeletVersionFact = defineFact<void, KubeVersion | null>({
  name: 'kubeletVersion',
  command: () => sh`command -v kubelet >/dev/null 2>&1 && kubelet --version`,
  parse: (r) => {
    const m = /v(\d+\.\d+\.\d+)/.exec(r.stdout)
    return r.code === 0 && m ? parseKubeVersion(m[1]!) : null
  },
})

/** The node name kubeadm registers by default: the host's hostname, lower-cased. */
export const nodeNameFact = defineFact<void, string>({
  name: 'nodeName',
  command: () => sh`hostname`,
  parse: (r) => r.stdout.trim().toLowerCase(),
})

/** Where `name` is on the PATH, or null. */
export const commandPath = defineFact<string, string | null>({
  name: 'commandPath',
  command: (name) => sh`command -v ${name} || true`,
  parse: (r) => r.stdout.trim() || null,
})
