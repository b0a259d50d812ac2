/**
 * The machine's tools and the shared base rootfs per distro: debootstrap once, customise, cache as a
 * zstd tarball, unpack once under LAB_ROOT. Every lab host mounts it read-only as overlay lowerdir.
 * The base never holds role packages (containerd, haproxy…), host keys, a hostname or a machine-id.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync, symlinkSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { aptInstall, run } from './exec.ts'
import { withLock } from './lock.ts'
import { CACHE_DIR, DISTRO_SPECS, LAB_ROOT, baseDir, baseTarball, type Distro } from './paths.ts'

export type Log = (msg: string) => void

/** command → Debian package that provides it */
const HOST_TOOLS: ReadonlyArray<readonly [string, string]> = [
  ['debootstrap', 'debootstrap'],
  ['systemd-nspawn', 'systemd-container'],
  ['nft', 'nftables'],
  ['zstd', 'zstd'],
  ['ip', 'iproute2'],
  ['ssh', 'openssh-client'],
  ['ssh-keygen', 'openssh-client'],
]

const onPath = (cmd: string): boolean =>
  (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((d) => d && existsSync(join(d, cmd)))

/** Installs the missing machine packages with apt-get (root, non-interactive). */
export async function ensureHostPackages(log: Log): Promise<void> {
  const missing = [...new Set(HOST_TOOLS.filter(([cmd]) => !onPath(cmd)).map(([, pkg]) => pkg))]
  if (missing.length === 0) return
  log(`installing machine packages: ${missing.join(' ')}`)
  await aptInstall(missing)
}

const INCLUDE = 'systemd,systemd-sysv,dbus,openssh-server,iproute2,iputils-ping,python3,sudo,curl,ca-certificates,procps,kmod,netbase,less'

const TAR_FLAGS = ['--zstd', '--xattrs', '--xattrs-include=*', '--numeric-owner']

/** Raw debootstrap output, kept until customised (a pre-seeded copy here skips the download). */
export const rawDir = (distro: Distro): string => join(LAB_ROOT, `debootstrap-${distro}`)

/** Makes sure `baseDir(distro)` holds the unpacked base; builds and caches it when needed. */
export async function ensureBase(distro: Distro, log: Log): Promise<string> {
  const dir = baseDir(distro)
  if (existsSync(join(dir, 'usr'))) return dir
  return withLock(`base-${distro}`, async () => {
    if (existsSync(join(dir, 'usr'))) return dir // built by a concurrent `up` while we waited
    mkdirSync(CACHE_DIR, { recursive: true })
    const tmp = `${dir}.tmp`
    rmSync(tmp, { recursive: true, force: true })
    const tarball = baseTarball(distro)
    if (existsSync(tarball)) {
      log(`restoring base from ${tarball}`)
      mkdirSync(tmp, { recursive: true })
      await run('tar', ['-C', tmp, ...TAR_FLAGS, '-xpf', tarball])
      renameSync(tmp, dir)
      return dir
    }
    await debootstrap(distro, log)
    renameSync(rawDir(distro), tmp)
    customise(tmp, distro)
    log(`caching base -> ${tarball}`)
    await run('tar', ['-C', tmp, ...TAR_FLAGS, '-cpf', `${tarball}.tmp`, '.'])
    renameSync(`${tarball}.tmp`, tarball)
    renameSync(tmp, dir)
    log(`base ${distro} cached (${Math.round(statSync(tarball).size / 2 ** 20)} MiB)`)
    return dir
  })
}

async function debootstrap(distro: Distro, log: Log): Promise<void> {
  const out = rawDir(distro)
  if (existsSync(join(out, 'usr', 'bin', 'dpkg'))) {
    log(`using existing debootstrap output ${out}`)
    return
  }
  const spec = DISTRO_SPECS[distro]
  const partial = `${out}.partial`
  rmSync(partial, { recursive: true, force: true })
  const logFile = join(LAB_ROOT, `debootstrap-${distro}.log`)
  log(`debootstrap ${spec.suite} from ${spec.mirror} (no cache; log ${logFile})`)
  const args = [...spec.flags, '--variant=minbase', `--include=${INCLUDE}`, spec.suite, partial, spec.mirror]
  if (spec.script) args.push(spec.script)
  const r = await run('debootstrap', args, { allowFail: true })
  writeFileSync(logFile, r.stdout + r.stderr)
  if (r.code !== 0) {
    throw new Error(`debootstrap ${spec.suite} failed (exit ${r.code}), see ${logFile}:\n${(r.stdout + r.stderr).trim().split('\n').slice(-8).join('\n')}`)
  }
  renameSync(partial, out)
}

const RW_PROCSYS_UNIT = `[Unit]
Description=lab: remount /proc/sys read-write (only if /etc/lab-rw-procsys exists)
DefaultDependencies=no
Before=systemd-sysctl.service
ConditionPathExists=/etc/lab-rw-procsys
[Service]
Type=oneshot
ExecStart=/bin/mount -o remount,bind,rw /proc/sys
[Install]
WantedBy=sysinit.target
`

/** The base customisations of lab-up.sh, minus the first-boot keygen (host keys are written per host). */
function customise(root: string, distro: Distro): void {
  const p = (...parts: string[]): string => join(root, ...parts)
  writeFileSync(p('etc/apt/sources.list'), DISTRO_SPECS[distro].sources)
  rmSync(p('etc/hostname'), { force: true })
  rmSync(p('var/lib/dbus/machine-id'), { force: true })
  for (const f of readdirSync(p('etc/ssh'))) if (f.startsWith('ssh_host_')) rmSync(p('etc/ssh', f), { force: true })
  writeFileSync(p('etc/machine-id'), '') // each host gets its own on first boot
  // Only the ed25519 key the lab writes: sshd must not look for (or complain about) others.
  mkdirSync(p('etc/ssh/sshd_config.d'), { recursive: true })
  writeFileSync(p('etc/ssh/sshd_config.d/kubeplay-lab.conf'), 'HostKey /etc/ssh/ssh_host_ed25519_key\n')
  const wants = (target: string): string => { mkdirSync(p('etc/systemd/system', target), { recursive: true }); return p('etc/systemd/system', target) }
  const link = (to: string, at: string): void => { rmSync(at, { force: true }); symlinkSync(to, at) }
  link('/lib/systemd/system/systemd-networkd.service', join(wants('multi-user.target.wants'), 'systemd-networkd.service'))
  rmSync(p('etc/resolv.conf'), { force: true })
  writeFileSync(p('etc/resolv.conf'), '# lab: no DNS; apt mirror is in /etc/hosts\n')
  // Opt-in (touch /etc/lab-rw-procsys): lets a host write global sysctls, i.e. the real kernel.
  writeFileSync(p('etc/systemd/system/lab-rw-procsys.service'), RW_PROCSYS_UNIT)
  link('../lab-rw-procsys.service', join(wants('sysinit.target.wants'), 'lab-rw-procsys.service'))
}

/** Removes an unpacked base (the cache tarball stays). */
export function purgeBase(distro: Distro): void {
  rmSync(baseDir(distro), { recursive: true, force: true })
  rmSync(`${baseDir(distro)}.tmp`, { recursive: true, force: true })
}
