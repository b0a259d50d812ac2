/**
 * group_vars / host_vars, the Ansible way, plus typed `.ts` files.
 *
 * For a group (or host) X, in each vars directory, these are merged, later winning:
 *   X (no extension, YAML) < X.json < X.yaml < X.yml < X.js < X.ts < X/* (sorted by name)
 * Directories, later winning: `group_vars/` beside the inventory < `group_vars/` of the project root
 * (cwd), as Ansible lets playbook-adjacent group_vars override inventory-adjacent ones.
 * Within one directory, the files of one group merge mapping by mapping; one setting given two
 * different values by two files is an error naming both. A later directory overrides an earlier one
 * leaf by leaf (mappings merge; lists and scalars replace). A file named almost like a group
 * (`k8s_cluster.yml` for `k8s-cluster`) is an error rather than ignored.
 *
 * Precedence of the result across groups is resolve's job: all < parent groups < child groups < host,
 * and for one group, these files override the vars written inline in the inventory.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve as resolvePath } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigError } from '../errors.ts'
import type { Secret } from '../secret.ts'
import { isSecretVarName } from '../secrets.ts'
import type { Vars } from './types.ts'
import { parseYaml } from './ansible.ts'
import { splitAnsibleVars } from './ansible-vars.ts'
import { describe, validate, type Schema } from '../schema/validate.ts'
import { decryptInline, decryptVault, isVaultText, secretLeaves } from '../vault.ts'
import { attachOrigins, noteOrigin, type Origins } from './origins.ts'
import { jinjaProblems, mergeFileVars, overrideVars, wrapSecretVars } from './vars-merge.ts'

export { jinjaProblems, overrideVars, wrapSecretVars }

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
    let text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '')
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
  // Secret-like names are Secrets from here on, so no error message can echo their value.
  return vaulted ? secretLeaves(vars, 'vault') : wrapSecretVars(vars)
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
  const origins: Origins = new Map()
  for (const dir of dirs) {
    let inDir: Vars | undefined
    const setBy = new Map<string, string>()
    for (const file of varsFilesFor(dir, name)) {
      const raw = await readVarsFile(file, errors, opts)
      if (!raw) continue
      errors.push(...jinjaProblems(raw, file))
      let vars = splitAnsibleVars(raw, file, (k) => k, errors).clean
      if (opts.schema) {
        // partial: a required key may live in another file of the same group.
        const r = validate(opts.schema, vars, file, { partial: true })
        errors.push(...r.errors)
        vars = (r.value as Vars | undefined) ?? {}
      }
      inDir = mergeFileVars(inDir ?? {}, vars, { file, group: name, setBy, errors })
      noteOrigin(origins, vars, file)
    }
    // A later directory overrides an earlier one leaf by leaf (mappings merge, the rest replaces).
    if (inDir) merged = merged ? overrideVars(merged, inDir) : inDir
  }
  return merged && attachOrigins(merged, origins)
}

/** Pure: `k8s_cluster` and `k8s-cluster` (and `K8s.Cluster`) compare equal. */
const looseName = (n: string): string => n.toLowerCase().replace(/[-_.]/g, '')

/**
 * Vars files and directories in `dir` named almost like a group (or host) but not exactly
 * (`group_vars/k8s_cluster.yml` for the group `k8s-cluster`): Ansible ignores them in silence,
 * which loses every setting in them. Names far from every group are left alone (the project's
 * group_vars/ may serve several inventories).
 */
export function nearMissVarsFiles(dir: string, names: readonly string[], errors: ConfigError[], kind: 'group' | 'host'): void {
  const exact = new Set(names)
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('.')) continue
    const base = entry.replace(VARS_FILE, '')
    if (exact.has(base)) continue
    const near = names.find((n) => looseName(n) === looseName(base))
    if (near) errors.push(new ConfigError(join(dir, entry), '(file name)', `the name of a ${kind} of the inventory ('${near}')`, `'${base}', which matches no ${kind}: its vars would be ignored`))
  }
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
  for (const d of dirs) nearMissVarsFiles(d, names, errors, kind === 'group_vars' ? 'group' : 'host')
  for (const n of names) {
    const v = await loadVarsFor(dirs, n, errors, opts)
    if (v) out[n] = v
  }
  return out
}
