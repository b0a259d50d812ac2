/**
 * An apt source under /etc/apt/sources.list.d (deb822 `.sources` or one-line `.list`) with its
 * signing key pinned by sha256. The package lists are refreshed only when the source changed.
 */
import { sh } from '../connection/quote.ts'
import { change, defineModule, noChange, type FileDiff } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'
import { batchCommand, fileSection, parseBatch, readFileCommand } from '../facts/batch.ts'
import { aptUpdateCommand } from './apt-packages.ts'
import { fetchOnHost, validateFetch } from './download.ts'

export type SignedBy =
  /** Fetched to /etc/apt/keyrings/<name>.asc (.gpg when the URL ends in .gpg) and verified. */
  | { readonly url: string; readonly sha256: string }
  /** A keyring already on the host. */
  | { readonly path: string }

export interface AptRepositoryParams {
  /** File name stem: `kubernetes` → /etc/apt/sources.list.d/kubernetes.sources */
  readonly name: string
  /** Repository base URL(s) (deb822 `URIs:`). */
  readonly uris: string | readonly string[]
  /** `bookworm`, or a path ending in `/` for a flat repository (`/` for pkgs.k8s.io). */
  readonly suites: string | readonly string[]
  /** Required unless the suite is a flat path. */
  readonly components?: readonly string[]
  /** Keyring for `signed-by`: fetched from a URL and checked against a sha256 pin, or a file already on the host. */
  readonly signedBy?: SignedBy
  /** Accept the source unsigned (`trusted=yes`). Only for local or lab mirrors. @default false */
  readonly trusted?: boolean
  /** @default 'deb822' */
  readonly format?: 'deb822' | 'list'
  /** Limit to these architectures (`Architectures:` / `[arch=…]`). @default every architecture */
  readonly arch?: string | readonly string[]
  /** @default 'present' */
  readonly state?: 'present' | 'absent'
  /** Run `apt-get update` after the source changed. @default true */
  readonly update?: boolean
}

export interface AptRepositoryPlan {
  readonly source: FileDiff
  /** The same source in the other format (left from a format switch). */
  readonly removeOther: string | null
  readonly fetchKey: boolean
  readonly removeKey: string | null
  readonly update: boolean
}

const list = (v: string | readonly string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : [...v])
const HEADER = '# Managed by kubeplay: changes here are overwritten.\n'

export function sourcePath(p: Pick<AptRepositoryParams, 'name' | 'format'>, format = p.format ?? 'deb822'): string {
  return `/etc/apt/sources.list.d/${p.name}.${format === 'deb822' ? 'sources' : 'list'}`
}

/** Where the keyring lives: the given path, or the fetched key's file. */
export function keyringPath(p: Pick<AptRepositoryParams, 'name' | 'signedBy'>): string | null {
  if (!p.signedBy) return null
  if ('path' in p.signedBy) return p.signedBy.path
  return `/etc/apt/keyrings/${p.name}.${/\.gpg$/i.test(p.signedBy.url) ? 'gpg' : 'asc'}`
}

function validate(p: AptRepositoryParams): void {
  const fail = (m: string) => { throw new ModuleError('aptRepository', `${p.name}: ${m}`) }
  if (!/^[A-Za-z0-9_.-]+$/.test(p.name)) fail(`name: expected letters, digits, '_', '.', '-', found '${p.name}'`)
  if (p.state === 'absent') return
  const words = [...list(p.uris), ...list(p.suites), ...(p.components ?? []), ...list(p.arch), keyringPath(p) ?? '']
  const bad = words.find((w) => /[\s\]]/.test(w))
  if (bad !== undefined) fail(`expected no whitespace or ']' in uris/suites/components/arch/signedBy, found '${bad}'`)
  if (!list(p.uris).length) fail('uris: expected at least one URI, found none')
  if (!list(p.suites).length) fail('suites: expected at least one suite, found none')
  const flat = list(p.suites).every((s) => s.endsWith('/'))
  if (flat && p.components?.length) fail(`components: expected none for the flat suite '${list(p.suites)[0]}', found ${p.components.join(' ')}`)
  if (!flat && !p.components?.length) fail(`components: expected at least one (e.g. main) for suite '${list(p.suites)[0]}', found none`)
  if (p.signedBy && 'url' in p.signedBy) validateFetch('aptRepository', { url: p.signedBy.url, sha256: p.signedBy.sha256, dest: keyringPath(p)! })
}

/** Pure: the source file's content. */
export function renderSource(p: AptRepositoryParams): string {
  const key = keyringPath(p)
  const arch = list(p.arch)
  const comps = p.components ?? []
  if ((p.format ?? 'deb822') === 'deb822') {
    const fields: [string, string[]][] = [
      ['Types', ['deb']], ['URIs', list(p.uris)], ['Suites', list(p.suites)], ['Components', [...comps]],
      ['Architectures', arch], ['Signed-By', key ? [key] : []], ['Trusted', p.trusted ? ['yes'] : []],
    ]
    return HEADER + fields.filter(([, v]) => v.length).map(([k, v]) => `${k}: ${v.join(' ')}\n`).join('')
  }
  const opts = [arch.length && `arch=${arch.join(',')}`, key && `signed-by=${key}`, p.trusted && 'trusted=yes'].filter(Boolean)
  const bracket = opts.length ? ` [${opts.join(' ')}]` : ''
  const lines = list(p.uris).flatMap((u) => list(p.suites).map((s) => `deb${bracket} ${[u, s, ...comps].join(' ')}\n`))
  return HEADER + lines.join('')
}

export const aptRepository = defineModule<AptRepositoryParams, AptRepositoryPlan>({
  name: 'aptRepository',
  async check(host, p) {
    validate(p)
    const path = sourcePath(p)
    const other = sourcePath(p, (p.format ?? 'deb822') === 'deb822' ? 'list' : 'deb822')
    const key = keyringPath(p)
    const fetched = p.signedBy && 'url' in p.signedBy ? key : null
    const [src, oth, sum] = parseBatch((await host.exec(batchCommand([
      readFileCommand(path),
      sh`[ -e ${other} ]`,
      fetched ? sh`sha256sum < ${fetched}` : sh`false`,
    ]))).stdout, 3)
    const before = fileSection(src!, path)
    const present = p.state !== 'absent'
    const after = present ? renderSource(p) : null
    const keyOk = sum!.code === 0 && p.signedBy && 'url' in p.signedBy && sum!.out.split(' ')[0] === p.signedBy.sha256.toLowerCase()
    const fetchKey = present && !!fetched && !keyOk
    const removeKey = !present && sum!.code === 0 ? fetched : null
    const removeOther = oth!.code === 0 ? other : null
    const sourceChanged = before !== after || removeOther !== null
    if (!sourceChanged && !fetchKey && !removeKey) return noChange(`${path}: already ${present ? 'present' : 'absent'}`)
    const what = [sourceChanged && `${present ? 'write' : 'remove'} ${path}`, fetchKey && `fetch key ${key}`, removeKey && `remove ${removeKey}`]
    return change(what.filter(Boolean).join(', '), {
      diff: { path, before, after },
      data: { source: { path, before, after }, removeOther, fetchKey, removeKey, update: (p.update ?? true) && (sourceChanged || fetchKey) },
    })
  },
  async apply(host, p, plan) {
    const d = plan.data
    if (d.fetchKey && p.signedBy && 'url' in p.signedBy) {
      await fetchOnHost(host, 'aptRepository', { url: p.signedBy.url, sha256: p.signedBy.sha256, dest: keyringPath(p)!, mode: '0644' })
    }
    if (d.source.after !== null && d.source.after !== d.source.before) {
      await host.run(sh`mkdir -p /etc/apt/sources.list.d`)
      await host.conn.writeFile(d.source.path, d.source.after, { mode: '0644' })
    }
    const rm = [d.source.after === null && d.source.before !== null && d.source.path, d.removeOther, d.removeKey].filter((x): x is string => !!x)
    if (rm.length) await host.run(sh`rm -f -- ${rm}`)
    if (d.update) {
      await host.run(aptUpdateCommand())
      return { output: 'package lists updated' }
    }
  },
})
