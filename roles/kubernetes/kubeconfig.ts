/**
 * `~/.kube/config` of the operator user: a copy of admin.conf, 0600, owned by the user. Compared by
 * sha256 and attrs; never diffed (it holds the cluster-admin client key).
 */
import { sh } from '../../lib/connection/quote.ts'
import { change, defineModule, noChange } from '../../lib/engine/module.ts'
import { ModuleError } from '../../lib/errors.ts'

export interface KubeconfigParams {
  readonly user: string
  /** @default '/etc/kubernetes/admin.conf' */
  readonly source?: string
}

interface Probe { home: string; group: string; src: string | null; dest: string | null; attrs: string | null }

/** Pure: the probe's `key=value` lines → fields (empty value: absent). */
export function parseKubeconfigProbe(stdout: string): Probe {
  const kv = Object.fromEntries(stdout.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
  const or = (k: string): string | null => (kv[k] ? kv[k]! : null)
  return { home: kv.home ?? '', group: kv.group ?? '', src: or('src'), dest: or('dest'), attrs: or('attrs') }
}

export const kubeconfigFile = defineModule<KubeconfigParams, { dest: string; group: string }>({
  name: 'kubeconfigFile',
  async check(host, p) {
    const src = p.source ?? '/etc/kubernetes/admin.conf'
    const r = await host.exec(sh`u=${p.user}
home=$(getent passwd "$u" | cut -d: -f6); echo "home=$home"
echo "group=$(id -gn "$u" 2>/dev/null)"
echo "src=$(sha256sum < ${src} 2>/dev/null | cut -d' ' -f1)"
[ -n "$home" ] && echo "dest=$(sha256sum < "$home/.kube/config" 2>/dev/null | cut -d' ' -f1)"
[ -n "$home" ] && echo "attrs=$(stat -c '%U:%G %a' "$home/.kube/config" 2>/dev/null)"`, { become: true })
    const s = parseKubeconfigProbe(r.stdout)
    if (!s.home) throw new ModuleError('kubeconfigFile', `${host.name}: kubernetes.kubeconfigUser: expected an existing user, found no user '${p.user}'`)
    const dest = `${s.home}/.kube/config`
    if (!s.src) {
      if (host.checkMode) return change(`copy ${src} to ${dest} (after kubeadm creates it)`, { data: { dest, group: s.group } })
      throw new ModuleError('kubeconfigFile', `${host.name}: expected ${src} (written by kubeadm init/join), found none`)
    }
    const want = `${p.user}:${s.group} 600`
    if (s.src === s.dest && s.attrs === want) return noChange(`${dest}: same as ${src}, ${want}`)
    return change(s.dest === null ? `create ${dest}` : s.src !== s.dest ? `update ${dest} from ${src}` : `set ${want} on ${dest}`, { data: { dest, group: s.group } })
  },
  async apply(host, p, plan) {
    const src = p.source ?? '/etc/kubernetes/admin.conf'
    const { dest, group } = plan.data
    const dir = dest.replace(/\/config$/, '')
    await host.run(sh`install -d -m 0700 -o ${p.user} -g ${group} ${dir} && install -m 0600 -o ${p.user} -g ${group} ${src} ${dest}`, { become: true })
  },
})
