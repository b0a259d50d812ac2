/**
 * A file fetched by URL on the host and pinned by sha256: fetched only when the file on disk has
 * another digest, verified before it replaces anything (a mismatch leaves the destination untouched).
 */
import { raw, sh, type ShellCommand } from '../connection/quote.ts'
import { change, defineModule, noChange, type HostContext } from '../engine/module.ts'
import { CommandError, ModuleError } from '../errors.ts'

export interface DownloadParams {
  /** URL fetched on the host with curl (http, https or file). */
  readonly url: string
  /** Absolute path on the host. */
  readonly dest: string
  /** Expected hex sha256 of the content. */
  readonly sha256: string
  /** @default '0644' */
  readonly mode?: string
  /** Owner of the downloaded file. @default the connecting user (root with become) */
  readonly owner?: string
  /** Group of the downloaded file. @default the owner's group */
  readonly group?: string
}

/** What a fetch on the host needs: the download module's params (the kubectl module fetches manifests with it). */
export type FetchSpec = DownloadParams

const SHA_MISMATCH = 11

/** Pure: validates what goes on the curl command line and into the digest comparison. */
export function validateFetch(module: string, f: FetchSpec): void {
  if (!/^(https?|ftp|file):\/\/\S+$/.test(f.url)) throw new ModuleError(module, `url: expected an http(s)://, ftp:// or file:// URL, found '${f.url}'`)
  if (!/^[0-9a-fA-F]{64}$/.test(f.sha256)) throw new ModuleError(module, `sha256: expected 64 hex digits, found '${f.sha256}'`)
  if (!f.dest.startsWith('/')) throw new ModuleError(module, `dest: expected an absolute path, found '${f.dest}'`)
  if (f.mode !== undefined && !/^0?[0-7]{3,4}$/.test(f.mode)) throw new ModuleError(module, `mode: expected an octal string like '0644', found '${f.mode}'`)
}

/**
 * Pure: downloads to a temp file next to `dest` (same filesystem: the rename is atomic), checks the
 * digest, sets mode/owner, renames. Exit 11 with `found <digest>` on stderr on a mismatch.
 */
export function fetchCommand(f: FetchSpec): ShellCommand {
  const lines = [
    sh`p=${f.dest}; want=${f.sha256.toLowerCase()}`.text,
    'd=$(dirname -- "$p") && mkdir -p -- "$d" && t=$(mktemp "$d/.kubeplay-dl.XXXXXX") || exit 1',
    `trap 'rm -f "$t"' EXIT`,
    sh`curl -fsSL --retry 3 --connect-timeout 15 -o "$t" ${f.url} || exit 1`.text,
    'got=$(sha256sum "$t" | cut -d" " -f1)',
    `[ "$got" = "$want" ] || { echo "found $got" >&2; exit ${SHA_MISMATCH}; }`,
    sh`chmod ${f.mode ?? '0644'} "$t"`.text,
  ]
  if (f.owner) lines.push(sh`chown ${f.owner} "$t" || exit 1`.text)
  if (f.group) lines.push(sh`chgrp ${f.group} "$t" || exit 1`.text)
  lines.push('mv -f -- "$t" "$p" || exit 1', 'trap - EXIT')
  return sh`${raw(lines.join('\n'))}`
}

/** Runs fetchCommand; a digest mismatch becomes a ModuleError naming both digests. */
export async function fetchOnHost(host: HostContext, module: string, f: FetchSpec): Promise<void> {
  const r = await host.exec(fetchCommand(f))
  if (r.code === SHA_MISMATCH) {
    const found = /found (\S+)/.exec(r.stderr)?.[1] ?? '?'
    throw new ModuleError(module, `${f.url}: sha256 expected ${f.sha256.toLowerCase()}, found ${found}; ${f.dest} left untouched`)
  }
  if (r.code !== 0) throw new CommandError(host.name, `download ${f.url} to ${f.dest}`, r.code, r.stdout, r.stderr)
}

/** Pure: `<sha256> <mode> <owner> <group>` of the current file (or empty) → what is to be done. */
export function planDownload(p: DownloadParams, probe: string): { fetch: boolean; fixMode: boolean } | null {
  const [sha, mode, owner, group] = probe.trim().split(/\s+/)
  const fetch = sha?.toLowerCase() !== p.sha256.toLowerCase()
  const fixMode = !fetch && (parseInt(mode ?? '', 8) !== parseInt(p.mode ?? '0644', 8) || (!!p.owner && owner !== p.owner) || (!!p.group && group !== p.group))
  return fetch || fixMode ? { fetch, fixMode } : null
}

export const download = defineModule<DownloadParams, { fetch: boolean; fixMode: boolean }>({
  name: 'download',
  async check(host, p) {
    validateFetch('download', p)
    const r = await host.exec(sh`[ -f ${p.dest} ] && echo "$(sha256sum < ${p.dest} | cut -d' ' -f1) $(stat -c '%a %U %G' -- ${p.dest})"`)
    const plan = planDownload(p, r.stdout)
    if (!plan) return noChange(`${p.dest}: already has sha256 ${p.sha256.slice(0, 12)}…`)
    return change(plan.fetch ? `download ${p.url} to ${p.dest}` : `set mode/owner of ${p.dest}`, { data: plan })
  },
  async apply(host, p, plan) {
    if (plan.data.fetch) return fetchOnHost(host, 'download', p)
    await host.run(sh`chmod ${p.mode ?? '0644'} -- ${p.dest}`)
    if (p.owner) await host.run(sh`chown ${p.owner} -- ${p.dest}`)
    if (p.group) await host.run(sh`chgrp ${p.group} -- ${p.dest}`)
  },
})
