/**
 * A filesystem in /etc/fstab and, for `mounted`, mounted now. The fstab edit is pure: the line for
 * the mount point is added or replaced and every other line is kept byte for byte.
 */
import { sh } from '../connection/quote.ts'
import { change, defineModule, noChange, type FileDiff } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'
import { batchCommand, fileSection, parseBatch, readFileCommand } from '../facts/batch.ts'

export interface MountParams {
  /** Mount point (absolute). */
  readonly path: string
  /** `10.0.0.5:/srv/nfs`, `tmpfs`, `/dev/vdb1`, `UUID=…` */
  readonly src: string
  /** Filesystem type (`nfs`, `nfs4`, `ext4`, `tmpfs`, `none` for bind mounts…). */
  readonly fstype: string
  /** @default 'defaults' */
  readonly opts?: string
  /** @default 0 */
  readonly dump?: number
  /** @default 0 */
  readonly passno?: number
  /** mounted: in fstab and mounted; present: in fstab only; unmounted: not mounted, fstab kept; absent: neither. */
  readonly state: 'mounted' | 'present' | 'unmounted' | 'absent'
  /** @default '/etc/fstab' */
  readonly fstab?: string
}

export interface MountPlan {
  readonly fstab: FileDiff | null
  readonly mkdir: boolean
  readonly mount: boolean
  readonly remount: boolean
  readonly unmount: boolean
}

/** fstab separates fields by whitespace, so a space in a path is written `\040`. */
export function fstabEscape(s: string): string {
  return s.replace(/\\/g, '\\134').replace(/ /g, '\\040').replace(/\t/g, '\\011').replace(/\n/g, '\\012')
}

export function fstabUnescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
}

/** The fields of an fstab entry (unescaped), or null for a comment or blank line. */
export function fstabFields(line: string): string[] | null {
  const t = line.trim()
  if (t === '' || t.startsWith('#')) return null
  return t.split(/\s+/).map(fstabUnescape)
}

export function fstabLine(p: MountParams): string {
  return [fstabEscape(p.src), fstabEscape(p.path), p.fstype, p.opts ?? 'defaults', p.dump ?? 0, p.passno ?? 0].join(' ')
}

/**
 * Pure: `text` with the entry for mount point `path` set to `line` (the first one replaced in place,
 * later ones dropped, appended when there is none) or, for null, every entry for it removed.
 */
export function editFstab(text: string, path: string, line: string | null): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n')
  const out: string[] = []
  let done = false
  for (const l of lines) {
    if (fstabFields(l)?.[1] !== path) { out.push(l); continue }
    if (line !== null && !done) out.push(line)
    done = true
  }
  if (line !== null && !done) out.push(line)
  return out.length ? `${out.join('\n')}\n` : ''
}

function validate(p: MountParams): void {
  const fail = (m: string) => { throw new ModuleError('mount', m) }
  if (!p.path?.startsWith('/')) fail(`path: expected an absolute mount point, found '${p.path}'`)
  if (p.path !== '/' && p.path.endsWith('/')) fail(`path: expected no trailing '/', found '${p.path}'`)
  if (p.state === 'mounted' || p.state === 'present') {
    if (!p.src) fail(`${p.path}: src: expected a source, found none`)
    if (!/^[A-Za-z0-9_.+-]+$/.test(p.fstype ?? '')) fail(`${p.path}: fstype: expected a type like 'nfs' or 'tmpfs', found '${p.fstype}'`)
    if (/\s/.test(p.opts ?? '')) fail(`${p.path}: opts: expected comma-separated options without spaces, found '${p.opts}'`)
  }
}

/** Pure: the plan for the fstab text (null: no file), whether it is mounted and the mount point exists. */
export function planMount(p: MountParams, fstab: string | null, mounted: boolean, dirExists: boolean): MountPlan | null {
  const path = p.fstab ?? '/etc/fstab'
  const keep = p.state === 'mounted' || p.state === 'present'
  const after = p.state === 'unmounted' ? fstab ?? '' : editFstab(fstab ?? '', p.path, keep ? fstabLine(p) : null)
  const diff = after === (fstab ?? '') ? null : { path, before: fstab, after }
  const hadEntry = fstab !== null && editFstab(fstab, p.path, null) !== fstab
  const plan: MountPlan = {
    fstab: diff,
    mkdir: p.state === 'mounted' && !dirExists,
    mount: p.state === 'mounted' && !mounted,
    remount: p.state === 'mounted' && mounted && diff !== null && hadEntry,
    unmount: (p.state === 'unmounted' || p.state === 'absent') && mounted,
  }
  return plan.fstab || plan.mkdir || plan.mount || plan.remount || plan.unmount ? plan : null
}

export const mount = defineModule<MountParams, MountPlan>({
  name: 'mount',
  async check(host, p) {
    validate(p)
    const fstabPath = p.fstab ?? '/etc/fstab'
    const [tab, mnt, dir] = parseBatch((await host.exec(batchCommand([
      readFileCommand(fstabPath),
      sh`findmnt -n -M ${p.path} >/dev/null`,
      sh`[ -d ${p.path} ]`,
    ]))).stdout, 3)
    const plan = planMount(p, fileSection(tab!, fstabPath), mnt!.code === 0, dir!.code === 0)
    if (!plan) return noChange(`${p.path}: already ${p.state}`)
    const what = [
      plan.unmount && `unmount ${p.path}`, plan.fstab && `${p.state === 'absent' ? 'remove' : 'set'} ${p.path} in ${fstabPath}`,
      plan.mkdir && `create ${p.path}`, plan.mount && `mount ${p.src} on ${p.path}`, plan.remount && `remount ${p.path}`,
    ]
    return change(what.filter(Boolean).join(', '), { diff: plan.fstab ?? undefined, data: plan })
  },
  async apply(host, p, { data }) {
    if (data.unmount) await host.run(sh`umount -- ${p.path}`)
    if (data.fstab) {
      await host.conn.writeFile(data.fstab.path, data.fstab.after ?? '', {})
      // systemd's fstab generator would otherwise keep the old entry's units and warn on every mount
      await host.run(sh`if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi`)
    }
    if (data.mkdir) await host.run(sh`mkdir -p -- ${p.path}`)
    if (data.mount || data.remount) {
      const tab = p.fstab && p.fstab !== '/etc/fstab' ? sh`-T ${p.fstab}` : sh``
      const r = await host.exec(data.mount ? sh`mount ${tab} -- ${p.path}` : sh`mount ${tab} -o remount -- ${p.path}`)
      if (r.code !== 0) {
        const why = (r.stderr || r.stdout).trim().replace(/\s*\n\s*/g, ' ')
        throw new ModuleError('mount', `${data.mount ? 'mounting' : 'remounting'} ${p.src} (${p.fstype}) on ${p.path} failed (exit ${r.code}): ${why}`
          + (/^nfs4?$/.test(p.fstype) ? ' (the host needs nfs-common and a kernel with NFS client support)' : ''))
      }
    }
  },
})
