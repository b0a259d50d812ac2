/**
 * `loadInventory(src)`: find the source, read it into an InventorySpec (TS/JS module, JSON, Ansible
 * INI or YAML, an Ansible inventory directory, or a named lab), load group_vars/host_vars, resolve.
 * Every problem of every stage is collected and thrown once as ConfigErrors, before anything
 * connects anywhere: this file only reads local files.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, extname, join, resolve as resolvePath } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigError, ConfigErrors } from '../errors.ts'
import type { Inventory, InventorySpec } from './types.ts'
import { parseAnsibleIni, parseAnsibleYaml } from './ansible.ts'
import { jinjaProblems, loadAllVars, parseJson, wrapSecretVars, type VarsLoadOptions } from './group-vars.ts'
import { resolveInventory, type ResolveOptions } from './resolve.ts'
import { describe, joinKey, validate } from '../schema/validate.ts'
import { decryptInline } from '../vault.ts'
import { labInventoryFile } from './lab-name.ts'

export interface LoadOptions extends VarsLoadOptions {
  /** Project root whose `group_vars/` and `host_vars/` apply too. @default process.cwd() */
  readonly cwd?: string
  /** @default process.env */
  readonly env?: ResolveOptions['env']
}

/** In an inventory directory, the files that can be the inventory; more than one is ambiguous. */
export const DIRECTORY_CANDIDATES = ['inventory.ts', 'inventory.js', 'inventory.json', 'hosts.yml', 'hosts.yaml', 'hosts.ini', 'hosts'] as const

interface Source {
  readonly spec?: InventorySpec
  /** Directory whose group_vars/ and host_vars/ belong to this inventory. */
  readonly dir: string
  readonly file: string
  readonly source: string
}

/** Reads one inventory file by its kind; errors are collected. */
export async function readInventoryFile(file: string, errors: ConfigError[]): Promise<InventorySpec | undefined> {
  const ext = extname(file).toLowerCase()
  if (['.ts', '.js', '.mjs', '.mts'].includes(ext)) {
    let mod: { default?: unknown }
    try {
      mod = (await import(pathToFileURL(resolvePath(file)).href)) as { default?: unknown }
    } catch (e) {
      errors.push(new ConfigError(file, '(module)', 'a module that loads', String((e as Error).message ?? e).split('\n')[0]!, { cause: e }))
      return undefined
    }
    // CJS interop outside a `"type": "module"` package can nest the export once more.
    if (mod.default && typeof mod.default === 'object' && !('hosts' in mod.default) && 'default' in mod.default) {
      mod = mod.default as { default?: unknown }
    }
    if (typeof mod.default !== 'object' || mod.default === null) {
      errors.push(new ConfigError(file, 'default export', 'an InventorySpec (export default defineInventory({ hosts: … }))', describe(mod.default)))
      return undefined
    }
    return mod.default as InventorySpec
  }
  // A UTF-8 byte order mark (Windows editors) is not part of the content.
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '')
  if (ext === '.json') return parseJson(text, file, errors) as InventorySpec | undefined
  const imported = ext === '.yml' || ext === '.yaml' ? parseAnsibleYaml(text, file) : parseAnsibleIni(text, file)
  errors.push(...imported.errors)
  return imported.spec
}

async function findSource(src: string, errors: ConfigError[]): Promise<Source | undefined> {
  const lab = /^lab(?::(.+))?$/.exec(src)
  if (lab && !existsSync(src)) {
    const name = lab[1] ?? 'kubeplay'
    let file: string
    try {
      file = labInventoryFile(name)
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e
      errors.push(e)
      return undefined
    }
    if (!existsSync(file)) {
      errors.push(new ConfigError(file, `lab '${name}'`, `a running lab (start it with: npm run lab -- up${lab[1] ? ` --name ${name}` : ''})`, 'no inventory.json'))
      return undefined
    }
    return { spec: await readInventoryFile(file, errors), dir: dirname(file), file, source: `lab:${name}` }
  }
  if (!existsSync(src)) {
    errors.push(new ConfigError(src, 'inventory', 'an inventory file or directory (inventory.ts, hosts.ini, hosts.yml, .json) or lab[:NAME]', 'no such file'))
    return undefined
  }
  if (statSync(src).isDirectory()) {
    const found = DIRECTORY_CANDIDATES.filter((c) => existsSync(join(src, c)) && statSync(join(src, c)).isFile())
    if (found.length !== 1) {
      errors.push(new ConfigError(src, 'inventory', `exactly one of ${DIRECTORY_CANDIDATES.join(', ')} in the directory`,
        found.length ? found.join(', ') : 'none'))
      return undefined
    }
    const file = join(src, found[0]!)
    return { spec: await readInventoryFile(file, errors), dir: src, file, source: file }
  }
  return { spec: await readInventoryFile(src, errors), dir: dirname(src), file: src, source: src }
}

/** Why a key file cannot be used, or null. */
export function keyFileProblem(path: string): string | null {
  try {
    if (!statSync(path).isFile()) return 'not a file'
    accessSync(path, constants.R_OK)
    return null
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not readable: ${(e as NodeJS.ErrnoException).code ?? e}`
  }
}

/**
 * Loads an inventory: a path (`inventory.ts`, `hosts.ini`, `hosts.yml`, `inventory.json`, an Ansible
 * inventory directory) or `lab` / `lab:NAME`. Throws ConfigErrors with every problem found.
 */
/** Role vars written inline in the inventory (all, group and host `vars`) meet the same schemas as group_vars files. */
function checkInlineVars(spec: InventorySpec, file: string, schema: NonNullable<LoadOptions['schema']>, errors: ConfigError[]): void {
  const check = (vars: unknown, key: string): void => {
    // Secret-like names wrapped first: no message may echo their value.
    if (vars && typeof vars === 'object') errors.push(...validate(schema, wrapSecretVars(vars), file, { key, partial: true }).errors)
  }
  check(spec.vars, 'vars')
  for (const [g, group] of Object.entries(spec.groups ?? {})) check(group?.vars, joinKey(joinKey('groups', g), 'vars'))
  for (const [h, host] of Object.entries(spec.hosts ?? {})) check(host?.vars, joinKey(joinKey('hosts', h), 'vars'))
}

export async function loadInventory(src: string, opts: LoadOptions = {}): Promise<Inventory> {
  const errors: ConfigError[] = []
  const found = await findSource(src, errors)
  if (!found?.spec) throw new ConfigErrors(errors)
  // Inline `!vault` values in the inventory file itself (ansible_become_password: !vault |).
  const spec = decryptInline(found.spec, found.file, opts.vaultPassword, errors)
  const cwd = opts.cwd ?? process.cwd()
  const bases = [found.dir, cwd]
  const groupNames = ['all', 'ungrouped', ...Object.keys(spec.groups ?? {})]
  const hostNames = typeof spec.hosts === 'object' && spec.hosts !== null ? Object.keys(spec.hosts) : []
  if (opts.schema) checkInlineVars(spec, found.file, opts.schema, errors)
  errors.push(...jinjaProblems(spec.vars, found.file, 'vars'))
  for (const [g, group] of Object.entries(spec.groups ?? {})) errors.push(...jinjaProblems(group?.vars, found.file, joinKey(joinKey('groups', g), 'vars')))
  for (const [h, host] of Object.entries(spec.hosts ?? {})) errors.push(...jinjaProblems(host?.vars, found.file, joinKey(joinKey('hosts', h), 'vars')))
  const groupVars = await loadAllVars(bases, 'group_vars', groupNames, errors, opts)
  const hostVars = await loadAllVars(bases, 'host_vars', hostNames, errors, opts)
  const r = resolveInventory(spec, found.source, {
    file: found.file, groupVars, hostVars, checkKeyFile: keyFileProblem, cwd, ...(opts.env ? { env: opts.env } : {}),
  })
  errors.push(...r.errors)
  if (errors.length || !r.inventory) throw new ConfigErrors(errors)
  return r.inventory
}

