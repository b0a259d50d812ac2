/**
 * OpenSSH known_hosts, as pure functions: parse the file, find the entries for a host, judge a
 * presented key. Covers hashed names (`|1|salt|hash`), `[host]:port` for non-22 ports, comma lists,
 * `*`/`?` wildcards and `!` negation, and the `@revoked` / `@cert-authority` markers.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

export interface KnownHostEntry {
  readonly marker?: 'revoked' | 'cert-authority'
  /** The host field as written: a comma list of patterns, or one `|1|salt|hash`. */
  readonly hosts: string
  readonly keyType: string
  /** Base64 of the public key blob. */
  readonly key: string
  /** 1-based line number, for messages. */
  readonly line: number
}

/** Parses known_hosts text; blank, comment and malformed lines are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = []
  text.split('\n').forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/)
    if (!fields[0] || fields[0].startsWith('#')) return
    let marker: KnownHostEntry['marker']
    if (fields[0].startsWith('@')) {
      const m = fields.shift()
      if (m === '@revoked') marker = 'revoked'
      else if (m === '@cert-authority') marker = 'cert-authority'
      else return
    }
    const [hosts, keyType, key] = fields
    if (!hosts || !keyType || !key) return
    out.push({ ...(marker ? { marker } : {}), hosts, keyType, key, line: i + 1 })
  })
  return out
}

/** The name OpenSSH looks up: `address` on port 22, `[address]:port` otherwise. */
export function hostLookupName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${body}$`, 'i')
}

/** HMAC-SHA1 of `name` keyed by `salt`: how `ssh-keygen -H` hides host names. */
export function hashHostName(name: string, salt: Buffer): string {
  return createHmac('sha1', salt).update(name).digest('base64')
}

/** Whether an entry's host field names this host (address + port). */
export function entryMatches(entry: KnownHostEntry, address: string, port: number): boolean {
  const name = hostLookupName(address, port)
  if (entry.hosts.startsWith('|1|')) {
    const [, , salt, hash] = entry.hosts.split('|')
    if (!salt || !hash) return false
    const want = Buffer.from(hash, 'base64')
    const got = Buffer.from(hashHostName(name, Buffer.from(salt, 'base64')), 'base64')
    return want.length === got.length && timingSafeEqual(want, got)
  }
  let matched = false
  for (const pattern of entry.hosts.split(',')) {
    const negated = pattern.startsWith('!')
    const p = negated ? pattern.slice(1) : pattern
    if (!globToRegExp(p).test(name)) continue
    if (negated) return false
    matched = true
  }
  return matched
}

/** `SHA256:…` fingerprint of a base64 key blob, as `ssh-keygen -l` prints it. */
export function fingerprint(keyBase64: string | Buffer): string {
  const blob = typeof keyBase64 === 'string' ? Buffer.from(keyBase64, 'base64') : keyBase64
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/** The key type written inside an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, …). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown'
  const len = blob.readUInt32BE(0)
  return blob.length >= 4 + len ? blob.subarray(4, 4 + len).toString('latin1') : 'unknown'
}

export type HostKeyVerdict =
  | { readonly status: 'ok'; readonly line: number }
  | { readonly status: 'unknown' }
  | { readonly status: 'changed'; readonly known: readonly KnownHostEntry[] }
  | { readonly status: 'revoked'; readonly line: number }

/**
 * Judges the key a host presented. A revoked key is refused wherever it appears; a host with known
 * keys of which none is the presented one has `changed` (stricter than OpenSSH, which would ask when
 * only other key types are known; `preferredHostKeyAlgorithms` makes that case rare).
 */
export function checkHostKey(entries: readonly KnownHostEntry[], address: string, port: number, keyBlob: Buffer): HostKeyVerdict {
  const key = keyBlob.toString('base64')
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key === key)
  if (revoked) return { status: 'revoked', line: revoked.line }
  const known = entries.filter((e) => e.marker === undefined && entryMatches(e, address, port))
  const same = known.find((e) => e.key === key)
  if (same) return { status: 'ok', line: same.line }
  return known.length === 0 ? { status: 'unknown' } : { status: 'changed', known }
}

/** The key types in a pinned `type base64 [comment]` string. */
export function parsePinnedKey(pinned: string): { keyType: string; key: string } | undefined {
  const [keyType, key] = pinned.trim().split(/\s+/)
  return keyType && key ? { keyType, key } : undefined
}

/** The line `accept-new` appends: plain (unhashed) so people can read and prune it. */
export function knownHostsLine(address: string, port: number, keyBlob: Buffer): string {
  return `${hostLookupName(address, port)} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}\n`
}

const ALGORITHMS_FOR_TYPE: Readonly<Record<string, readonly string[]>> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
}

/**
 * Host key algorithms to offer, those the host is already known by first, so the server presents
 * a key we can check rather than another type we have never seen.
 */
export function preferredHostKeyAlgorithms(knownTypes: readonly string[], defaults: readonly string[]): string[] {
  const first = knownTypes.flatMap((t) => ALGORITHMS_FOR_TYPE[t] ?? [t]).filter((a) => defaults.includes(a))
  return [...new Set([...first, ...defaults])]
}
