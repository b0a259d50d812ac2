/**
 * Pure operations on vars: secret-named values wrapped as Secrets, one layer over another (mappings
 * key by key), one group's files merged with conflicts named, and Jinja expressions refused.
 */
import { dirname } from 'node:path'
import { ConfigError } from '../errors.ts'
import { Secret } from '../secret.ts'
import { isSecretVarName } from '../secrets.ts'
import type { Vars } from './types.ts'
import { isMapping } from '../schema/validate.ts'

export function wrapSecretVars<T>(value: T, key = ''): T {
  if (typeof value === 'string') return (key && isSecretVarName(key) ? new Secret(value, key) : value) as T
  if (Array.isArray(value)) return value.map((v) => wrapSecretVars(v, key)) as T
  if (typeof value === 'object' && value !== null && !(value instanceof Secret) && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wrapSecretVars(v, k)])) as T
  }
  return value
}

/** Pure: `b` over `a`, mappings key by key at every depth; anything else (lists, secrets) replaced. */
export function overrideVars(a: Vars, b: Vars): Vars {
  const out: Vars = { ...a }
  for (const [k, v] of Object.entries(b)) out[k] = isMapping(out[k]) && isMapping(v) ? overrideVars(out[k] as Vars, v) : v
  return out
}

const sameValue = (a: unknown, b: unknown): boolean => {
  const plain = (v: unknown): unknown => (v instanceof Secret ? `secret:${v.reveal()}` : v)
  return JSON.stringify(plain(a), (_k, v: unknown) => plain(v)) === JSON.stringify(plain(b), (_k, v: unknown) => plain(v))
}

/**
 * One group's vars files in one directory (`haproxy.yml` beside `haproxy.ts`, `all/*.yml`): their
 * mappings merge key by key; the same setting given two different values by two files is an error
 * naming both, never a silent win of one file over the other.
 */
export function mergeFileVars(into: Vars, vars: Vars, c: { file: string; group: string; setBy: Map<string, string>; errors: ConfigError[] }, prefix = ''): Vars {
  const out: Vars = { ...into }
  for (const [k, v] of Object.entries(vars)) {
    const key = prefix ? `${prefix}.${k}` : k
    if (isMapping(v) && (out[k] === undefined || isMapping(out[k]))) {
      out[k] = mergeFileVars((out[k] as Vars | undefined) ?? {}, v, c, key)
      continue
    }
    const other = c.setBy.get(key) ?? [...c.setBy].find(([p]) => p.startsWith(`${key}.`))?.[1]
    if (out[k] !== undefined && other && !sameValue(out[k], v)) {
      c.errors.push(new ConfigError(c.file, key, `one vars file of '${c.group}' in ${dirname(c.file)} setting it`,
        `it set to another value in ${other} too (merge them into one file)`))
    }
    out[k] = v
    c.setBy.set(key, c.file)
  }
  return out
}

const JINJA = /\{\{\s*[A-Za-z_][^}]*\}\}|\{%.*%\}/

/**
 * Pure: values that are Jinja expressions (`{{ ansible_host }}`, `{{ groups['masters'][0] }}`) —
 * Ansible renders them, kubeplay would use the braces as they are. One error per value.
 */
export function jinjaProblems(vars: unknown, file: string, prefix = ''): ConfigError[] {
  if (typeof vars === 'string') {
    return JINJA.test(vars) ? [new ConfigError(file, prefix || '(value)', 'a plain value (kubeplay does not render Jinja: write the value, or compute it in a .ts vars file)', JSON.stringify(vars))] : []
  }
  if (Array.isArray(vars)) return vars.flatMap((v, i) => jinjaProblems(v, file, `${prefix}[${i}]`))
  if (isMapping(vars)) return Object.entries(vars).flatMap(([k, v]) => jinjaProblems(v, file, prefix ? `${prefix}.${k}` : k))
  return []
}
