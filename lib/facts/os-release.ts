/** The distribution, from /etc/os-release: picks package repositories and codenames. */
import { sh } from '../connection/quote.ts'
import { defineFact } from '../engine/module.ts'

export interface OsRelease {
  /** `debian`, `ubuntu` */
  readonly id: string
  /** `12`, `22.04` */
  readonly versionId: string
  /** `bookworm`, `jammy`, `noble`; empty when the file names none. */
  readonly codename: string
  readonly idLike: readonly string[]
  readonly prettyName: string
}

/** Pure: parses os-release's shell-style `KEY="value"` lines. */
export function parseOsRelease(text: string): OsRelease {
  const kv = new Map<string, string>()
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim())
    if (!m) continue
    let v = m[2]!
    if (/^(["']).*\1$/.test(v)) v = v.slice(1, -1).replace(/\\(["$`\\])/g, '$1')
    kv.set(m[1]!, v)
  }
  return {
    id: kv.get('ID') ?? '',
    versionId: kv.get('VERSION_ID') ?? '',
    codename: kv.get('VERSION_CODENAME') ?? kv.get('UBUNTU_CODENAME') ?? '',
    idLike: (kv.get('ID_LIKE') ?? '').split(/\s+/).filter(Boolean),
    prettyName: kv.get('PRETTY_NAME') ?? '',
  }
}

export const osRelease = defineFact<void, OsRelease>({
  name: 'osRelease',
  command: () => sh`cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release`,
  parse: (r) => parseOsRelease(r.stdout),
})
