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
import type { Playbook } from '../engine/task.ts'
import { parseAnsibleIni, parseAnsibleYaml, parseYaml } from '../inventory/ansible.ts'
import { splitAnsibleVars } from '../inventory/ansible-vars.ts'
import type { InventorySpec, Vars } from '../inventory/types.ts'
import { isVaultText } from '../vault.ts'
import { type Mapping, type ImportResult, Code, ts, roleVarsOf, mapVars, connectionTs , playbookRoles } from './import-vars.ts'

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

export { mapVars, playbookRoles, roleVarsOf, type ImportResult, type Mapping }
