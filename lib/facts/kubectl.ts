/**
 * Whether a host can talk to its cluster: a `kubectl` on the PATH and a readable kubeconfig. Read
 * before every kubectl check, so a check-mode run on a host that has no cluster yet plans instead of
 * failing. Needs root: kubeadm writes admin.conf 0600.
 */
import { sh } from '../connection/quote.ts'
import { defineFact } from '../engine/module.ts'

export interface KubectlAccess {
  /** `kubectl` found on the PATH. */
  readonly kubectl: boolean
  /** The kubeconfig exists and is readable. */
  readonly kubeconfig: boolean
}

/** Pure: the probe's output (`kubectl=yes|no kubeconfig=yes|no`) → access. */
export function parseKubectlAccess(stdout: string): KubectlAccess {
  return { kubectl: /kubectl=yes/.test(stdout), kubeconfig: /kubeconfig=yes/.test(stdout) }
}

export const kubectlAccess = defineFact<string, KubectlAccess>({
  name: 'kubectlAccess',
  become: true,
  command: (kubeconfig) => sh`if command -v kubectl >/dev/null 2>&1; then a=yes; else a=no; fi
if [ -r ${kubeconfig} ]; then b=yes; else b=no; fi
echo "kubectl=$a kubeconfig=$b"`,
  parse: (r) => parseKubectlAccess(r.stdout),
})
