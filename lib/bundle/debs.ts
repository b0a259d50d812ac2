/**
 * Debian packages unpacked into an image root: the userland kube-proxy and Flannel call (iptables
 * in nft mode, conntrack) and a static busybox for the `cp` of Flannel's init container. Packages
 * come from this machine's apt sources (`apt-get download`, dependency closure from apt-cache),
 * are unpacked with `dpkg-deb -x` (no maintainer scripts run, so the alternatives symlinks the
 * iptables postinst would make are made here), and are kept in the cache for the next build.
 */
import { mkdirSync, readdirSync, symlinkSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { run } from '../lab/exec.ts'

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }

/** Pure: package names from `apt-cache depends --recurse` output (virtual `<pkg>` lines dropped). */
export function parseDependsClosure(text: string): string[] {
  return [...new Set(text.split('\n').filter((l) => l && !l.startsWith(' ') && !l.startsWith('<')).map((l) => l.trim()))].sort()
}

export async function dependencyClosure(packages: readonly string[]): Promise<string[]> {
  const r = await run('apt-cache', ['depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts',
    '--no-breaks', '--no-replaces', '--no-enhances', ...packages], { env: APT_ENV, allowFail: true })
  const names = parseDependsClosure(r.stdout)
  return packages.every((p) => names.includes(p)) ? names : []
}

/**
 * Downloads `packages` into `debDir` (apt-get update once if the lists lack them): their whole
 * dependency closure, or with `closure: false` exactly the list (the libraries a binary links,
 * without the packages only maintainer scripts need).
 */
export async function downloadDebs(packages: readonly string[], debDir: string, log: (l: string) => void, opts: { closure?: boolean } = {}): Promise<string[]> {
  mkdirSync(debDir, { recursive: true })
  const resolve = async (): Promise<string[]> => {
    const names = await dependencyClosure(packages)
    return opts.closure === false ? (names.length ? [...packages].sort() : []) : names
  }
  let names = await resolve()
  if (names.length === 0) {
    log('apt-get update (package lists lack what the images need)')
    await run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update', '-qq'], { env: APT_ENV })
    names = await resolve()
    if (names.length === 0) throw new Error(`apt-cache knows none of ${packages.join(', ')} on this machine`)
  }
  const have = (n: string): string | undefined => readdirSync(debDir).find((f) => f.startsWith(`${n}_`) && f.endsWith('.deb'))
  const missing = names.filter((n) => !have(n))
  if (missing.length) {
    log(`apt-get download ${missing.join(' ')}`)
    await run('apt-get', ['download', '-q', ...missing], { env: APT_ENV, cwd: debDir })
  }
  return names.map((n) => {
    const f = have(n)
    if (!f) throw new Error(`apt-get download left no ${n}_*.deb in ${debDir}`)
    return join(debDir, f)
  })
}

/** Unpacks .deb files into `root` and adds the symlinks maintainer scripts would have made. */
export async function unpackDebs(debs: readonly string[], root: string): Promise<void> {
  mkdirSync(root, { recursive: true })
  for (const deb of debs) await run('dpkg-deb', ['-x', deb, root])
  // iptables' postinst registers alternatives; kube-proxy and Flannel call plain `iptables`: nft mode.
  for (const tool of ['iptables', 'iptables-save', 'iptables-restore', 'ip6tables', 'ip6tables-save', 'ip6tables-restore']) {
    const link = join(root, 'usr/sbin', tool)
    if (existsSync(join(root, 'usr/sbin/xtables-nft-multi')) && !existsSync(link)) symlinkSync('xtables-nft-multi', link)
  }
  // busybox-static ships one binary; the applets Flannel's init container and the tests' probes run.
  if (existsSync(join(root, 'bin/busybox'))) {
    for (const applet of ['sh', 'cp', 'cat', 'ls', 'mkdir', 'rm', 'sleep', 'wget', 'nslookup', 'hostname']) {
      const link = join(root, 'bin', applet)
      if (!existsSync(link)) symlinkSync('busybox', link)
    }
  }
}
