/**
 * `kubeplay import ansible DIR [--out OUT]`: reads an Ansible project (its inventory, group_vars and
 * host_vars next to it or at the top, the plays and tags of playbooks/*.yml) and writes the typed
 * kubeplay equivalent: inventory.ts, group_vars/<group>.ts and host_vars/<host>.ts with the role
 * settings the flat Ansible variables map to, a site.ts with kubeplay's plays for the roles the
 * playbooks use (with their tags), and IMPORT-REPORT.md listing every variable mapped, kept as it
 * is, or not mapped and why. Secret values (vaulted, or secret-like names) are never written: the
 * files read them from the environment (`secretFromEnv`), and the report says which.
 *
 * Kubespray inventories are recognised: kube_control_plane → masters, kube_node → workers,
 * k8s_cluster → k8s-cluster (a host in both keeps the master role), the etcd group is dropped when
 * it is the masters (kubeplay runs etcd stacked on them).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'
import { Secret } from '../secret.ts'
import { ConfigError } from '../errors.ts'
import type { Item, Playbook } from '../engine/task.ts'
import type { RoleVars } from '../engine/task.ts'
import { parseAnsibleIni, parseAnsibleYaml, parseYaml } from '../inventory/ansible.ts'
import { splitAnsibleVars } from '../inventory/ansible-vars.ts'
import type { ConnectionSpec, InventorySpec, Vars } from '../inventory/types.ts'
import { validate } from '../schema/validate.ts'
import { isSecretVarName } from '../secrets.ts'
import { isVaultText } from '../vault.ts'

/** Where Ansible projects keep their inventory, tried in order. */
const INVENTORY_CANDIDATES = ['inventories/hosts.ini', 'inventory/hosts.ini', 'hosts.ini', 'inventory.ini', 'hosts', 'inventories/hosts.yml',
  'inventory/hosts.yml', 'inventory/hosts.yaml', 'hosts.yml', 'hosts.yaml']

/** Kubespray's group names → kubeplay's. */
export const KUBESPRAY_GROUPS: Readonly<Record<string, string>> = { kube_control_plane: 'masters', kube_node: 'workers', k8s_cluster: 'k8s-cluster' }

/** Ansible role names (seed 001's, Kubespray's, common spellings) → the kubeplay play that does their job. */
const ROLE_PLAYS: Readonly<Record<string, string>> = {
  common: 'prepare', 'kubernetes/preinstall': 'prepare', containerd: 'prepare', 'container-engine': 'prepare', docker: 'prepare',
  haproxy: 'loadBalancer', keepalived: 'loadBalancer', loadbalancer: 'loadBalancer',
  'kubernetes-master': 'kubernetes', 'kubernetes-worker': 'kubernetes', 'k8s-master': 'kubernetes', 'k8s-worker': 'kubernetes',
  'kubernetes/control-plane': 'kubernetes', 'kubernetes/node': 'kubernetes', 'kubernetes/kubeadm': 'kubernetes', kubeadm: 'kubernetes', flannel: 'kubernetes',
  metallb: 'metallb', prometheus: 'prometheus', monitoring: 'prometheus', grafana: 'prometheus',
  'nfs-server': 'nfsServer', nfs_server: 'nfsServer', nfs: 'nfsServer', 'nfs-client': 'nfsClients', nfs_client: 'nfsClients',
}

/** The kubeplay plays, in the order site.ts runs them: [export name, code]. */
const PLAY_CODE: Readonly<Record<string, (tags: string[]) => string>> = {
  loadBalancer: (t) => `play('Load balancer', { hosts: 'haproxy', become: true, items: [haproxy()]${tagsOpt(t)} })`,
  prepare: (t) => `play('Prepare the Kubernetes nodes', { hosts: 'k8s-cluster', become: true, items: [common(), containerd()]${tagsOpt(t)} })`,
  nfsServer: (t) => `play('NFS server', { hosts: 'nfs_server', become: true, items: [nfsServer()]${tagsOpt(t)} })`,
  nfsClients: (t) => `play('NFS clients', { hosts: 'nfs_clients', become: true, items: [nfsClient()]${tagsOpt(t)} })`,
  kubernetes: (t) => `...kubernetesPlays()${t.length ? ` /* Ansible tags ${t.join(', ')}: kubeplay's are kubernetes, k8s-master, k8s-worker */` : ''}`,
  metallb: (t) => `play('MetalLB images', { hosts: 'k8s-cluster', become: true, items: [metallbImages()]${tagsOpt(t)} }),\n  play('MetalLB load balancer', { hosts: 'masters[0]', become: true, items: [metallb()]${tagsOpt(t)} })`,
  prometheus: (t) => `play('Monitoring', { hosts: 'masters[0]', become: true, items: [prometheus()]${tagsOpt(t)} })`,
}
const PLAY_ORDER = ['loadBalancer', 'prepare', 'nfsServer', 'nfsClients', 'kubernetes', 'metallb', 'prometheus']
const PLAY_IMPORTS: Readonly<Record<string, string[]>> = {
  loadBalancer: ['haproxy'], prepare: ['common', 'containerd'], nfsServer: ['nfsServer'], nfsClients: ['nfsClient'],
  kubernetes: ['kubernetesPlays'], metallb: ['metallb', 'metallbImages'], prometheus: ['prometheus'],
}
const tagsOpt = (t: string[]): string => (t.length ? `, tags: [${t.map((x) => `'${x.replace(/['\\]/g, '')}'`).join(', ')}]` : '')

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
class Code { constructor(readonly code: string) {} }

const IDENT = /^[A-Za-z_$][\w$]*$/
function ts(v: unknown, indent = ''): string {
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

const envName = (...parts: string[]): string => parts.join('_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').toUpperCase()

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
function connectionTs(host: string, c: ConnectionSpec & { vars?: Vars }, mappings: Mapping[], source: string): Record<string, unknown> {
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

function readIf(file: string): string | null {
  try { return statSync(file).isFile() ? readFileSync(file, 'utf8') : null } catch { return null }
}

/** group_vars/<name>.yml, group_vars/<name>.yaml, group_vars/<name>/*.yml (Ansible's layouts), merged in that order. */
function varsFiles(dir: string, name: string): string[] {
  const files = [`${name}.yml`, `${name}.yaml`, name].map((f) => join(dir, f)).filter((f) => readIf(f) !== null)
  const sub = join(dir, name)
  if (existsSync(sub) && statSync(sub).isDirectory()) files.push(...readdirSync(sub).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(sub, f)))
  return files
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

/** Reads the project and builds every file (nothing written): the pure heart of the command. */
export function importAnsible(dir: string, site: Playbook, opts: { inventory?: string } = {}): ImportResult {
  const invRel = opts.inventory ?? INVENTORY_CANDIDATES.find((c) => readIf(join(dir, c)) !== null)
    ?? readdirSync(join(dir, 'inventory'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => [`inventory/${d.name}/hosts.yaml`, `inventory/${d.name}/hosts.yml`, `inventory/${d.name}/hosts.ini`]).flat().find((c) => readIf(join(dir, c)) !== null)
  if (!invRel) throw new ConfigError(dir, 'inventory', `an Ansible inventory (${INVENTORY_CANDIDATES.slice(0, 4).join(', ')}, inventory/<name>/hosts.yaml)`, 'none of them')
  const invFile = join(dir, invRel)
  const text = readFileSync(invFile, 'utf8')
  const parsed = /\.ya?ml$/.test(invFile) ? parseAnsibleYaml(text, invRel) : parseAnsibleIni(text, invRel)
  if (parsed.errors.length) throw parsed.errors[0]!
  const spec: InventorySpec = parsed.spec
  const roles = roleVarsOf(site)
  const mappings: Mapping[] = []
  const notes: string[] = []
  const files: Record<string, string> = {}

  // Groups, with Kubespray's names renamed.
  const rename = (g: string): string => KUBESPRAY_GROUPS[g] ?? g
  const groups: Record<string, { hosts?: string[]; children?: string[]; vars?: Vars }> = {}
  for (const [g, gs] of Object.entries(spec.groups ?? {})) {
    const name = rename(g)
    if (name !== g) notes.push(`group ${g} → ${name} (Kubespray's name; kubeplay's plays use ${name})`)
    groups[name] = { ...(gs.hosts?.length ? { hosts: [...gs.hosts] } : {}), ...(gs.children?.length ? { children: gs.children.map(rename) } : {}), ...(gs.vars && Object.keys(gs.vars).length ? { vars: gs.vars } : {}) }
  }
  const members = (g: string): Set<string> => {
    const out = new Set(groups[g]?.hosts ?? [])
    for (const c of groups[g]?.children ?? []) for (const h of members(c)) out.add(h)
    return out
  }
  const masters = members('masters')
  if (groups.workers?.hosts) {
    const both = groups.workers.hosts.filter((h) => masters.has(h))
    if (both.length) {
      groups.workers.hosts = groups.workers.hosts.filter((h) => !masters.has(h))
      notes.push(`${both.join(', ')}: in both masters and workers; kept as masters only (kubeplay: a master is not also a worker; remove the control-plane taint yourself to schedule on it)`)
    }
  }
  if (groups.etcd) {
    const etcd = members('etcd')
    const same = etcd.size === masters.size && [...etcd].every((h) => masters.has(h))
    notes.push(same ? 'group etcd dropped: it is the masters, where kubeplay runs etcd stacked (kubeadm\'s layout)'
      : `group etcd (${[...etcd].join(', ')}) dropped: kubeplay runs etcd stacked on the masters; external etcd is not supported`)
    delete groups.etcd
    for (const g of Object.values(groups)) if (g.children) g.children = g.children.filter((c) => c !== 'etcd')
  }
  for (const g of ['calico_rr', 'bastion']) if (groups[g]) { notes.push(`group ${g} dropped: no kubeplay play uses it`); delete groups[g] }

  // group_vars and host_vars: next to the inventory and at the top of the project (Ansible reads both).
  const varDirs = (kind: string): string[] => [...new Set([join(dirname(invFile), kind), join(dir, kind)])].filter((d) => existsSync(d))
  // One read per name (group_vars/all.yml and group_vars/all/ are the same name), vault files noted.
  const readVars = (kind: 'group_vars' | 'host_vars', key: (name: string) => string): Map<string, Vars> => {
    const out = new Map<string, Vars>()
    for (const d of varDirs(kind)) {
      for (const name of new Set(readdirSync(d).map((e) => e.replace(/\.ya?ml$/, '')))) {
        for (const f of varsFiles(d, name)) {
          const text = readFileSync(f, 'utf8')
          const errors: ConfigError[] = []
          const data = parseYaml(text, relative(dir, f), errors)
          if (errors.length) throw errors[0]!
          if (data && typeof data === 'object' && !Array.isArray(data)) out.set(key(name), { ...(out.get(key(name)) ?? {}), ...(data as Vars) })
          else if (isVaultText(text)) notes.push(`${relative(dir, f)}: a vault file, not read here; copy it beside the new inventory (kubeplay reads it with --vault-password-file)`)
        }
      }
    }
    return out
  }
  const groupVars = readVars('group_vars', rename)
  for (const [g, gs] of Object.entries(groups)) if (gs.vars) { groupVars.set(g, { ...gs.vars, ...(groupVars.get(g) ?? {}) }); delete gs.vars }
  if (spec.vars && Object.keys(spec.vars).length) groupVars.set('all', { ...spec.vars, ...(groupVars.get('all') ?? {}) })
  for (const [g, vars] of [...groupVars].sort(([a], [b]) => a.localeCompare(b))) {
    if (g !== 'all' && !groups[g]) { notes.push(`group_vars/${g}: no group ${g} in the inventory: not imported`); continue }
    const split = splitAnsibleVars(vars, `group_vars/${g}`, (k) => k, null)
    const m = mapVars(split.clean, `group_vars/${g}`, roles)
    mappings.push(...m.mappings)
    files[`group_vars/${g}.ts`] = varsModule(`group_vars/${g} of ${relative(dir, invFile) || invRel}`, m.out)
  }
  const hostVars = readVars('host_vars', (h) => h)

  // Hosts: connection fields typed, their own vars mapped like group vars.
  const hosts: Record<string, unknown> = {}
  for (const [h, hs] of Object.entries(spec.hosts)) {
    const conn = connectionTs(h, hs, mappings, relative(dir, invFile))
    const extra = hostVars.get(h)
    const own = { ...(hs.vars ?? {}), ...(extra ?? {}) }
    let vars: Record<string, unknown> = {}
    if (Object.keys(own).length) {
      const split = splitAnsibleVars(own, `host ${h}`, (k) => k, null)
      Object.assign(conn, connectionTs(h, split.conn, mappings, `host ${h}`))
      const m = mapVars(split.rest, `host ${h}`, roles)
      mappings.push(...m.mappings)
      vars = m.out
    }
    hosts[h] = { ...conn, ...(Object.keys(vars).length ? { vars } : {}) }
  }
  for (const h of hostVars.keys()) if (!spec.hosts[h]) notes.push(`host_vars/${h}: no host ${h} in the inventory: not imported`)
  files['inventory.ts'] = `/** Imported from ${invRel} by \`kubeplay import ansible\`: see IMPORT-REPORT.md. */
import { defineInventory${mappings.some((m) => m.source === relative(dir, invFile) && m.outcome === 'secret') ? ', secretFromEnv' : ''} } from 'kubeplay'

export default defineInventory(${ts({ hosts, groups })})
`

  // Plays: kubeplay's, for the roles the playbooks use, with their tags.
  const used = new Map<string, Set<string>>()
  const playbooks = ['playbooks', '.'].map((d) => join(dir, d)).filter((d) => existsSync(d))
    .flatMap((d) => readdirSync(d).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(d, f)))
  for (const f of playbooks) {
    for (const p of playbookRoles(readFileSync(f, 'utf8'), relative(dir, f))) {
      for (const r of p.roles) {
        const play = ROLE_PLAYS[r] ?? ROLE_PLAYS[basename(r)]
        if (!play) { notes.push(`${relative(dir, f)}: role ${r} has no kubeplay equivalent: write it as a role (docs/writing-roles.md)`); continue }
        const tags = used.get(play) ?? new Set<string>()
        for (const t of p.tags) tags.add(t)
        used.set(play, tags)
      }
    }
  }
  if (!used.size) { for (const p of PLAY_ORDER.slice(0, 5)) used.set(p, new Set()); notes.push('no playbooks/*.yml with roles: site.ts gets kubeplay\'s load balancer, node preparation, NFS and Kubernetes plays') }
  const order = PLAY_ORDER.filter((p) => used.has(p))
  const imports = [...new Set(order.flatMap((p) => PLAY_IMPORTS[p]!))].sort()
  files['site.ts'] = `/** The site playbook, imported from the Ansible project by \`kubeplay import ansible\`: kubeplay's plays for the roles its playbooks used. */
import { main, play, playbook } from 'kubeplay'
import { ${imports.join(', ')} } from 'kubeplay/roles'

export const site = playbook('site', [
  ${order.map((p) => PLAY_CODE[p]!([...used.get(p)!].sort())).join(',\n  ')},
])

main(import.meta.url, site)
`
  files['IMPORT-REPORT.md'] = report(dir, invRel, mappings, notes)
  return { files, mappings, notes }
}

function varsModule(what: string, out: Record<string, unknown>): string {
  const secrets = JSON.stringify(out, (_k, v: unknown) => (v instanceof Code ? 'CODE' : v)).includes('"CODE"')
  return `/** ${what}, imported by \`kubeplay import ansible\`: see IMPORT-REPORT.md. */
${secrets ? "import { secretFromEnv } from 'kubeplay'\n\n" : ''}export default ${ts(out)}
`
}

function report(dir: string, inv: string, mappings: readonly Mapping[], notes: readonly string[]): string {
  const row = (m: Mapping): string => `| ${m.source} | \`${m.name}\` | ${m.outcome} | ${m.to ? `\`${m.to}\`` : ''} | ${(m.why ?? '').replace(/\|/g, '\\|')} |`
  const count = (o: Mapping['outcome']): number => mappings.filter((m) => m.outcome === o).length
  return `# Import of ${basename(dir) || dir} (inventory ${inv})

${count('mapped')} mapped to a role setting, ${count('kept')} kept as they are, ${count('secret')} secrets read from the environment, ${count('not mapped')} not mapped.

| source | variable | outcome | kubeplay | why |
| --- | --- | --- | --- | --- |
${mappings.map(row).join('\n')}

## Notes
${notes.length ? notes.map((n) => `- ${n}`).join('\n') : '- none'}

Check the result before the first run: \`npx tsx site.ts -i inventory.ts --list-hosts\` validates
everything without contacting a host, then \`--check --diff\`.
`
}

/** Writes the files under `out` (atomically, each one), refusing to overwrite unless `force`. */
export function writeImport(out: string, r: ImportResult, force = false): string[] {
  const existing = Object.keys(r.files).filter((f) => existsSync(join(out, f)))
  if (existing.length && !force) throw new ConfigError('command line', '--out', `a directory without ${existing.join(', ')} (or --force)`, out)
  for (const [f, text] of Object.entries(r.files)) {
    const path = join(out, f)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(`${path}.tmp`, text)
    renameSync(`${path}.tmp`, path)
  }
  return Object.keys(r.files).map((f) => join(out, f))
}
