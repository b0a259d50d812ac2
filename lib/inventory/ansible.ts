/**
 * Ansible inventory import: INI (`hosts.ini`) and YAML (`all: { hosts, children, vars }`) →
 * InventorySpec. Parsing follows ansible's `plugins/inventory/{ini,yaml}.py` closely enough that an
 * existing `inventories/prod/hosts.ini` loads unchanged; every problem is a ConfigError naming the line
 * (INI) or key path (YAML). Pure: text in, spec + errors out.
 */
import { parseDocument } from 'yaml'
import { ConfigError } from '../errors.ts'
import { redactAssignments } from '../secrets.ts'
import type { GroupSpec, HostSpec, InventorySpec, Vars } from './types.ts'
import { shellSplit, splitAnsibleVars, type ConnectionFields } from './ansible-vars.ts'
import { describe, joinKey } from '../schema/validate.ts'

export interface Imported {
  readonly spec: InventorySpec
  readonly errors: ConfigError[]
}

/** `worker[1:3]` → worker1..3, `node[01:10:2]`, `10.0.0.[1:3]`, `[a:c]`; several ranges multiply. */
export function expandHostRange(pattern: string): string[] | { error: string } {
  const m = /^(.*?)\[([^\]]*)\](.*)$/.exec(pattern)
  if (!m) return [pattern]
  const [, head, body, tail] = m as unknown as [string, string, string, string]
  const parts = body.split(':')
  const [beg, end, stepText] = parts as [string, string | undefined, string | undefined]
  const expected = { error: 'a range [start:end] or [start:end:step] of numbers or single letters' }
  if (parts.length < 2 || parts.length > 3 || !end) return expected
  const step = stepText === undefined || stepText === '' ? 1 : Number(stepText)
  if (!Number.isInteger(step) || step < 1) return expected
  let items: string[] = []
  if (/^\d*$/.test(beg) && /^\d+$/.test(end)) {
    const width = beg.length > 1 && beg.startsWith('0') ? beg.length : 0
    if (width && width !== end.length) return { error: 'range bounds of the same width ([01:10])' }
    for (let i = Number(beg || 0); i <= Number(end); i += step) items.push(String(i).padStart(width, '0'))
  } else if (/^[a-zA-Z]$/.test(beg) && /^[a-zA-Z]$/.test(end)) {
    for (let c = beg.charCodeAt(0); c <= end.charCodeAt(0); c += step) items.push(String.fromCharCode(c))
  } else return expected
  if (items.length === 0) return { error: 'a range whose start is not after its end' }
  const rest = expandHostRange(tail)
  if (!Array.isArray(rest)) return rest
  items = items.flatMap((i) => rest.map((r) => `${head}${i}${r}`))
  return items
}

type MutableGroup = { hosts: string[]; children: string[]; vars: Vars }

/** Collects hosts and groups from either syntax; a host may repeat (to join groups) but not disagree. */
class SpecBuilder {
  readonly hosts = new Map<string, { fields: Record<string, unknown>; vars: Vars; where: Map<string, string> }>()
  readonly groups = new Map<string, MutableGroup>()
  allVars: Vars = {}
  constructor(readonly file: string, readonly errors: ConfigError[]) {}

  group(name: string): MutableGroup {
    let g = this.groups.get(name)
    if (!g) this.groups.set(name, (g = { hosts: [], children: [], vars: {} }))
    return g
  }

  host(name: string, conn: ConnectionFields, vars: Vars, where: string, group?: string): void {
    let h = this.hosts.get(name)
    if (!h) this.hosts.set(name, (h = { fields: {}, vars: {}, where: new Map() }))
    const set = (bag: Record<string, unknown>, k: string, v: unknown, label: string): void => {
      const prev = h!.where.get(label)
      if (prev !== undefined && !sameValue(bag[k], v)) {
        this.errors.push(new ConfigError(this.file, `${where}: ${joinKey(name, label)}`,
          `one value per host setting (already set at ${prev}; repeat a host only to add it to a group)`, describe(v)))
        return
      }
      bag[k] = v
      h!.where.set(label, where)
    }
    for (const [k, v] of Object.entries(conn)) if (v !== undefined) set(h.fields, k, v, k)
    for (const [k, v] of Object.entries(vars)) set(h.vars, k, v, `vars.${k}`)
    if (group && group !== 'all' && group !== 'ungrouped') {
      const g = this.group(group)
      if (!g.hosts.includes(name)) g.hosts.push(name)
    }
  }

  build(): InventorySpec {
    const hosts: Record<string, HostSpec> = {}
    for (const [n, h] of this.hosts) hosts[n] = { ...h.fields, ...(Object.keys(h.vars).length ? { vars: h.vars } : {}) }
    const groups: Record<string, GroupSpec> = {}
    for (const [n, g] of this.groups) if (n !== 'all' && n !== 'ungrouped') groups[n] = g
    return { hosts, groups, ...(Object.keys(this.allVars).length ? { vars: this.allVars } : {}) }
  }
}

const reveal = (v: unknown): unknown => (v && typeof v === 'object' && 'reveal' in v ? (v as { reveal(): string }).reveal() : v)
const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(reveal(a)) === JSON.stringify(reveal(b))

/** Python-literal-ish INI values (ansible uses ast.literal_eval): quotes stripped, True/False, numbers. */
export function parseIniValue(raw: string): unknown {
  const t = raw.trim()
  const q = /^(['"])(.*)\1$/s.exec(t)
  if (q) return q[2]
  if (t === 'True' || t === 'False') return t === 'True'
  if (/^-?(0|[1-9]\d*)$/.test(t)) return Number(t)
  if (/^-?\d+\.\d+$/.test(t)) return Number(t)
  return t
}

const GROUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/

/** `host:2222` → name and port; ranges may contain `:` inside brackets, IPv6 addresses many. */
function splitHostPort(token: string): [string, string | undefined] {
  const outside = token.replace(/\[[^\]]*\]/g, '')
  if ((outside.match(/:/g) ?? []).length !== 1) return [token, undefined]
  const m = /^(.+):(\d+)$/.exec(token)
  return m ? [m[1]!, m[2]] : [token, undefined]
}

/** Parses an Ansible INI inventory. */
export function parseAnsibleIni(text: string, file: string): Imported {
  const errors: ConfigError[] = []
  const b = new SpecBuilder(file, errors)
  const defined = new Set<string>(['all', 'ungrouped'])
  const pending: Array<{ name: string; line: number; kind: 'vars' | 'children'; of: string }> = []
  let section = { name: 'ungrouped', kind: 'hosts' as 'hosts' | 'vars' | 'children' }
  // A line that does not parse is echoed with any secret-like value in it redacted.
  const err = (n: number, expected: string, found: string): void => { errors.push(new ConfigError(file, `line ${n}`, expected, redactAssignments(found))) }

  text.split(/\r?\n/).forEach((rawLine, i) => {
    const n = i + 1
    const line = rawLine.trim()
    if (!line || line.startsWith('#') || line.startsWith(';')) return
    if (line.startsWith('[')) {
      const m = /^\[([^\]:\s]+)(?::(\w+))?\]\s*([#;].*)?$/.exec(line)
      if (!m || (m[2] && m[2] !== 'vars' && m[2] !== 'children') || !GROUP_NAME.test(m[1]!)) {
        return err(n, 'a section header [group], [group:vars] or [group:children]', JSON.stringify(line))
      }
      section = { name: m[1]!, kind: (m[2] as 'vars' | 'children' | undefined) ?? 'hosts' }
      if (section.kind !== 'vars') { defined.add(section.name); b.group(section.name) }
      else if (!defined.has(section.name)) pending.push({ name: section.name, line: n, kind: 'vars', of: section.name })
      return
    }
    if (section.kind === 'children') {
      if (!GROUP_NAME.test(line)) return err(n, `a child group name under [${section.name}:children]`, JSON.stringify(line))
      const g = b.group(section.name)
      if (!g.children.includes(line)) g.children.push(line)
      if (!defined.has(line)) pending.push({ name: line, line: n, kind: 'children', of: section.name })
      return
    }
    if (section.kind === 'vars') {
      const eq = line.indexOf('=')
      if (eq <= 0) return err(n, `key=value under [${section.name}:vars]`, JSON.stringify(line))
      const key = line.slice(0, eq).trim()
      const split = splitAnsibleVars({ [key]: parseIniValue(line.slice(eq + 1)) }, file, (k) => `line ${n}: ${k}`, errors)
      // Group-level connection vars stay vars: resolve maps them per host, after precedence.
      const target = section.name === 'all' ? b.allVars : b.group(section.name).vars
      Object.assign(target, split.clean)
      return
    }
    const words = shellSplit(line, { comments: true })
    if (!Array.isArray(words)) return err(n, 'a host line: name [key=value …]', `${words.error} in ${JSON.stringify(line)}`)
    const [hostToken, ...pairs] = words as [string, ...string[]]
    const vars: Vars = {}
    const bad = pairs.find((p) => p.indexOf('=') <= 0)
    if (bad !== undefined) return err(n, `key=value after host ${hostToken}`, JSON.stringify(bad))
    for (const p of pairs) vars[p.slice(0, p.indexOf('='))] = p.slice(p.indexOf('=') + 1)
    const [pattern, port] = splitHostPort(hostToken)
    const names = expandHostRange(pattern)
    if (!Array.isArray(names)) return err(n, names.error, JSON.stringify(hostToken))
    // Connection vars are mapped from the raw text: `ansible_become_pass=0123` stays "0123".
    const raw = { ...(port ? { ansible_port: port } : {}), ...vars }
    const split = splitAnsibleVars(raw, file, (k) => `line ${n}: ${hostToken} ${k}`, errors)
    const rest = Object.fromEntries(Object.entries(split.rest).map(([k, v]) => [k, parseIniValue(String(v))]))
    for (const name of names) b.host(name, split.conn, rest, `line ${n}`, section.name)
  })

  for (const p of pending) {
    if (defined.has(p.name)) continue
    errors.push(new ConfigError(file, `line ${p.line}`,
      p.kind === 'vars' ? `[${p.name}:vars] for a group defined in this file` : `a child of [${p.of}:children] defined as [${p.name}] or [${p.name}:children]`,
      `undefined group '${p.name}'`))
    // Reported here, with its line: keep it out of the spec so resolve does not report it again.
    if (p.kind === 'vars') b.groups.delete(p.name)
    else { const g = b.groups.get(p.of); if (g) g.children = g.children.filter((c) => c !== p.name) }
  }
  return { spec: b.build(), errors }
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Parses an Ansible YAML inventory (`all:` at the top, or top-level groups). */
export function parseAnsibleYaml(text: string, file: string): Imported {
  const errors: ConfigError[] = []
  const data = parseYaml(text, file, errors)
  const b = new SpecBuilder(file, errors)
  if (errors.length) return { spec: b.build(), errors }
  if (!isMap(data)) return { spec: b.build(), errors: [new ConfigError(file, '(top level)', 'a mapping of groups (all: …)', describe(data))] }

  const visit = (name: string, node: unknown, path: string): void => {
    if (name !== 'all' && !GROUP_NAME.test(name)) errors.push(new ConfigError(file, path, 'a group name of [A-Za-z0-9_.-]', JSON.stringify(name)))
    if (node === null || node === undefined) { b.group(name); return }
    if (!isMap(node)) { errors.push(new ConfigError(file, path, 'a group: mapping with hosts, children, vars', describe(node))); return }
    const g = b.group(name)
    for (const k of Object.keys(node)) {
      if (!['hosts', 'children', 'vars'].includes(k)) errors.push(new ConfigError(file, joinKey(path, k), 'hosts, children or vars', 'an unknown key'))
    }
    if (node.vars !== undefined && node.vars !== null) {
      if (!isMap(node.vars)) errors.push(new ConfigError(file, joinKey(path, 'vars'), 'a mapping', describe(node.vars)))
      else {
        const split = splitAnsibleVars(node.vars, file, (k) => joinKey(joinKey(path, 'vars'), k), errors)
        Object.assign(name === 'all' ? b.allVars : g.vars, split.clean)
      }
    }
    const hosts = node.hosts ?? {}
    if (!isMap(hosts)) errors.push(new ConfigError(file, joinKey(path, 'hosts'), 'a mapping of host names', describe(hosts)))
    else for (const [pattern, hv] of Object.entries(hosts)) {
      const hp = joinKey(joinKey(path, 'hosts'), pattern)
      const names = expandHostRange(pattern)
      if (!Array.isArray(names)) { errors.push(new ConfigError(file, hp, names.error, JSON.stringify(pattern))); continue }
      if (hv !== null && hv !== undefined && !isMap(hv)) { errors.push(new ConfigError(file, hp, 'a mapping of host vars or nothing', describe(hv))); continue }
      const split = splitAnsibleVars(hv ?? {}, file, (k) => joinKey(hp, k), errors)
      for (const n of names) b.host(n, split.conn, split.rest, hp, name)
    }
    const children = node.children ?? {}
    if (!isMap(children)) errors.push(new ConfigError(file, joinKey(path, 'children'), 'a mapping of groups', describe(children)))
    else for (const [c, cn] of Object.entries(children)) {
      if (name !== 'all' && !g.children.includes(c)) g.children.push(c)
      visit(c, cn, joinKey(joinKey(path, 'children'), c))
    }
  }
  for (const [k, v] of Object.entries(data)) visit(k, v, k)
  return { spec: b.build(), errors }
}

/**
 * YAML 1.1, as Ansible reads it (`yes` is true). A syntax error is a ConfigError naming the line.
 * Shared with group_vars loading.
 */
export function parseYaml(text: string, file: string, errors: ConfigError[]): unknown {
  const doc = parseDocument(text, { version: '1.1', prettyErrors: false })
  if (doc.errors.length === 0) return doc.toJS()
  for (const e of doc.errors) {
    const before = text.slice(0, e.pos[0]).split('\n')
    errors.push(new ConfigError(file, `line ${before.length}`, 'valid YAML',
      `${e.message.split('\n')[0]!} (column ${before.at(-1)!.length + 1})`))
  }
  return undefined
}
