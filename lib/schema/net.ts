/**
 * Pure network-value validators shared by the project: inventory addresses and ports, MetalLB
 * address pools, pod/service CIDRs. IPv4 ranges are plain integer intervals so that overlap and
 * containment are two comparisons. No DNS, no I/O.
 */
import { isIPv6 as nodeIsIPv6 } from 'node:net'

/** An inclusive interval of IPv4 addresses as 32-bit unsigned integers. */
export interface IPv4Range {
  readonly first: number
  readonly last: number
}

export interface Cidr extends IPv4Range {
  readonly prefix: number
  /** False when bits beyond the prefix are set (`10.0.0.5/24`): kubeadm and MetalLB reject those. */
  readonly canonical: boolean
}

/** Dotted quad → integer, or null. Leading zeros are refused: `010.0.0.1` is octal to some tools. */
export function parseIPv4(s: string): number | null {
  const parts = s.split('.')
  if (parts.length !== 4) return null
  let n = 0
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return null
    n = n * 256 + Number(p)
  }
  return n
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

export const isIPv4 = (s: string): boolean => parseIPv4(s) !== null
export const isIPv6 = (s: string): boolean => nodeIsIPv6(s)

/**
 * RFC 1123 host name: dot-separated labels of 1–63 letters, digits and hyphens, not starting or
 * ending with a hyphen, 253 chars at most. All-numeric dotted names (`10.0.0.300`) are refused:
 * they are typos of addresses, not names.
 */
export function isHostname(s: string): boolean {
  const name = s.endsWith('.') ? s.slice(0, -1) : s
  if (name.length === 0 || name.length > 253) return false
  const labels = name.split('.')
  if (!labels.every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l))) return false
  return !labels.every((l) => /^\d+$/.test(l))
}

/** What an inventory `address` may be. */
export const isAddress = (s: string): boolean => isIPv4(s) || isIPv6(s) || isHostname(s)

export function isPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535
}

/** `10.244.0.0/16` → its range, or null when not an IPv4 CIDR. */
export function parseCidr(s: string): Cidr | null {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(s.trim())
  if (!m) return null
  const base = parseIPv4(m[1]!)
  const prefix = Number(m[2])
  if (base === null || prefix > 32) return null
  const size = 2 ** (32 - prefix)
  const first = Math.floor(base / size) * size
  return { first, last: first + size - 1, prefix, canonical: first === base }
}

/** A canonical CIDR: network address with no host bits set. */
export const isCidr = (s: string): boolean => parseCidr(s)?.canonical === true

/**
 * MetalLB's two pool syntaxes: `a.b.c.d-e.f.g.h` (inclusive, first ≤ last) or a CIDR. The shorthand
 * `10.0.0.100-110` seen in docs is not accepted by MetalLB, so not here either.
 */
export function parseRange(s: string): IPv4Range | null {
  const t = s.trim()
  if (t.includes('/')) {
    const c = parseCidr(t)
    return c && c.canonical ? { first: c.first, last: c.last } : null
  }
  const m = /^([^-\s]+)\s*-\s*([^-\s]+)$/.exec(t)
  if (!m) return null
  const first = parseIPv4(m[1]!)
  const last = parseIPv4(m[2]!)
  return first !== null && last !== null && first <= last ? { first, last } : null
}

export const isRange = (s: string): boolean => parseRange(s) !== null

const asRange = (r: string | IPv4Range): IPv4Range | null => {
  if (typeof r !== 'string') return r
  if (isIPv4(r)) return { first: parseIPv4(r)!, last: parseIPv4(r)! }
  return parseRange(r)
}

/** True when the two ranges/CIDRs/addresses share at least one address. False when either is invalid. */
export function rangesOverlap(a: string | IPv4Range, b: string | IPv4Range): boolean {
  const x = asRange(a)
  const y = asRange(b)
  return !!x && !!y && x.first <= y.last && y.first <= x.last
}

/** True when every address of `inner` (range, CIDR or address) is in `outer`. */
export function rangeContains(outer: string | IPv4Range, inner: string | IPv4Range): boolean {
  const o = asRange(outer)
  const i = asRange(inner)
  return !!o && !!i && o.first <= i.first && i.last <= o.last
}

export function rangeSize(r: string | IPv4Range): number {
  const x = asRange(r)
  return x ? x.last - x.first + 1 : 0
}

/** Why `s` is not a range, as an "expected" phrase for a ConfigError; null when it is fine. */
export function rangeProblem(s: string): string | null {
  if (parseRange(s)) return null
  if (/^\d+\.\d+\.\d+\.\d+-\d+$/.test(s.trim())) return 'a range with two full addresses (a.b.c.d-a.b.c.e) or a CIDR'
  const c = parseCidr(s)
  if (c && !c.canonical) return `a CIDR with no host bits set (${formatIPv4(c.first)}/${c.prefix})`
  return 'an IPv4 range a.b.c.d-e.f.g.h (first ≤ last) or a CIDR a.b.c.d/n'
}

/** Every pair among `named` that overlaps, e.g. to check MetalLB pools against pod/service CIDRs. */
export function findOverlaps(named: Readonly<Record<string, string>>): Array<[string, string]> {
  const keys = Object.keys(named)
  const out: Array<[string, string]> = []
  keys.forEach((a, i) => keys.slice(i + 1).forEach((b) => {
    if (rangesOverlap(named[a]!, named[b]!)) out.push([a, b])
  }))
  return out
}
