/**
 * Role settings from vars. A role's settings live under one key of the host vars (`haproxy:` in
 * group_vars/haproxy.yml or `.ts`), so each role's slice is typed and validated on its own.
 * Precedence: role defaults < inventory/group/host vars < params given in the playbook < -e.
 */
import { ConfigErrors } from '../errors.ts'
import type { Secret } from '../secret.ts'
import { describe, fail, isMapping as isPlainObject, object, optional, validate, type Schema } from '../schema/validate.ts'
import type { HostContext } from './module.ts'
import type { Item, Playbook, RoleVars } from './task.ts'

/**
 * One role's settings, declared once: the key of its mapping in the vars, its strict schema, its
 * defaults and the flat Ansible names it replaces. `vars` goes into the role's options (the inventory
 * loader validates group_vars, inline vars and -e against it before any connection); `params`
 * validates what a playbook passes to the role when the role is built; `of` gives a host's
 * effective settings: defaults < vars < params.
 */
export interface RoleSettings<T extends object> {
  readonly vars: RoleVars
  readonly defaults: T
  /** The playbook's params, checked against the schema; ConfigErrors naming `who params` and each key. */
  params(params: Partial<T>, who: string): Partial<T>
  of(host: HostContext, params: Partial<T>): T
  /** The same from a host's vars alone (preflight checks, before any connection). */
  fromVars(vars: Readonly<Record<string, unknown>>, params: Partial<T>): T
}

/** What a role's vars may set: any top-level setting, and any key of a nested settings mapping (those merge one level deeper). */
export type SettingsLayer<T> = { [K in keyof T]?: T[K] extends readonly unknown[] | Secret ? T[K] : T[K] extends object ? Partial<T[K]> : T[K] }

/** `schema` must describe exactly `T` as vars may set it: a schema that drifts from the role's params type is a compile error. */
export function defineSettings<T extends object>(spec: Omit<RoleVars, 'schema'> & { readonly schema: Schema<SettingsLayer<T>>; readonly defaults: T }): RoleSettings<T> {
  const { defaults, ...vars } = spec
  return {
    vars,
    defaults,
    params(params, who) {
      const r = validate(spec.schema, params, `${who} params`, { key: spec.key })
      if (r.errors.length) throw new ConfigErrors(r.errors)
      return (r.value ?? {}) as Partial<T>
    },
    of: (host, params) => settingsFromVars(host.vars, spec.key, defaults, params),
    fromVars: (v, params) => settingsFromVars(v, spec.key, defaults, params),
  }
}

/** A role's effective settings from a host's vars: defaults < the role's mapping in the vars < params. */
export function settingsFromVars<T extends object>(vars: Readonly<Record<string, unknown>>, key: string, defaults: T, params: Partial<T> = {}): T {
  const fromVars = vars[key]
  const defined = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Partial<T>
  return { ...defaults, ...(isPlainObject(fromVars) ? (fromVars as Partial<T>) : {}), ...defined }
}

/** Every role's vars schema in a playbook, as one schema for the inventory loader (unknown top-level keys are the users' own). */
export function playbookVarsSchema(pb: Playbook): Schema<unknown> | undefined {
  const found = new Map<string, RoleVars>()
  const walk = (items: readonly Item[]): void => {
    for (const it of items) if (it.kind === 'role') { if (it.vars) found.set(it.vars.key, it.vars); walk(it.items) }
  }
  for (const p of pb.plays) walk(p.items)
  if (found.size === 0) return undefined
  const flat = [...found.values()].flatMap((v) => Object.entries(v.ansibleNames ?? {}).map(([name, setting]) => [name, optional(movedTo(v.key, setting))] as const))
  return object(Object.fromEntries([...flat, ...[...found].map(([k, v]) => [k, optional(v.schema)] as const)]))
}

/** A flat var that no role reads: always refused, naming the role setting that holds it in kubeplay. */
function movedTo(key: string, setting: string): Schema<never> {
  return {
    expected: `${key}.${setting}`,
    optional: true,
    check: (v, k, ctx) => fail(ctx, k, `the ${key} role's setting ${key}: { ${setting}: … } (kubeplay reads one mapping per role; no role reads the flat var '${k.split('.').pop()}')`, describe(v)),
  }
}
