/**
 * Debian package state for a set of names, in one round trip: installed versions (dpkg status),
 * holds (`apt-mark showhold`), apt's candidates (only when asked) and the age of the package lists.
 */
import { sh } from '../connection/quote.ts'
import { defineFact } from '../engine/module.ts'
import { batchCommand, parseBatch } from './batch.ts'

/** Written after every successful `apt-get update` kubeplay runs, so cache age survives 304s. */
export const APT_UPDATE_STAMP = '/var/lib/apt/periodic/kubeplay-update-stamp'

export interface DpkgQuery {
  readonly names: readonly string[]
  /** Also read apt's candidate versions (`apt-cache policy`). @default false */
  readonly candidates?: boolean
}

export interface DpkgState {
  /** name → installed version; absent names are not installed (config-files only counts as absent). */
  readonly installed: ReadonlyMap<string, string>
  readonly holds: ReadonlySet<string>
  /** name → candidate version; absent when apt knows no candidate or candidates were not asked. */
  readonly candidates: ReadonlyMap<string, string>
  /** Seconds since the package lists were last refreshed; null when there are no lists at all. */
  readonly cacheAgeSeconds: number | null
}

/** Pure: `${Package}\t${Version}\t${db:Status-Abbrev}` lines → installed versions. */
export function parseDpkgStatus(out: string): Map<string, string> {
  const installed = new Map<string, string>()
  for (const line of out.split('\n')) {
    const [name, version, abbrev] = line.split('\t')
    // second letter of the abbreviation is the current state; W/t are installed with triggers pending
    if (name && version && abbrev && /^.[iWt]/.test(abbrev)) installed.set(name, version)
  }
  return installed
}

/** Pure: `apt-cache policy` output → candidate versions. */
export function parseCandidates(out: string): Map<string, string> {
  const candidates = new Map<string, string>()
  let current = ''
  for (const line of out.split('\n')) {
    const head = /^(\S+):$/.exec(line)
    if (head) { current = head[1]!; continue }
    const cand = /^\s+Candidate:\s+(\S+)/.exec(line)
    if (cand && current && cand[1] !== '(none)') candidates.set(current, cand[1]!)
  }
  return candidates
}

/** Pure: `now`, `stamp <mtime>` lines and `lists <count>` → seconds since the newest refresh. */
export function parseCacheAge(out: string): number | null {
  const lines = out.trim().split('\n')
  const now = Number(lines[0])
  let lists = 0
  let newest = -1
  for (const l of lines.slice(1)) {
    const [k, v] = l.split(' ')
    if (k === 'lists') lists = Number(v)
    else if (k === 'stamp') newest = Math.max(newest, Number(v))
  }
  if (lists === 0 || newest < 0 || !Number.isFinite(now)) return null
  return Math.max(0, now - newest)
}

export const dpkgPackages = defineFact<DpkgQuery, DpkgState>({
  name: 'dpkgPackages',
  command: (q) => batchCommand([
    sh`dpkg-query -W -f '\${Package}\t\${Version}\t\${db:Status-Abbrev}\n' ${[...q.names]}`,
    sh`apt-mark showhold`,
    q.candidates ? sh`LC_ALL=C apt-cache policy ${[...q.names]}` : sh`:`,
    sh`date +%s
for f in ${APT_UPDATE_STAMP} /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists; do
  [ -e "$f" ] && echo "stamp $(stat -c %Y "$f")"
done
echo "lists $(ls /var/lib/apt/lists | grep -c '_Packages')"`,
  ]),
  parse: (r) => {
    const [status, holds, policy, age] = parseBatch(r.stdout, 4)
    return {
      installed: parseDpkgStatus(status!.out),
      holds: new Set(holds!.out.split('\n').map((s) => s.trim()).filter(Boolean)),
      candidates: parseCandidates(policy!.out),
      cacheAgeSeconds: parseCacheAge(age!.out),
    }
  },
})
