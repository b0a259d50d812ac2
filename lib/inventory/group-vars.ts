/**
 * group_vars / host_vars, the Ansible way, plus typed `.ts` files.
 *
 * For a group (or host) X, in each vars directory, these are merged, later winning:
 *   X (no extension, YAML) < X.json < X.yaml < X.yml < X.js < X.ts < X/* (sorted by name)
 * Directories, later winning: `group_vars/` beside the inventory < `group_vars/` of the project root
 * (cwd), as Ansible lets playbook-adjacent group_vars override inventory-adjacent ones.
 * Merging is shallow (Ansible's `hash_behaviour = replace`): a key set in a later file replaces the
 * whole value.
 *
 * Precedence of the result across groups is resolve's job: all < parent groups < child groups < host,
 * and for one group, these files override the vars written inline in the inventory.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve as resolvePath } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigError } from '../errors.ts'
import { Secret } from '../connection/quote.ts'
import { isSecretVarName } from '../secrets.ts'
import type { Vars } from './types.ts'
import { parseYaml } from './ansible.ts'
import { splitAnsibleVars } from './ansible-vars.ts'
import { describe, validate, type Schema } from './validate.ts'
import { decryptInline, decryptVault, isVaultText, secretLeaves } from '../vault.ts'

export { isSecretVarName }

const EXTENSIONS = ['', '.json', '.yaml', '.yml', '.js', '.ts'] as const
const VARS_FILE = /\.(json|ya?ml|js|ts)$/

/** Files holding vars for `name` in `dir`, lowest precedence first. Only existing files. */
export function varsFilesFor(dir: string, name: string): string[] {
  const out = EXTENSIONS.map((e) => join(dir, name + e)).filter((f) => existsSync(f) && statSync(f).isFile())
  const sub = join(dir, name)
  if (existsSync(sub) && statSync(sub).isDirectory()) {
    out.push(...readdirSync(sub).filter((f) => !f.startsWith('.') && VARS_FILE.test(f)).sort().map((f) => join(sub, f)))
  }
  return out
}

export function wrapSecretVars<T>(value: T, key = ''): T {
  if (typeof value === 'string') return (key && isSecretVarName(key) ? new Secret(value, key) : value) as T
  if (Array.isArray(value)) return value.map((v) => wrapSecretVars(v, key)) as T
  if (typeof value === 'object' && value !== null && !(value instanceof Secret) && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wrapSecretVars(v, k)])) as T
  }
  return value
}

/** One vars file's content, or undefined after recording why not. YAML errors name the line. */
export async function readVarsFile(file: string, errors: ConfigError[], opts: Pick<VarsLoadOptions, 'vaultPassword'> = {}): Promise<Vars | undefined> {
  let vaulted = false
  let data: unknown
  if (/\.(ts|js)$/.test(file)) {
    try {
      data = ((await import(pathToFileURL(resolvePath(file)).href)) as { default?: unknown }).default
    } catch (e) {
      errors.push(new ConfigError(file, '(module)', 'a module that loads', String((e as Error).message ?? e).split('\n')[0]!, { cause: e }))
      return undefined
    }
  } else {
    let text = readFileSync(file, 'utf8')
    if (isVaultText(text)) {
      // An `ansible-vault encrypt`ed file (group_vars/all/vault.yml): decrypt, then read as usual.
      if (!opts.vaultPassword) {
        errors.push(new ConfigError(file, '(vault)', 'a vault password to decrypt it (--vault-password-file or $KUBEPLAY_VAULT_PASSWORD_FILE)', 'none given'))
        return undefined
      }
      try {
        text = decryptVault(text, opts.vaultPassword, file, '(vault)').toString('utf8')
        vaulted = true
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e
        errors.push(e)
        return undefined
      }
    }
    if (file.endsWith('.json')) {
      const r = parseJson(text, file, errors)
      if (r === undefined) return undefined
      data = r
    } else {
      const before = errors.length
      data = parseYaml(text, file, errors)
      if (errors.length > before) return undefined
    }
  }
  if (data === null || data === undefined) return {} // an empty YAML file: no vars
  if (typeof data !== 'object' || Array.isArray(data)) {
    errors.push(new ConfigError(file, '(top level)', /\.(ts|js)$/.test(file) ? 'a default export of a vars object' : 'a mapping of vars', describe(data)))
    return undefined
  }
  // `key: !vault |` values arrive as their vault text; whole vault files are secret throughout.
  const vars = decryptInline(data as Vars, file, opts.vaultPassword, errors)
  return vaulted ? secretLeaves(vars, 'vault') : vars
}

/** JSON.parse with the error as a ConfigError naming the line. */
export function parseJson(text: string, file: string, errors: ConfigError[]): unknown {
  try {
    return JSON.parse(text)
  } catch (e) {
    const msg = (e as Error).message
    const lineCol = /\(line (\d+) column (\d+)\)/.exec(msg)
    const pos = /at position (\d+)/.exec(msg)
    const line = lineCol ? Number(lineCol[1]) : pos ? text.slice(0, Number(pos[1])).split('\n').length : undefined
    errors.push(new ConfigError(file, line ? `line ${line}` : '(document)', 'valid JSON', msg.replace(/ \(line \d+ column \d+\)/, '')))
    return undefined
  }
}

export interface VarsLoadOptions {
  /** Known vars and their types; checked in every file, each error naming the file and key. */
  readonly schema?: Schema<unknown>
  /** Opens Ansible Vault content: encrypted vars files and inline `!vault` values. */
  readonly vaultPassword?: Secret
}

/**
 * Loads and merges the vars of `name` from `dirs` (lowest precedence first). Invalid ansible_* and
 * schema errors are recorded; the offending keys are dropped so nothing invalid reaches a host.
 */
export async function loadVarsFor(dirs: readonly string[], name: string, errors: ConfigError[],
  opts: VarsLoadOptions = {}): Promise<Vars | undefined> {
  let merged: Vars | undefined
  for (const dir of dirs) {
    for (const file of varsFilesFor(dir, name)) {
      const raw = await readVarsFile(file, errors, opts)
      if (!raw) continue
      let vars = splitAnsibleVars(raw, file, (k) => k, errors).clean
      if (opts.schema) {
        // partial: a required key may live in another file of the same group.
        const r = validate(opts.schema, vars, file, { partial: true })
        errors.push(...r.errors)
        vars = (r.value as Vars | undefined) ?? {}
      }
      merged = { ...merged, ...vars }
    }
  }
  return merged
}

/** `group_vars/` (or `host_vars/`) under each base directory that has one, duplicates removed. */
export function varsDirs(bases: readonly string[], kind: 'group_vars' | 'host_vars'): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const b of bases) {
    const d = resolvePath(b, kind)
    if (seen.has(d) || !existsSync(d) || !statSync(d).isDirectory()) continue
    seen.add(d)
    out.push(d)
  }
  return out
}

/** Vars of every named group (or host) that has files, keyed by name. */
export async function loadAllVars(bases: readonly string[], kind: 'group_vars' | 'host_vars', names: readonly string[],
  errors: ConfigError[], opts: VarsLoadOptions = {}): Promise<Record<string, Vars>> {
  const dirs = varsDirs(bases, kind)
  const out: Record<string, Vars> = {}
  if (dirs.length === 0) return out
  for (const n of names) {
    const v = await loadVarsFor(dirs, n, errors, opts)
    if (v) out[n] = v
  }
  return out
}
