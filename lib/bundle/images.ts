/** The bundle's image root filesystems and their names: the workload nginx image, the pinned component images, and the check that kubeadm asks for exactly the pinned ones. */
import { execFileSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { run } from '../lab/exec.ts'
import type { ImageSpec } from './oci.ts'
import { imageRefs, kubeadmImageList, type ReleasePins } from './pins.ts'

/** The users every image root has (nginx resolves its `user` through the C library). */
export const PASSWD = 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n'
export const GROUP = 'root:x:0:\nnogroup:x:65534:\n'
export const DEBIAN_USERLAND = ['iptables', 'conntrack']
export const BUSYBOX = ['busybox-static']
/** The workload image the lab tests deploy (seed 000's nginx check): Debian's nginx, plus busybox for in-pod probes. */
export const NGINX = ['nginx', 'nginx-common', 'libc6', 'libgcc-s1', 'libcrypt1', 'libpcre2-8-0', 'libssl3', 'zlib1g', 'busybox-static']
export const NGINX_CONF = `# kubeplay bundle: nginx in the foreground, logs to the container's output
user root;
worker_processes 1;
daemon off;
error_log /dev/stderr;
pid /run/nginx.pid;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  access_log /dev/stdout;
  server {
    listen 80;
    root /usr/share/nginx/html;
    # Which pod answered: the load-balancing checks read it.
    location = /host { default_type text/plain; return 200 "$hostname"; }
  }
}
`

/** The workload image's repository; its tag is Debian's nginx version. */
export const NGINX_IMAGE = 'kubeplay.local/nginx'

/** Pure: a Debian version as an image tag (`1.22.1-9+deb12u11` → `1.22.1-9-deb12u11`). */
export function nginxTag(debVersion: string): string {
  return debVersion.replace(/^\d+:/, '').replace(/[^\w.-]/g, '-')
}

/** Pure: `registry.k8s.io/coredns/coredns:v1.11.3` → `coredns_v1.11.3.tar`. */
export function imageFileName(ref: string): string {
  const last = ref.slice(ref.lastIndexOf('/') + 1)
  return `${last.replace(':', '_')}.tar`
}

export async function checkImageList(kubeadm: string, pins: ReleasePins): Promise<void> {
  const r = await run(kubeadm, ['config', 'images', 'list', '--kubernetes-version', `v${pins.kubernetes}`])
  const listed = r.stdout.trim().split('\n').map((l) => l.trim()).filter(Boolean)
  const want = kubeadmImageList(pins)
  if (listed.join(' ') !== want.join(' ')) {
    throw new Error(`kubeadm v${pins.kubernetes} asks for ${listed.join(', ')}; the bundle pins give ${want.join(', ')}: fix lib/bundle/pins.ts`)
  }
}

export interface Inputs {
  readonly bin: (component: string, name: string) => string
  readonly pause: string
  readonly netfilterRoot: string
  readonly busyboxRoot: string
}

/** The image root filesystems: one directory each under `rootfsDir`, rebuilt every time (cheap). */
export function imageSpecs(pins: ReleasePins, i: Inputs, rootfsDir: string): ImageSpec[] {
  const refs = imageRefs(pins)
  const root = (name: string, base: string | null, entries: ReadonlyArray<readonly [string, string]>): string => {
    const r = join(rootfsDir, name)
    rmSync(r, { recursive: true, force: true })
    mkdirSync(r, { recursive: true })
    if (base) copyTree(base, r)
    for (const d of ['etc', 'tmp', 'var/run']) mkdirSync(join(r, d), { recursive: true })
    chmodSync(join(r, 'tmp'), 0o1777)
    if (!existsSync(join(r, 'etc/passwd'))) writeFileSync(join(r, 'etc/passwd'), PASSWD)
    if (!existsSync(join(r, 'etc/group'))) writeFileSync(join(r, 'etc/group'), GROUP)
    if (!existsSync(join(r, 'etc/nsswitch.conf'))) writeFileSync(join(r, 'etc/nsswitch.conf'), 'hosts: files dns\n')
    for (const [src, dest] of entries) {
      mkdirSync(dirname(join(r, dest)), { recursive: true })
      copyFileSync(src, join(r, dest))
      chmodSync(join(r, dest), 0o755)
    }
    return r
  }
  const k8s = (name: string, ref: string, base: string | null = null): ImageSpec => ({
    ref, rootfs: root(name, base, [[i.bin('kubernetes', name), `usr/local/bin/${name}`]]), entrypoint: [`/usr/local/bin/${name}`],
  })
  return [
    k8s('kube-apiserver', refs.apiserver),
    k8s('kube-controller-manager', refs.controllerManager),
    k8s('kube-scheduler', refs.scheduler),
    k8s('kube-proxy', refs.proxy, i.netfilterRoot),
    {
      ref: refs.etcd,
      rootfs: root('etcd', null, [['etcd', 'etcd'], ['etcdctl', 'etcdctl'], ['etcdutl', 'etcdutl']].map(([c, b]) => [i.bin(c!, b!), `usr/local/bin/${b}`] as const)),
      entrypoint: ['/usr/local/bin/etcd'],
    },
    { ref: refs.coredns, rootfs: root('coredns', null, [[i.bin('coredns', 'coredns'), 'coredns']]), entrypoint: ['/coredns'] },
    { ref: refs.pause, rootfs: root('pause', null, [[i.pause, 'pause']]), entrypoint: ['/pause'] },
    {
      ref: refs.flannel,
      rootfs: root('flannel', i.netfilterRoot, [[i.bin('flannel', 'flannel'), 'opt/bin/flanneld'], [i.bin('flannel', 'install_conf'), 'opt/bin/install-conf']]),
      entrypoint: ['/opt/bin/flanneld'],
    },
    { ref: refs.flannelCni, rootfs: root('flannel-cni', i.busyboxRoot, [[i.bin('flannelCni', 'flannel'), 'flannel']]) },
    // MetalLB's images are distroless with the binary at the root; the controller runs as 65534.
    { ref: refs.metallbController, rootfs: root('metallb-controller', null, [[i.bin('metallb', 'controller'), 'controller']]), entrypoint: ['/controller'] },
    { ref: refs.metallbSpeaker, rootfs: root('metallb-speaker', null, [[i.bin('metallb', 'speaker'), 'speaker']]), entrypoint: ['/speaker'] },
    // metrics-server's image is distroless with the binary at the root, like upstream's Dockerfile.
    // The monitoring stack's images as upstream's: the binary in /bin, run as nobody by the manifests.
    { ref: refs.prometheus, rootfs: root('prometheus', null, [[i.bin('prometheus', 'prometheus'), 'bin/prometheus']]), entrypoint: ['/bin/prometheus'], user: '65534' },
    { ref: refs.alertmanager, rootfs: root('alertmanager', null, [[i.bin('alertmanager', 'alertmanager'), 'bin/alertmanager']]), entrypoint: ['/bin/alertmanager'], user: '65534' },
    { ref: refs.nodeExporter, rootfs: root('node-exporter', null, [[i.bin('nodeExporter', 'node_exporter'), 'bin/node_exporter']]), entrypoint: ['/bin/node_exporter'], user: '65534' },
    { ref: refs.metricsServer, rootfs: root('metrics-server', null, [[i.bin('metricsServer', 'metrics-server'), 'metrics-server']]), entrypoint: ['/metrics-server'], user: '65534' },
  ]
}

/** cp -a keeps the symlinks (iptables → xtables-nft-multi) that a file-by-file copy would follow. */
export function copyTree(from: string, to: string): void {
  execFileSync('cp', ['-a', `${from}/.`, to], { stdio: 'pipe' })
}
