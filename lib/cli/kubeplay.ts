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
 *   kubeplay report [RUN…|last] --html F --json F    a report of any run (or shards merged), after the fact
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
import { sh } from '../connection/quote.ts'
import { mask } from '../secret.ts'
import { ConfigError, ConfigErrors, KubeplayError } from '../errors.ts'
import { EXIT, valueAfter } from './args.ts'
import type { Playbook } from '../engine/task.ts'
import { KUBEPLAY_VERSION, runCli } from './main.ts'
import { jsonReportText, writeHtmlReport } from '../report/index.ts'
import { readRunRecord } from '../report/record.ts'
import { mergeRuns } from '../report/merge.ts'
import { parseVaultArgs, VAULT_USAGE, vaultCommand } from './vault.ts'
import { adhocModulePlaybook, moduleNames, parseModuleCommand } from './module.ts'
import { facts, inventory, parseAdhocArgs, ping, shell, type Io } from './adhoc.ts'

// The command line's parts, for scripts that drive runs their own way (`kubeplay/cli`; bench/run.ts).
export { connectorFor } from './main.ts'
export { consoleReporter } from './console.ts'

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
  report [RUN…] --html FILE --json FILE
                             the HTML page and/or JSON document of a finished (or killed) run, from
                             its record (.kubeplay/runs/<run>.jsonl; default: the last run of
                             --state-dir, default .kubeplay); several records (the --shard runs
                             of one playbook) make one merged report
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

/** Pure: `report` options: one run record or more (the shards of one run, merged), `last` by default. */
export function parseReportArgs(argv: readonly string[]): { runs: string[]; stateDir: string; html?: string; json?: string } {
  const o: { runs: string[]; stateDir: string; html?: string; json?: string } = { runs: [], stateDir: '.kubeplay' }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = (): string => valueAfter(argv, ++i, a)
    if (a === '--html') o.html = value()
    else if (a === '--json') o.json = value()
    else if (a === '--state-dir') o.stateDir = value()
    else if (a.startsWith('-')) throw new ConfigError('command line', a, 'an option of kubeplay report (--html, --json, --state-dir)', `unknown option '${a}'`)
    else o.runs.push(a)
  }
  if (!o.html && !o.json) throw new ConfigError('command line', 'report', '--html FILE and/or --json FILE', 'neither')
  return { ...o, runs: o.runs.length ? o.runs : ['last'] }
}

/** A report of any run from its record; of several records (a sharded run), one merged report. */
async function report(argv: readonly string[], io: Io): Promise<number> {
  const o = parseReportArgs(argv)
  const files = o.runs.map((run) => {
    if (run !== 'last') return run
    const last = join(o.stateDir, 'last-run.json')
    if (!existsSync(last)) throw new ConfigError('command line', 'RUN', `a run record, or a last run in ${o.stateDir} (--state-dir)`, `no ${last}`)
    return (JSON.parse(readFileSync(last, 'utf8')) as { record: string }).record
  })
  const { result, extra } = mergeRuns(files.map((file) => ({ file, ...readRunRecord(file, KUBEPLAY_VERSION) })))
  if (files.length > 1) io.out(`merged ${files.length} runs: ${Object.keys(result.recap).length} hosts, ${result.results.length} task results`)
  if (o.json) { writeFileSync(o.json, jsonReportText(result, extra)); io.out(`json: ${o.json}`) }
  if (o.html) { writeHtmlReport(result, o.html, extra); io.out(`report: ${o.html}`) }
  return EXIT.ok
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
