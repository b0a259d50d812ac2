/**
 * The benchmark's playbook: ~20 node-preparation tasks of the kinds a kubeadm role runs
 * (directories, fixed files, templates with host vars, line and block edits, guarded commands,
 * mode changes, a symlink, a cleanup guarded by `removes`). Every path lives under the host's `bench_root`
 * (`/tmp/kpbench/<host>/`): all loopback "hosts" share this machine's filesystem.
 *
 * Converges in one run: a second run reports every task ok, and so does `--check` after it.
 */
// By name, as a user's playbook imports kubeplay (dist/, or the sources when they changed).
import { play, playbook, sh, task, type HostContext, type Playbook, type Task } from 'kubeplay'
import { blockInFile, command, copy, file, lineInFile, shell, template } from 'kubeplay/modules'

/** Where the bench keeps every host's files. */
export const BENCH_BASE = '/tmp/kpbench'

const root = (h: HostContext): string => h.var<string>('bench_root')
const at = (rel: string) => (h: HostContext): string => `${root(h)}/${rel}`

const MODULES_LOAD = 'overlay\nbr_netfilter\n'
const SYSCTL = [
  'net.bridge.bridge-nf-call-iptables = 1',
  'net.bridge.bridge-nf-call-ip6tables = 1',
  'net.ipv4.ip_forward = 1',
  '',
].join('\n')
const FSTAB = [
  '# /etc/fstab: static file system information.',
  'UUID=0a1b2c3d / ext4 errors=remount-ro 0 1',
  'UUID=4e5f6a7b /boot ext4 defaults 0 2',
  '/swap.img none swap sw 0 0',
  '',
].join('\n')

const CONTAINERD = `version = 2
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{{pause_image}}"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = true
[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
  endpoint = [{{#each registry_mirrors}}"{{this}}"{{#unless @last}}, {{/unless}}{{/each}}]
`
const KUBELET = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
address: {{node_ip}}
clusterDNS:
  - {{cluster_dns}}
maxPods: {{max_pods}}
providerID: kubeplay://{{inventory_hostname}}
`
const KUBEADM_JOIN = `apiVersion: kubeadm.k8s.io/v1beta3
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: {{api_endpoint}}
    token: {{join_token}}
    unsafeSkipCAVerification: true
nodeRegistration:
  name: {{inventory_hostname}}
  kubeletExtraArgs:
    node-ip: {{node_ip}}
`

/** The tasks, in order. Exported so the sweep can run prefixes (5, 10, 20 tasks). */
export function benchTasks(): Task[] {
  return [
    task('Create the node root', file, (h) => ({ path: root(h), state: 'directory' as const, mode: '0755' })),
    task('Create etc', file, (h) => ({ path: at('etc')(h), state: 'directory' as const })),
    task('Create modules-load.d', file, (h) => ({ path: at('etc/modules-load.d')(h), state: 'directory' as const })),
    task('Create sysctl.d', file, (h) => ({ path: at('etc/sysctl.d')(h), state: 'directory' as const })),
    task('Create containerd config dir', file, (h) => ({ path: at('etc/containerd')(h), state: 'directory' as const })),
    task('Create the kubelet state dir', file, (h) => ({ path: at('var/lib/kubelet')(h), state: 'directory' as const, mode: '0700' })),
    task('Load overlay and br_netfilter at boot', copy, (h) => ({ path: at('etc/modules-load.d/k8s.conf')(h), content: MODULES_LOAD, mode: '0644' })),
    task('Set bridge and forwarding sysctls', copy, (h) => ({ path: at('etc/sysctl.d/99-kubernetes.conf')(h), content: SYSCTL })),
    task('Configure containerd', template, (h) => ({ path: at('etc/containerd/config.toml')(h), source: CONTAINERD })),
    task('Configure the kubelet', template, (h) => ({ path: at('var/lib/kubelet/config.yaml')(h), source: KUBELET, vars: { inventory_hostname: h.name } })),
    task('Write the kubeadm join configuration', template, (h) => ({
      path: at('etc/kubeadm-join.yaml')(h), source: KUBEADM_JOIN, mode: '0600', vars: { inventory_hostname: h.name },
    })),
    task('Seed fstab', shell, (h) => ({ cmd: sh`printf '%s' ${FSTAB} > ${at('etc/fstab')(h)}`, creates: at('etc/fstab')(h) })),
    task('Disable swap in fstab', lineInFile, (h) => ({ path: at('etc/fstab')(h), match: /^[^#].*\sswap\s/, line: '# swap disabled by kubeplay' })),
    task('Pin the API endpoint in hosts', lineInFile, (h) => ({
      path: at('etc/hosts')(h), line: `${h.var<string>('api_ip')} ${h.var<string>('api_name')}`, create: true,
    })),
    task('Add the node block to hosts', blockInFile, (h) => ({
      path: at('etc/hosts')(h), block: `${h.var<string>('node_ip')} ${h.name}\n`,
    })),
    task('Generate the node key', command, (h) => ({
      argv: ['sh', '-c', 'umask 077 && head -c 32 /dev/urandom | base64 > "$1"', 'sh', at('etc/node.key')(h)], creates: at('etc/node.key')(h),
    })),
    task('Restrict the node key', file, (h) => ({ path: at('etc/node.key')(h), state: 'file' as const, mode: '0400' })),
    task('Mark kubeadm as pending', file, (h) => ({ path: at('var/lib/kubelet/.kubeadm-pending')(h), state: 'touch' as const, mode: '0600' })),
    task('Link crictl config', file, (h) => ({ path: at('etc/crictl.yaml')(h), src: 'containerd/config.toml', state: 'link' as const })),
    task('Remove the legacy docker daemon config', command, (h) => ({ argv: ['rm', '-f', '--', at('etc/docker-daemon.json')(h)], removes: at('etc/docker-daemon.json')(h) })),
  ]
}

/** The playbook with the first `tasks` tasks (all by default). */
export function benchPlaybook(tasks?: number): Playbook {
  const all = benchTasks()
  return playbook('bench-node-prep', [play('Prepare nodes', { hosts: 'all', items: all.slice(0, tasks ?? all.length) })])
}

export const BENCH_TASKS = benchTasks().length
