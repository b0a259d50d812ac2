/**
 * Role-local modules: the registry hosts directory as a whole (one hosts.toml per mirrored
 * registry, stale kubeplay-managed ones removed) and the check that the daemon answers.
 */
import { dirname } from 'node:path'
import { sh } from '../../lib/connection/quote.ts'
import { change, defineModule, noChange, type FileDiff } from '../../lib/engine/module.ts'
import { ModuleError } from '../../lib/errors.ts'
import { batchCommand, fileSection, parseBatch, readFileCommand } from '../../lib/facts/batch.ts'
import { parseCtrVersion } from './render.ts'

const MARK = '# Managed by kubeplay'

export interface RegistryHostsParams {
  /** `/etc/containerd/certs.d` */
  readonly dir: string
  /** registry → hosts.toml content */
  readonly files: Readonly<Record<string, string>>
}

export interface RegistryHostsPlan {
  readonly writes: readonly FileDiff[]
  /** Managed hosts.toml files of registries no longer configured. */
  readonly removes: readonly string[]
}

/** Pure: writes for files that differ, removals for managed files not wanted any more. */
export function planRegistryHosts(p: RegistryHostsParams, current: ReadonlyMap<string, string | null>, managed: readonly string[]): RegistryHostsPlan {
  const wanted = new Map(Object.entries(p.files).map(([reg, text]) => [`${p.dir}/${reg}/hosts.toml`, text]))
  const writes = [...wanted].filter(([path, text]) => current.get(path) !== text)
    .map(([path, after]) => ({ path, before: current.get(path) ?? null, after }))
  return { writes, removes: managed.filter((f) => !wanted.has(f)).sort() }
}

export const registryHosts = defineModule<RegistryHostsParams, RegistryHostsPlan>({
  name: 'registryHosts',
  async check(host, p) {
    const paths = Object.keys(p.files).map((reg) => `${p.dir}/${reg}/hosts.toml`)
    const sections = parseBatch((await host.exec(batchCommand([
      sh`for f in ${p.dir}/*/hosts.toml; do if [ -f "$f" ] && grep -q ${`^${MARK}`} "$f"; then printf '%s\n' "$f"; fi; done`,
      ...paths.map((f) => readFileCommand(f)),
    ]))).stdout, paths.length + 1)
    const managed = sections[0]!.out.split('\n').filter(Boolean)
    const current = new Map(paths.map((f, i) => [f, fileSection(sections[i + 1]!, f)]))
    const plan = planRegistryHosts(p, current, managed)
    if (!plan.writes.length && !plan.removes.length) {
      return noChange(paths.length ? `${paths.length} registry hosts.toml file(s) already as wanted` : `no registry mirrors, none left in ${p.dir}`)
    }
    const what = [...plan.writes.map((w) => `${w.before === null ? 'create' : 'update'} ${w.path}`), ...plan.removes.map((r) => `remove ${r}`)]
    return change(what.join(', '), { diff: plan.writes[0], data: plan })
  },
  async apply(host, _p, { data }) {
    for (const w of data.writes) {
      await host.run(sh`mkdir -p -- ${dirname(w.path)}`)
      await host.conn.writeFile(w.path, w.after!, { mode: '0644' })
    }
    // the registry's directory goes too when nothing else (certificates) is left in it
    for (const r of data.removes) await host.run(sh`rm -f -- ${r} && { rmdir -- ${dirname(r)} 2>/dev/null || true; }`)
  },
})

export interface ContainerdServerParams {
  /** @default '/run/containerd/containerd.sock' */
  readonly socket: string
  /** How long apply waits for the daemon. @default 30000 */
  readonly timeoutMs?: number
}

/**
 * containerd answers on its socket (`ctr version` shows a server version). Read-only: ok when it
 * answers; otherwise apply waits for it (a restart just happened) and fails with the unit's status.
 */
export const containerdServer = defineModule<ContainerdServerParams, undefined>({
  name: 'containerdServer',
  async check(host, p) {
    const v = parseCtrVersion((await host.exec(sh`ctr --address ${p.socket} version`)).stdout)
    return v ? noChange(`containerd ${v} answers on ${p.socket}`) : change(`wait for containerd to answer on ${p.socket}`)
  },
  async apply(host, p) {
    const secs = Math.ceil((p.timeoutMs ?? 30_000) / 1000)
    const r = await host.exec(sh`i=0; until ctr --address ${p.socket} version 2>&1; do i=$((i+1)); [ "$i" -ge ${secs} ] && exit 1; sleep 1; done`)
    const v = parseCtrVersion(r.stdout)
    if (!v) {
      const status = await host.exec(sh`systemctl status --no-pager --lines=15 containerd`)
      throw new ModuleError('containerdServer', `containerd did not answer on ${p.socket} within ${secs} s: ${r.stdout.trim().split('\n').slice(-2).join(' ')}\n${status.stdout.trim()}`)
    }
    return { changed: false, output: `containerd ${v} answers` }
  },
})
