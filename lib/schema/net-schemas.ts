/**
 * Schemas for the network and version values roles take in their vars (pod/service CIDRs, MetalLB
 * pools, endpoints, the Kubernetes version), built on net.ts and semver so a bad value is a
 * ConfigError at inventory load — file, key, expected, found — before anything is contacted.
 */
import semver from 'semver'
import { formatIPv4, isAddress, parseCidr, rangeProblem } from './net.ts'
import { custom, type Schema } from './validate.ts'

/** An IPv4 CIDR with no host bits set: `10.244.0.0/16`. */
export function cidr(): Schema<string> {
  return custom('an IPv4 CIDR with no host bits set, like 10.244.0.0/16', (v) => {
    const c = typeof v === 'string' ? parseCidr(v) : null
    if (!c) return { error: 'an IPv4 CIDR like 10.244.0.0/16 (prefix 0..32)' }
    return c.canonical ? (v as string) : { error: `a CIDR with no host bits set (${formatIPv4(c.first)}/${c.prefix})` }
  })
}

/** A MetalLB-style pool: `a.b.c.d-e.f.g.h` (first ≤ last) or a CIDR. */
export function ipRange(): Schema<string> {
  const expected = 'an IPv4 range a.b.c.d-e.f.g.h or a CIDR'
  return custom(expected, (v) => {
    if (typeof v !== 'string') return { error: expected }
    const problem = rangeProblem(v)
    return problem ? { error: problem } : v
  })
}

/** An IPv4/IPv6 address or host name. */
export function address(): Schema<string> {
  const expected = 'an IPv4/IPv6 address or host name'
  return custom(expected, (v) => (typeof v === 'string' && isAddress(v) ? v : { error: expected }))
}

/**
 * A Kubernetes version: `1.31` (the latest patch of a minor) or `1.31.4`, `v` prefix allowed;
 * normalised to no prefix. `banana`, `1`, `1.31.4.1`, `1.31.x` are refused.
 */
export function kubernetesVersion(): Schema<string> {
  const expected = 'a Kubernetes version like 1.31 or 1.31.4 (a leading v is allowed)'
  return custom(expected, (v) => {
    // YAML reads `1.30` as the number 1.3: only a quoted string says what the user meant.
    if (typeof v === 'number') return { error: `${expected}, quoted (YAML reads 1.30 as the number 1.3)` }
    if (typeof v !== 'string') return { error: expected }
    const s = String(v).trim().replace(/^v/, '')
    if (/^1\.\d{1,2}$/.test(s)) return s
    const parsed = semver.valid(s)
    return parsed && semver.major(parsed) === 1 && !semver.prerelease(parsed) ? parsed : { error: expected }
  })
}
