/** `kubeplay import ansible`, the pure part: Ansible variables mapped to role settings (with what became of each), host connections, and values written as TypeScript. */
import { Secret } from '../secret.ts'
import { ConfigError } from '../errors.ts'
import { parseYaml } from '../inventory/ansible.ts'
import type { Item, Playbook } from '../engine/task.ts'
import type { RoleVars } from '../engine/task.ts'
import type { ConnectionSpec, Vars } from '../inventory/types.ts'
import { validate } from '../schema/validate.ts'
import { isSecretVarName } from '../secrets.ts'
import { isVaultText } from '../vault.ts'

/** What became of one Ansible variable. */
export interface Mapping {
  readonly source: string
  readonly name: string
  readonly outcome: 'mapped' | 'kept' | 'secret' | 'not mapped' | 'dropped'
  readonly to?: string
  readonly why?: string
}

export interface ImportResult {
  readonly files: Readonly<Record<string, string>>
  readonly mappings: readonly Mapping[]
  readonly notes: readonly string[]
}

/** A TypeScript expression written as is (secretFromEnv(…)). */
export class Code { constructor(readonly code: string) {} }

const IDENT = /^[A-Za-z_$][\w$]*$/
export function ts(v: unknown, indent = ''): string {
  if (v instanceof Code) return v.code
  if (Array.isArray(v)) return v.length ? `[${v.map((x) => ts(x, indent)).join(', ')}]` : '[]'
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
    if (!entries.length) return '{}'
    const inner = `${indent}  `
    return `{\n${entries.map(([k, x]) => `${inner}${IDENT.test(k) ? k : JSON.stringify(k)}: ${ts(x, inner)},`).join('\n')}\n${indent}}`
  }
  return JSON.stringify(v)
}

export const envName = (...parts: string[]): string => parts.join('_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').toUpperCase()

/** The site playbook's role settings: key → its schema and flat Ansible names. */
export function roleVarsOf(pb: Playbook): Map<string, RoleVars> {
  const found = new Map<string, RoleVars>()
  const walk = (items: readonly Item[]): void => {
    for (const it of items) if (it.kind === 'role') { if (it.vars) found.set(it.vars.key, it.vars); walk(it.items) }
  }
  for (const p of pb.plays) walk(p.items)
  return found
}

/** Flat values whose shape differs from the setting's: metallb_ip_range "a-b" → one pool. */
const CONVERT: Readonly<Record<string, (v: unknown) => unknown>> = {
  metallb_ip_range: (v) => [{ name: 'default-pool', addresses: Array.isArray(v) ? v : [v] }],
  metallb_ip_pool: (v) => [{ name: 'default-pool', addresses: Array.isArray(v) ? v : [v] }],
  metallb_addresses: (v) => [{ name: 'default-pool', addresses: Array.isArray(v) ? v : [v] }],
}

/** Pure: one vars mapping (a group_vars file, a host's vars) → typed vars, and what became of each name. */
export function mapVars(vars: Vars, source: string, roles: ReadonlyMap<string, RoleVars>): { out: Record<string, unknown>; mappings: Mapping[] } {
  const out: Record<string, unknown> = {}
  const mappings: Mapping[] = []
  const flat = new Map<string, [string, string]>()
  for (const [key, rv] of roles) for (const [name, setting] of Object.entries(rv.ansibleNames ?? {})) flat.set(name, [key, setting])
  const secret = (name: string, path: string[]): Code => {
    mappings.push({ source, name, outcome: 'secret', to: `$${envName(...path)}`, why: 'not written to a file: set the environment variable (or keep a vault file beside the inventory)' })
    return new Code(`secretFromEnv(${JSON.stringify(envName(...path))})`)
  }
  for (const [name, raw] of Object.entries(vars)) {
    const v = raw instanceof Secret ? raw.reveal() : raw
    if (typeof v === 'string' && /\{\{|\{%/.test(v)) {
      mappings.push({ source, name, outcome: 'not mapped', why: `a Jinja expression (${v.length > 60 ? `${v.slice(0, 57)}…` : v}): kubeplay vars are values; compute it in TypeScript` })
      continue
    }
    const isSecret = raw instanceof Secret || (typeof v === 'string' && isVaultText(v)) || isSecretVarName(name)
    if (roles.has(name)) {
      // A role's own settings mapping: checked with the role's schema, secrets replaced.
      const r = validate(roles.get(name)!.schema, v, source, { key: name })
      const replaceSecrets = (x: unknown, path: string[]): unknown => {
        if (x instanceof Secret || (typeof x === 'string' && (isVaultText(x) || isSecretVarName(path.at(-1)!)))) return secret(`${name}.${path.slice(1).join('.')}`, path)
        if (x && typeof x === 'object' && !Array.isArray(x)) return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, replaceSecrets(y, [...path, k])]))
        return x
      }
      out[name] = replaceSecrets(v, [name])
      if (r.errors.length) mappings.push({ source, name, outcome: 'kept', to: name, why: `the ${name} role will refuse it: ${r.errors.map((e) => e.message.replace(`${source}: `, '')).join('; ')}` })
      else mappings.push({ source, name, outcome: 'kept', to: name, why: `the ${name} role's settings` })
      continue
    }
    const f = flat.get(name)
    if (f) {
      const [key, setting] = f
      const value = isSecret ? secret(name, [key, setting]) : (CONVERT[name] ?? ((x: unknown) => x))(v)
      const merged = { ...((out[key] as Record<string, unknown> | undefined) ?? {}), [setting]: value }
      const r = isSecret ? { errors: [] } : validate(roles.get(key)!.schema, { [setting]: value }, source, { key })
      if (r.errors.length) {
        mappings.push({ source, name, outcome: 'not mapped', to: `${key}.${setting}`, why: r.errors.map((e) => e.message.replace(`${source}: `, '')).join('; ') })
        continue
      }
      // The role's own reading of the value (`v1.31.4` → `1.31.4`), as the run will see it.
      const checked = isSecret ? value : ((r as { value?: Record<string, unknown> }).value?.[setting] ?? value)
      out[key] = { ...merged, [setting]: checked }
      if (!isSecret) mappings.push({ source, name, outcome: 'mapped', to: `${key}.${setting}` })
      continue
    }
    if (name.startsWith('ansible_')) {
      out[name] = isSecret ? secret(name, [name]) : v
      if (!isSecret) mappings.push({ source, name, outcome: 'kept', to: name, why: 'an Ansible connection variable kubeplay reads as it is' })
      continue
    }
    out[name] = isSecret ? secret(name, [name]) : v
    if (!isSecret) mappings.push({ source, name, outcome: 'kept', to: name, why: 'no kubeplay role reads it: kept as a plain var for your own roles' })
  }
  return { out, mappings }
}

/** Pure: the connection fields of a host spec as inventory.ts writes them, secrets from the environment. */
export function connectionTs(host: string, c: ConnectionSpec & { vars?: Vars }, mappings: Mapping[], source: string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(c)) {
    if (k === 'vars' || v === undefined) continue
    if (v instanceof Secret) {
      out[k] = new Code(`secretFromEnv(${JSON.stringify(envName(host, k))})`)
      mappings.push({ source, name: `${host} ${k}`, outcome: 'secret', to: `$${envName(host, k)}`, why: 'not written to a file: set the environment variable' })
    } else out[k] = v
  }
  return out
}

/** Plays of the project's playbooks: the roles each uses and its tags (play, role entries, `tags:` anywhere). */
export function playbookRoles(text: string, file: string): Array<{ hosts: string; roles: string[]; tags: string[] }> {
  const errors: ConfigError[] = []
  const data = parseYaml(text, file, errors)
  if (!Array.isArray(data)) return []
  return data.filter((p): p is Record<string, unknown> => !!p && typeof p === 'object' && 'hosts' in p).map((p) => {
    const tags = new Set<string>(([] as unknown[]).concat(p.tags ?? []).map(String))
    const roles = ([] as unknown[]).concat(p.roles ?? []).map((r) => {
      if (typeof r === 'string') return r
      const o = (r ?? {}) as Record<string, unknown>
      for (const t of ([] as unknown[]).concat(o.tags ?? [])) tags.add(String(t))
      return String(o.role ?? o.name ?? '')
    }).filter(Boolean)
    return { hosts: String(p.hosts), roles, tags: [...tags] }
  })
}
