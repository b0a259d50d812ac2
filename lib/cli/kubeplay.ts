/**
 * The `kubeplay` command: what Ansible users type besides ansible-playbook. Each subcommand loads
 * and validates the inventory like a playbook does (nothing is contacted on invalid input, exit 4),
 * connects with the same host-key policy, become and forks, masks secrets, and exits with the
 * playbooks' codes (0 ok, 2 a host failed, 3 a host unreachable, 4 invalid input).
 *
 *   kubeplay ping [PATTERN] [-i INV]                 ansible all -m ping
 *   kubeplay shell PATTERN [-i INV] [-b] -- CMD…     ansible PATTERN -a 'CMD'
 *   kubeplay module PATTERN -m MOD -a PARAMS [flags]  ansible PATTERN -m MOD -a PARAMS
 *   kubeplay facts [PATTERN] [-i INV]                ansible PATTERN -m setup (what kubeplay reads)
 *   kubeplay inventory [-i INV] --list|--graph|--host NAME    ansible-inventory
 *   kubeplay report [RUN|last] --html F --json F     a report of any run, after the fact
 *   kubeplay vault encrypt|decrypt|view|edit|encrypt-string …   ansible-vault
 *   kubeplay playbook FILE.ts [flags]                ansible-playbook (npx tsx FILE.ts)
 *   kubeplay completion bash                         the bash completion script
 *   kubeplay import ansible DIR [--out OUT]          an Ansible project → inventory.ts, group_vars/*.ts, site.ts
 *   kubeplay lab up|down|status …                    the built-in lab
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import PQueue from 'p-queue'
import { raw, sh } from '../connection/quote.ts'
import { mask } from '../secret.ts'
import type { Connection } from '../connection/types.ts'
import { ConfigError, ConfigErrors, ConnectError, KubeplayError } from '../errors.ts'
import { loadInventory } from '../inventory/load.ts'
import { selectHosts } from '../inventory/pattern.ts'
import type { Inventory, InventoryHost } from '../inventory/types.ts'
import { vaultPassword } from '../vault.ts'
import { EXIT, valueAfter } from './args.ts'
import type { Playbook } from '../engine/task.ts'
import { connectorFor, KUBEPLAY_VERSION, runCli } from './main.ts'
import { jsonReportText, writeHtmlReport } from '../report/index.ts'
import { readRunRecord } from '../report/record.ts'
import { gatherFacts } from './facts.ts'
import { parseVaultArgs, VAULT_USAGE, vaultCommand } from './vault.ts'
import { adhocModulePlaybook, moduleNames, parseModuleCommand } from './module.ts'

export const KUBEPLAY_USAGE = `usage: kubeplay COMMAND [options]

commands:
  ping [PATTERN]             connect to every matched host (and become root where the inventory
                             says so); one line per host: ok, or UNREACHABLE / FAILED and why
  shell PATTERN -- CMD…      run CMD on every matched host in parallel; output grouped per host
  module PATTERN -m MODULE -a PARAMS [playbook flags]
                             one module on every matched host, as a one-task playbook: PARAMS as
                             JSON or key=value pairs, checked before any connection; -b, --check,
                             --diff, -f, -e, -l and the other playbook flags apply
  facts [PATTERN]            what kubeplay reads of each host (distribution, architecture, kernel,
                             CPUs, memory, its services and packages, the bundle's tools) as JSON
  inventory --list           hosts, groups and every host's vars as JSON (secrets as ***)
  inventory --graph          the group tree
  inventory --host NAME      one host's vars and the file each came from, as JSON
  report [RUN] --html FILE --json FILE
                             the HTML page and/or JSON document of a finished (or killed) run, from
                             its record (.kubeplay/runs/<run>.jsonl; default: the last run of
                             --state-dir, default .kubeplay)
  vault encrypt|decrypt|view|edit FILE…, vault encrypt-string [VALUE] --name VAR
                             ansible-vault, on the same file format (kubeplay vault --help)
  playbook FILE.ts [flags]   run a playbook (the same as npx tsx FILE.ts [flags])
  lab up|down|status|…       the built-in lab (the same as npm run lab -- …)
  completion bash            a bash completion script: eval "$(npx kubeplay completion bash)"
  import ansible DIR [--out OUT] [--force]
                             read an Ansible project (inventory, group_vars, host_vars, playbooks'
                             roles and tags) and write inventory.ts, group_vars/*.ts, host_vars/*.ts,
                             site.ts and IMPORT-REPORT.md (default OUT: DIR/kubeplay)

options (ping, shell, facts, inventory):
  -i, --inventory SRC        as for playbooks (default: lab)
  -b, --become               shell: run CMD as root (sudo)
  -f, --forks N              hosts at once (default 50)
      --one-line             shell: one line per host
      --host-key-policy strict|accept-new
      --vault-password-file FILE
  -h, --help

examples:
  kubeplay ping -i inventories/hosts.ini
  kubeplay shell masters -i inventories/hosts.ini -b -- systemctl is-active kubelet
  kubeplay module workers -i inventories/hosts.ini -b -m aptPackages -a '{"names":["nfs-common"]}' --check --diff
  kubeplay inventory -i inventories/hosts.ini --graph
  kubeplay playbook playbooks/site.ts -i inventories/hosts.ini --check --diff

exit codes: 0 ok, 2 a host failed (shell: a command exited non-zero), 3 a host was unreachable,
4 invalid input (nothing contacted)`

interface AdhocOptions {
  inventory: string
  pattern?: string
  become: boolean
  forks: number
  oneLine: boolean
  hostKeyPolicy: 'strict' | 'accept-new'
  vaultPasswordFile?: string
  list: boolean
  graph: boolean
  host?: string
  command: string[]
}

/** Pure: the options of ping/shell/inventory; ConfigError naming the flag on anything unknown. */
export function parseAdhocArgs(argv: readonly string[]): AdhocOptions {
  const o: AdhocOptions = { inventory: 'lab', become: false, forks: 50, oneLine: false, hostKeyPolicy: 'strict', list: false, graph: false, command: [] }
  const positional: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = (): string => valueAfter(argv, ++i, a)
    if (a === '--') { o.command = argv.slice(i + 1) as string[]; break }
    switch (a) {
      case '-i': case '--inventory': o.inventory = value(); break
      case '-b': case '--become': o.become = true; break
      case '-f': case '--forks': {
        const v = value()
        o.forks = Number(v)
        if (!Number.isInteger(o.forks) || o.forks < 1) throw new ConfigError('command line', a, 'a whole number ≥ 1', `'${v}'`)
        break
      }
      case '--one-line': o.oneLine = true; break
      case '--host-key-policy': {
        const v = value()
        if (v !== 'strict' && v !== 'accept-new') throw new ConfigError('command line', a, "'strict' or 'accept-new'", `'${v}'`)
        o.hostKeyPolicy = v
        break
      }
      case '--vault-password-file': o.vaultPasswordFile = value(); break
      case '--list': o.list = true; break
      case '--graph': o.graph = true; break
      case '--host': o.host = value(); break
      default:
        if (a.startsWith('-')) throw new ConfigError('command line', a, 'an option from kubeplay --help', `unknown option '${a}'`)
        positional.push(a)
    }
  }
  if (positional.length > 1) throw new ConfigError('command line', positional[1]!, 'one host pattern (put the command after --)', `'${positional.join(' ')}'`)
  o.pattern = positional[0]
  return o
}

interface Io { readonly out: (l: string) => void; readonly err: (l: string) => void }

async function inventoryOf(o: AdhocOptions): Promise<Inventory> {
  return loadInventory(o.inventory, { vaultPassword: vaultPassword(o.vaultPasswordFile) })
}

type Outcome<T> = T & { readonly code: number }

/**
 * The hosts `pattern` matches (none: a ConfigError before any connection), each connected with the
 * inventory's policy, `forks` at a time, `work` run on it and the connection closed. A host that
 * cannot be reached (or fails in `work`) gets `broken('UNREACHABLE' | 'FAILED', reason)`.
 */
async function onEachHost<T>(o: AdhocOptions, pattern: string, work: (conn: Connection, host: InventoryHost, inv: Inventory) => Promise<Outcome<T>>,
  broken: (status: 'UNREACHABLE' | 'FAILED', why: string) => T): Promise<{ hosts: string[]; results: Map<string, Outcome<T>> }> {
  const inv = await inventoryOf(o)
  const hosts = selectHosts(inv, pattern, 'pattern')
  if (!hosts.length) throw new ConfigError(inv.source, 'pattern', 'a pattern matching hosts', `'${pattern}', which matches none`)
  const connect = connectorFor(inv, o)
  const results = await perHost(hosts, o.forks, async (h): Promise<Outcome<T>> => {
    const host = inv.hosts.get(h)!
    let conn: Connection
    try { conn = await connect(host) } catch (e) { return { ...broken('UNREACHABLE', reason(e)), code: EXIT.unreachable } }
    try {
      return await work(conn, host, inv)
    } catch (e) {
      return unreachable(e) ? { ...broken('UNREACHABLE', reason(e)), code: EXIT.unreachable } : { ...broken('FAILED', reason(e)), code: EXIT.failed }
    } finally { await conn.close().catch(() => {}) }
  })
  return { hosts, results }
}

/** One line per host, as `ansible -m ping` prints it. */
async function ping(o: AdhocOptions, io: Io): Promise<number> {
  const { hosts, results } = await onEachHost(o, o.pattern ?? 'all', async (conn, host) => {
    const r = await conn.exec(sh`id -un`, { become: host.connection.become })
    if (r.code !== 0) return { code: EXIT.failed, line: `FAILED: ${host.connection.become ? 'become' : 'login shell'}: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}` }
    return { code: EXIT.ok, line: `ok (${host.connection.user}@${host.connection.address}${host.connection.connection === 'ssh' ? `:${host.connection.port}` : ''}, as ${r.stdout.trim()})` }
  }, (status, why) => ({ line: `${status}: ${why}` }))
  for (const [h, r] of results) io.out(mask(`${h.padEnd(Math.max(...hosts.map((x) => x.length)))}  ${r.line}`))
  return worst([...results.values()].map((r) => r.code))
}

/** The command on every host, output grouped per host (never interleaved), exit status per host. */
async function shell(o: AdhocOptions, io: Io): Promise<number> {
  if (!o.pattern) throw new ConfigError('command line', 'PATTERN', 'a host pattern before -- (all, masters, lab2…)', 'nothing')
  if (!o.command.length) throw new ConfigError('command line', '--', 'the command after -- (kubeplay shell masters -- uptime)', 'nothing')
  // The words after -- are one shell command line, as `ansible -a` takes it.
  const cmd = sh`${raw(o.command.join(' '))}`
  const { results } = await onEachHost(o, o.pattern, async (conn) => {
    const r = await conn.exec(cmd, { become: o.become })
    const text = [r.stdout, r.stderr].map((t) => t.replace(/\n$/, '')).filter(Boolean).join('\n')
    return { code: r.code === 0 ? EXIT.ok : EXIT.failed, status: r.code === 0 ? 'ok' : `FAILED rc=${r.code}`, text }
  }, (status: string, text) => ({ status, text }))
  for (const [h, r] of results) {
    if (o.oneLine) io.out(mask(`${h} | ${r.status} | ${r.text.replace(/\n/g, '\\n')}`))
    else { io.out(mask(`${h} | ${r.status} >>`)); if (r.text) io.out(mask(r.text)) }
  }
  return worst([...results.values()].map((r) => r.code))
}

/** What kubeplay reads of each host, as one JSON object by host name (unreachable hosts: their error). */
async function facts(o: AdhocOptions, io: Io): Promise<number> {
  const { results } = await onEachHost(o, o.pattern ?? 'all', async (conn, host, inv) => ({ code: EXIT.ok, value: await gatherFacts(conn, inv, host.name) as unknown }),
    (status, why) => ({ value: (status === 'UNREACHABLE' ? { unreachable: why } : { failed: why }) as unknown }))
  io.out(mask(JSON.stringify(Object.fromEntries([...results].map(([h, r]) => [h, r.value])), null, 2)))
  return worst([...results.values()].map((r) => r.code))
}

/** Pure: `report` options. */
export function parseReportArgs(argv: readonly string[]): { run: string; stateDir: string; html?: string; json?: string } {
  const o: { run: string; stateDir: string; html?: string; json?: string } = { run: 'last', stateDir: '.kubeplay' }
  let run: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = (): string => valueAfter(argv, ++i, a)
    if (a === '--html') o.html = value()
    else if (a === '--json') o.json = value()
    else if (a === '--state-dir') o.stateDir = value()
    else if (a.startsWith('-')) throw new ConfigError('command line', a, 'an option of kubeplay report (--html, --json, --state-dir)', `unknown option '${a}'`)
    else if (run === undefined) run = a
    else throw new ConfigError('command line', a, 'one run record', `'${run}' and '${a}'`)
  }
  if (!o.html && !o.json) throw new ConfigError('command line', 'report', '--html FILE and/or --json FILE', 'neither')
  return { ...o, run: run ?? 'last' }
}

/** A report of any run from its record. */
async function report(argv: readonly string[], io: Io): Promise<number> {
  const o = parseReportArgs(argv)
  let file = o.run
  if (o.run === 'last') {
    const last = join(o.stateDir, 'last-run.json')
    if (!existsSync(last)) throw new ConfigError('command line', 'RUN', `a run record, or a last run in ${o.stateDir} (--state-dir)`, `no ${last}`)
    file = (JSON.parse(readFileSync(last, 'utf8')) as { record: string }).record
  }
  const { result, extra } = readRunRecord(file, KUBEPLAY_VERSION)
  if (o.json) { writeFileSync(o.json, jsonReportText(result, extra)); io.out(`json: ${o.json}`) }
  if (o.html) { writeHtmlReport(result, o.html, extra); io.out(`report: ${o.html}`) }
  return EXIT.ok
}

/** ansible-inventory: --list (JSON), --graph (tree), --host NAME (vars and where each came from). */
async function inventory(o: AdhocOptions, io: Io): Promise<number> {
  const modes = [o.list, o.graph, o.host !== undefined].filter(Boolean).length
  if (modes !== 1) throw new ConfigError('command line', 'inventory', 'exactly one of --list, --graph, --host NAME', modes ? 'several' : 'none')
  const inv = await inventoryOf(o)
  if (o.list) {
    const groups = Object.fromEntries([...inv.groups.values()].map((g) => [g.name, {
      ...(g.name === 'all' ? {} : { hosts: g.hosts }), ...(g.children.length ? { children: g.children } : {}),
    }]))
    io.out(mask(JSON.stringify({ _meta: { hostvars: Object.fromEntries([...inv.hosts.values()].map((h) => [h.name, h.vars])) }, ...groups }, null, 2)))
  } else if (o.graph) {
    const lines = ['@all:']
    const walk = (g: string, depth: number): void => {
      const group = inv.groups.get(g)!
      for (const c of group.children) {
        lines.push(`${'  |'.repeat(depth)}--@${c}:`)
        walk(c, depth + 1)
      }
      const direct = group.hosts.filter((h) => !group.children.some((c) => inv.groups.get(c)?.hosts.includes(h)))
      if (g !== 'all') for (const h of direct) lines.push(`${'  |'.repeat(depth)}--${h}`)
    }
    walk('all', 1)
    io.out(lines.join('\n'))
  } else {
    const h = inv.hosts.get(o.host!)
    if (!h) throw new ConfigError(inv.source, '--host', 'a host of the inventory', `'${o.host}'`)
    const sources = Object.fromEntries([...(inv.origins?.get(h.name) ?? [])].sort(([a], [b]) => a.localeCompare(b)))
    io.out(mask(JSON.stringify({ vars: h.vars, groups: h.groups, sources }, null, 2)))
  }
  return EXIT.ok
}

async function perHost<R>(hosts: readonly string[], forks: number, fn: (h: string) => Promise<R>): Promise<Map<string, R>> {
  const queue = new PQueue({ concurrency: forks })
  const out = new Map<string, R>()
  await Promise.all(hosts.map((h) => queue.add(async () => { out.set(h, await fn(h)) })))
  return new Map(hosts.map((h) => [h, out.get(h)!]))
}

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!

/** Could not reach or log in; a refused sudo (wrong become password) is a failure on a reached host, as in Ansible. */
const unreachable = (e: unknown): boolean => e instanceof ConnectError && e.reason !== 'sudo-password-wrong' && e.reason !== 'sudo-required'

/** Unreachable wins over failed (nothing could be tried there), failed over ok. */
function worst(codes: number[]): number {
  return codes.includes(EXIT.unreachable) ? EXIT.unreachable : codes.includes(EXIT.failed) ? EXIT.failed : EXIT.ok
}

const SUBCOMMANDS = ['ping', 'shell', 'module', 'facts', 'inventory', 'report', 'vault', 'import', 'playbook', 'lab', 'completion'] as const

/** Pure: bash completion for subcommands, their flags, module names, vault actions and inventory groups/hosts. */
export function bashCompletion(modules: readonly string[]): string {
  return `# kubeplay bash completion: eval "$(npx kubeplay completion bash)"
_kubeplay() {
  local cur prev sub
  cur="\${COMP_WORDS[COMP_CWORD]}"; prev="\${COMP_WORDS[COMP_CWORD-1]}"; sub="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=( $(compgen -W "${SUBCOMMANDS.join(' ')} --help" -- "$cur") ); return; fi
  case "$prev" in
    -i|--inventory|--vault-password-file|--html|--json|--output|--state-dir|--report) COMPREPLY=( $(compgen -f -- "$cur") ); return;;
    -m|--module-name) COMPREPLY=( $(compgen -W "${modules.join(' ')}" -- "$cur") ); return;;
    --host-key-policy) COMPREPLY=( $(compgen -W "strict accept-new" -- "$cur") ); return;;
  esac
  case "$sub" in
    vault) [ "$COMP_CWORD" -eq 2 ] && { COMPREPLY=( $(compgen -W "encrypt decrypt view edit encrypt-string" -- "$cur") ); return; }
           COMPREPLY=( $(compgen -W "--vault-password-file --vault-id --output --name" -f -- "$cur") );;
    lab) COMPREPLY=( $(compgen -W "up down status poweroff poweron" -- "$cur") );;
    playbook) COMPREPLY=( $(compgen -f -X '!*.ts' -- "$cur") $(compgen -d -- "$cur") );;
    report) COMPREPLY=( $(compgen -W "last --html --json --state-dir" -f -- "$cur") );;
    completion) COMPREPLY=( $(compgen -W "bash" -- "$cur") );;
    *) COMPREPLY=( $(compgen -W "-i --inventory -b --become -f --forks --one-line --host-key-policy --vault-password-file -m -a --check --diff -e --limit --list --graph --host all masters workers haproxy k8s-cluster" -- "$cur") );;
  esac
}
complete -o default -F _kubeplay kubeplay
`
}

/** A password asked on the terminal without echo; undefined without a terminal. */
function terminalPrompt(question: string): string | undefined {
  if (!process.stdin.isTTY) return undefined
  process.stderr.write(question)
  const r = spawnSync('sh', ['-c', 'stty -echo; IFS= read -r p; s=$?; stty echo; printf %s "$p"; exit $s'], { stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8' })
  process.stderr.write('\n')
  return r.status === 0 ? r.stdout : undefined
}

/** Runs a TypeScript entry point (a playbook, the lab CLI) in a child node with tsx, passing stdio through. */
function runScript(file: string, args: readonly string[]): Promise<number> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), file, ...args], { stdio: 'inherit' })
    child.on('close', (code, signal) => done(code ?? (signal === 'SIGINT' ? EXIT.interrupted : EXIT.internal)))
  })
}

/** What the command takes from above lib/ (the entry point passes it: imports point down). */
export interface KubeplayDeps {
  /** The site playbook, whose roles' settings `import ansible` maps variables to. */
  readonly site?: () => Promise<Playbook>
}

export async function kubeplayCli(argv: readonly string[], io: Io = {
  out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`),
}, deps: KubeplayDeps = {}): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case undefined: case '-h': case '--help': case 'help':
        io.out(KUBEPLAY_USAGE)
        return command === undefined ? EXIT.invalidInput : EXIT.ok
      case 'ping': case 'shell': case 'facts': case 'inventory': {
        if (rest.includes('-h') || rest.includes('--help')) { io.out(KUBEPLAY_USAGE); return EXIT.ok }
        const o = parseAdhocArgs(rest)
        return await (command === 'ping' ? ping(o, io) : command === 'shell' ? shell(o, io) : command === 'facts' ? facts(o, io) : inventory(o, io))
      }
      case 'module': {
        if (rest.includes('-h') || rest.includes('--help')) { io.out(`${KUBEPLAY_USAGE}\n\nmodules: ${moduleNames().join(', ')}`); return EXIT.ok }
        const a = parseModuleCommand(rest)
        return await runCli(await adhocModulePlaybook(a), a.rest, io)
      }
      case 'report':
        if (rest.includes('-h') || rest.includes('--help')) { io.out(KUBEPLAY_USAGE); return EXIT.ok }
        return await report(rest, io)
      case 'vault': {
        if (!rest.length || rest.includes('-h') || rest.includes('--help')) { io.out(VAULT_USAGE); return rest.length ? EXIT.ok : EXIT.invalidInput }
        return vaultCommand(parseVaultArgs(rest), {
          out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`), err: io.err, prompt: terminalPrompt,
          stdin: () => (process.stdin.isTTY ? '' : readFileSync(0, 'utf8')),
        })
      }
      case 'completion':
        if (rest[0] !== 'bash') throw new ConfigError('command line', 'completion', 'a shell: bash', rest[0] ? `'${rest[0]}'` : 'nothing')
        io.out(bashCompletion(moduleNames()))
        return EXIT.ok
      case 'import': {
        const [kind, dir, ...more] = rest
        if (kind !== 'ansible' || !dir || dir.startsWith('-')) throw new ConfigError('command line', 'import', 'import ansible DIR [--out OUT] [--force]', `'${rest.join(' ')}'`)
        let out = join(dir, 'kubeplay')
        let force = false
        let inventory: string | undefined
        for (let i = 0; i < more.length; i++) {
          const a = more[i]!
          if (a === '--force') force = true
          else if ((a === '--out' || a === '--inventory') && more[i + 1]) { if (a === '--out') out = more[++i]!; else inventory = more[++i]! }
          else throw new ConfigError('command line', a, 'an option of kubeplay import ansible (--out DIR, --inventory FILE, --force)', `'${a}'`)
        }
        if (!deps.site) throw new KubeplayError('kubeplay import needs the site playbook (run it through bin/kubeplay.mjs)')
        const { importAnsible, writeImport } = await import('./import-ansible.ts')
        const r = importAnsible(dir, await deps.site(), { inventory })
        const written = writeImport(out, r, force)
        const n = (o: string): number => r.mappings.filter((m) => m.outcome === o).length
        io.out(`${written.length} files in ${out}: ${n('mapped')} variables mapped to role settings, ${n('kept')} kept, ${n('secret')} secrets from the environment, ${n('not mapped')} not mapped (IMPORT-REPORT.md)`)
        return EXIT.ok
      }
      case 'playbook': {
        const [file, ...args] = rest
        if (!file || file.startsWith('-')) throw new ConfigError('command line', 'playbook', 'a playbook file (kubeplay playbook playbooks/site.ts …)', file ? `'${file}'` : 'nothing')
        return await runScript(resolve(file), args)
      }
      case 'lab':
        return await runScript(fileURLToPath(new URL('../lab/cli.ts', import.meta.url)), rest)
      default:
        throw new ConfigError('command line', command, `a command: ${SUBCOMMANDS.join(', ')} (kubeplay --help)`, `'${command}'`)
    }
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ConfigErrors) {
      io.err(mask(`kubeplay: invalid input, nothing was contacted:\n${e.message}`))
      return EXIT.invalidInput
    }
    if (e instanceof KubeplayError) { io.err(mask(`kubeplay: ${e.message}`)); return EXIT.failed }
    throw e
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  kubeplayCli(process.argv.slice(2)).then((code) => { process.exitCode = code }, (e) => {
    process.stderr.write(`kubeplay: internal error: ${mask(e instanceof Error ? e.stack ?? e.message : String(e))}\n`)
    process.exitCode = EXIT.internal
  })
}
