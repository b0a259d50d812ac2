/**
 * Pure rendering for the common role: the files it writes, as functions of settings and inventory.
 * The tasks render the same templates through the `template` module, so these outputs are exactly
 * what lands on the hosts (golden-tested in test/roles/common.test.ts).
 */
import { fileURLToPath } from 'node:url'
import { normalizeSysctlValue } from '../../lib/facts/sysctl.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import { isIPv4, isIPv6 } from '../../lib/schema/net.ts'
import { selectHosts } from '../../lib/inventory/pattern.ts'
import { renderTemplateFile } from '../../lib/modules/template.ts'

export const TEMPLATES = {
  sysctl: fileURLToPath(new URL('./templates/sysctl.conf.hbs', import.meta.url)),
  chrony: fileURLToPath(new URL('./templates/chrony.sources.hbs', import.meta.url)),
  timesyncd: fileURLToPath(new URL('./templates/timesyncd.conf.hbs', import.meta.url)),
} as const

function render(which: keyof typeof TEMPLATES, vars: Record<string, unknown>): string {
  return renderTemplateFile(TEMPLATES[which], vars)
}

/** Template vars for the sysctl.d file: one `name = value` entry per key, in the given order. */
export function sysctlVars(values: Readonly<Record<string, string | number>>): { entries: { name: string; value: string }[] } {
  return { entries: Object.entries(values).map(([name, v]) => ({ name, value: normalizeSysctlValue(v) })) }
}

export function renderSysctlConf(values: Readonly<Record<string, string | number>>): string {
  return render('sysctl', sysctlVars(values))
}

/** chrony `sources.d` file: `server X iburst` per NTP server. */
export function renderChronySources(servers: readonly string[]): string {
  return render('chrony', { servers })
}

/** systemd-timesyncd drop-in: `NTP=` with every server. */
export function renderTimesyncdConf(servers: readonly string[]): string {
  return render('timesyncd', { servers })
}

export interface HostsBlock {
  /** The managed block's lines (without markers). */
  readonly block: string
  /** Hosts left out: their inventory address is a DNS name, not an IP. */
  readonly skipped: readonly string[]
}

/**
 * `/etc/hosts` lines for every node of `group`: `address name [hostname]`, the host's own
 * `common.hostname` as an alias when it differs from its inventory name, then `extra` lines as given.
 */
export function hostsBlock(inv: Inventory, group: string, extra: readonly string[] = []): HostsBlock {
  const lines: string[] = []
  const skipped: string[] = []
  for (const name of selectHosts(inv, group, 'common.clusterGroup')) {
    const h = inv.hosts.get(name)!
    const addr = h.connection.address
    if (!isIPv4(addr) && !isIPv6(addr)) { skipped.push(name); continue }
    const own = (h.vars.common as { hostname?: unknown } | undefined)?.hostname
    const names = typeof own === 'string' && own !== name ? [name, own] : [name]
    lines.push(`${addr} ${names.join(' ')}`)
  }
  return { block: [...lines, ...extra].join('\n'), skipped }
}
