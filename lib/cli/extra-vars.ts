/** `-e` / `--extra-vars`: parsed, validated against the playbook's role settings, and laid over every host's vars and connection. */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { ConfigError, ConfigErrors } from '../errors.ts'
import { parse as parseYaml } from 'yaml'
import { shellSplit, splitAnsibleVars, type ConnectionFields } from '../inventory/ansible-vars.ts'
import { noteOrigin } from '../inventory/origins.ts'
import type { Inventory, ResolvedConnection, Vars } from '../inventory/types.ts'
import { overrideVars, wrapSecretVars } from '../inventory/vars-merge.ts'
import { isMapping, validate, type Schema } from '../schema/validate.ts'

/**
 * `-e k=v` (several in one `-e "a=1 b=2"`, quoted like a shell line), `-e '{"haproxy": {"statsPort":
 * 9000}}'` (a JSON/YAML mapping, typed) and `-e @file.yml`: override every host's vars (highest
 * precedence, like Ansible). `ansible_*` connection vars change every host's connection. With
 * `schema` (the playbook's role settings), the values are validated here, before any connection,
 * each error naming where it came from (the command line or the file).
 */
export function withExtraVars(inv: Inventory, specs: readonly string[], schema?: Schema<unknown>): Inventory {
  if (specs.length === 0) return inv
  const errors: ConfigError[] = []
  const parts: { where: string; vars: Vars; strings: boolean }[] = []
  for (const s of specs) {
    if (s.startsWith('@')) {
      const file = s.slice(1)
      let data: unknown
      try { data = parseYaml(readFileSync(file, 'utf8')) } catch (e) {
        throw new ConfigError(file, '--extra-vars', 'a readable YAML or JSON file', (e as Error).message)
      }
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(file, '--extra-vars', 'a mapping of vars', typeof data)
      parts.push({ where: file, vars: wrapSecretVars(data as Vars), strings: false })
    } else if (s.trimStart().startsWith('{')) {
      let data: unknown
      try { data = parseYaml(s) } catch (e) { throw new ConfigError('command line', '--extra-vars', 'a JSON or YAML mapping', (e as Error).message.split('\n')[0]!) }
      if (!isMapping(data)) throw new ConfigError('command line', '--extra-vars', 'a JSON or YAML mapping', `'${s}'`)
      parts.push({ where: 'command line (-e)', vars: wrapSecretVars(data), strings: false })
    } else {
      const words = shellSplit(s)
      if (!Array.isArray(words)) throw new ConfigError('command line', '--extra-vars', 'KEY=VALUE words, a {…} mapping or @file.yml', `${words.error} in '${s}'`)
      const vars: Vars = {}
      for (const w of words) {
        const eq = w.indexOf('=')
        if (eq < 1) throw new ConfigError('command line', '--extra-vars', 'KEY=VALUE, a {…} mapping or @file.yml', `'${w}'`)
        const key = w.slice(0, eq)
        // `-e haproxy.statsPassword=…`: a secret-like name makes the value a Secret, masked in the
        // console, the run record, last-run.json and the printed rerun command.
        vars[key] = wrapSecretVars(w.slice(eq + 1), key.split('.').pop())
      }
      parts.push({ where: 'command line (-e)', vars, strings: true })
    }
  }
  let conn: Partial<ResolvedConnection> = {}
  let extra: Vars = {}
  for (const p of parts) {
    // Connection vars apply to every host's connection; the rest are vars.
    const split = splitAnsibleVars(p.vars, p.where, (k) => k, errors)
    conn = { ...conn, ...connectionOverrides(split.conn) }
    const vars = Object.fromEntries(Object.entries(split.clean).filter(([k]) => !k.startsWith('ansible_')))
    if (schema) {
      let r = validate(schema, mergeExtra({}, vars), p.where, { partial: true })
      // KEY=VALUE gives strings; where a setting wants a number or a boolean, `9000` and `true` are one.
      const typed = p.strings ? r.errors.filter((e) => typeof vars[e.key] === 'string' && /^(-?\d+|true|false)$/.test(vars[e.key] as string)) : []
      if (typed.length) {
        for (const e of typed) { const v = vars[e.key] as string; vars[e.key] = v === 'true' ? true : v === 'false' ? false : Number(v) }
        r = validate(schema, mergeExtra({}, vars), p.where, { partial: true })
      }
      errors.push(...r.errors)
    }
    extra = { ...extra, ...vars }
  }
  if (errors.length) throw new ConfigErrors(errors)
  const hosts = new Map([...inv.hosts].map(([n, h]) => [n, { ...h, vars: mergeExtra(h.vars, extra), connection: { ...h.connection, ...conn } }]))
  const origins = new Map([...inv.hosts.keys()].map((n) => {
    const o = new Map(inv.origins?.get(n) ?? [])
    for (const p of parts) noteOrigin(o, mergeExtra({}, p.vars), p.where)
    return [n, o] as const
  }))
  return { ...inv, hosts, origins }
}

/** Pure: the connection fields `-e ansible_*` may change, as a resolved connection has them. */
function connectionOverrides(c: ConnectionFields): Partial<ResolvedConnection> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(c)) if (v !== undefined) out[k] = k === 'keyFile' && typeof v === 'string' ? resolve(v) : v
  return out as Partial<ResolvedConnection>
}


/**
 * `a.b.c` keys set one setting inside a role's mapping (`-e haproxy.statsUser=bob`), keeping the
 * rest; a mapping from `-e @file.yml` (`haproxy: {statsPort: 8405}`) is merged the same way, key by key.
 */
function mergeExtra(vars: Readonly<Vars>, extra: Vars): Vars {
  const out: Vars = { ...vars }
  for (const [key, value] of Object.entries(extra)) {
    const path = key.split('.')
    let at = out
    for (const part of path.slice(0, -1)) {
      const next = at[part]
      at = at[part] = isMapping(next) ? { ...next } : {}
    }
    const last = path.at(-1)!
    // Mappings merge key by key; anything else (lists, a Secret) is replaced whole.
    const before = at[last]
    at[last] = isMapping(before) && isMapping(value) ? overrideVars(before, value) : value
  }
  return out
}
