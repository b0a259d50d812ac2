/**
 * The CLI: a playbook file calls `main(import.meta.url, playbook)`; when that file is the script
 * being run (`tsx playbooks/site.ts --tags metallb`), arguments are parsed, the inventory is loaded
 * and validated (nothing is contacted before that succeeds), and the playbook runs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { LocalConnection } from '../connection/local.ts'
import { connectSsh, JumpPool } from '../connection/ssh.ts'
import { mask, quote } from '../connection/quote.ts'
import type { Connector } from '../engine/host.ts'
import { runRecorder, type LastRun } from '../engine/record.ts'
import { multiReporter, type RunResult } from '../engine/results.ts'
import { planPlaybook, playbookTags, runPlaybook } from '../engine/run.ts'
import type { Playbook } from '../engine/task.ts'
import { playbookVarsSchema } from '../engine/vars.ts'
import { ConfigError, ConfigErrors, KubeplayError } from '../errors.ts'
import { loadInventory } from '../inventory/load.ts'
import type { Inventory, Vars } from '../inventory/types.ts'
import { EXIT, parseArgs, USAGE, type CliOptions } from './args.ts'
import { consoleReporter } from './console.ts'

/** Runs `pb` when `moduleUrl` is the script node was started with; does nothing when imported. */
export function main(moduleUrl: string, pb: Playbook): void {
  const script = process.argv[1] ? resolve(process.argv[1]) : ''
  if (script !== fileURLToPath(moduleUrl)) return
  runCli(pb).then((code) => { process.exitCode = code }, (e) => {
    process.stderr.write(`kubeplay: internal error: ${mask(e instanceof Error ? e.stack ?? e.message : String(e))}\n`)
    process.exitCode = EXIT.internal
  })
}

export async function runCli(pb: Playbook, argv: readonly string[] = process.argv.slice(2),
  io: { out?: (l: string) => void; err?: (l: string) => void } = {}): Promise<number> {
  const out = io.out ?? ((l: string) => process.stdout.write(`${l}\n`))
  const err = io.err ?? ((l: string) => process.stderr.write(`${l}\n`))
  let o: CliOptions
  let inventory: Inventory
  let limit: string | undefined
  try {
    o = parseArgs(argv)
    if (o.help) { out(USAGE); return EXIT.ok }
    inventory = withExtraVars(await loadInventory(o.inventory ?? 'lab', { schema: playbookVarsSchema(pb) }), o.extraVars)
    limit = o.limit
    if (o.retry) {
      const retry = retryLimit(o.stateDir, pb.name)
      if (retry.length === 0) { out('nothing to retry: the last run had no failed or unreachable hosts'); return EXIT.ok }
      limit = limit ? `${retry.join(':')}:&${limit}` : retry.join(':')
    }
    const plans = planPlaybook(pb, { inventory, tags: o.tags, skipTags: o.skipTags, limit, startAtTask: o.startAtTask })
    if (o.listHosts || o.listTasks || o.listTags) {
      for (const p of plans) {
        out(`play '${p.play.name}' (${p.hosts.length} hosts)${o.listHosts ? `: ${p.hosts.join(', ')}` : ''}`)
        if (o.listTasks) for (const t of p.tasks) out(`  ${t.item.title}  [${[...t.tags].join(', ')}]`)
      }
      if (o.listTags) out(`tags: ${[...playbookTags(pb)].sort().join(', ')}`)
      return EXIT.ok
    }
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ConfigErrors) {
      err(`kubeplay: invalid input, nothing was contacted:\n${e.message}`)
      return EXIT.invalidInput
    }
    throw e
  }

  const abort = new AbortController()
  let interrupts = 0
  const onSigint = (): void => {
    interrupts++
    if (interrupts > 1) process.exit(EXIT.interrupted)
    err('interrupt: finishing in-flight tasks, then stopping (Ctrl-C again to quit now)')
    abort.abort()
  }
  process.on('SIGINT', onSigint)
  const recorder = runRecorder(o.stateDir)
  const rerunHint = `${rerunCommand(argv)} --retry`
  let result: RunResult
  try {
    result = await runPlaybook(pb, {
      inventory, connector: connectorFor(inventory, o), tags: o.tags, skipTags: o.skipTags, limit,
      checkMode: o.check, forks: o.forks, startAtTask: o.startAtTask, signal: abort.signal, argv: [...argv],
      reporter: multiReporter([consoleReporter({ verbose: o.verbose, diff: o.diff, rerunHint, write: io.out }), recorder]),
    })
  } finally {
    process.off('SIGINT', onSigint)
  }
  out(`run record: ${recorder.path()}`)
  if (o.json) writeFileSync(o.json, `${JSON.stringify({ version: 1, ...result }, null, 2)}\n`)
  if (abort.signal.aborted) return EXIT.interrupted
  if (result.failedHosts.length) return EXIT.failed
  if (result.unreachableHosts.length) return EXIT.unreachable
  if (o.check && o.detailedExitcode && result.results.some((r) => r.status === 'changed')) return EXIT.pendingChanges
  return EXIT.ok
}

/** SSH for ssh hosts, the local shell for `connection: 'local'` hosts. One bastion pool per run. */
export function connectorFor(inv: Inventory, o: Pick<CliOptions, 'hostKeyPolicy'>): Connector {
  const jumps = new JumpPool()
  return async (h) => h.connection.connection === 'local'
    ? new LocalConnection({ host: h.name, become: h.connection.become })
    : connectSsh(h.name, h.connection, { hostKeyPolicy: o.hostKeyPolicy, jumpPool: jumps, resolveJump: (n) => inv.hosts.get(n)?.connection })
}

/** Hosts that failed or were unreachable in the last run of this playbook. */
export function retryLimit(stateDir: string, playbook: string): string[] {
  const file = resolve(stateDir, 'last-run.json')
  if (!existsSync(file)) throw new ConfigError(file, '--retry', 'a previous run record', 'none (no run yet in this state dir)')
  const last = JSON.parse(readFileSync(file, 'utf8')) as LastRun
  if (last.playbook !== playbook) throw new ConfigError(file, 'playbook', `a last run of '${playbook}'`, `a run of '${last.playbook}'`)
  return [...last.failedHosts, ...last.unreachableHosts]
}

function rerunCommand(argv: readonly string[]): string {
  const script = process.argv[1] ? relative(process.cwd(), process.argv[1]) : 'playbooks/site.ts'
  return ['tsx', script, ...argv.filter((a) => a !== '--retry')].map((a) => quote(a)).join(' ')
}

/** `-e k=v` / `-e @file.yml`: override every host's vars (highest precedence, like Ansible). */
export function withExtraVars(inv: Inventory, specs: readonly string[]): Inventory {
  if (specs.length === 0) return inv
  const extra: Vars = {}
  for (const s of specs) {
    if (s.startsWith('@')) {
      const file = s.slice(1)
      let data: unknown
      try { data = parseYaml(readFileSync(file, 'utf8')) } catch (e) {
        throw new ConfigError(file, '--extra-vars', 'a readable YAML or JSON file', (e as Error).message)
      }
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(file, '--extra-vars', 'a mapping of vars', typeof data)
      Object.assign(extra, data)
    } else {
      const eq = s.indexOf('=')
      if (eq < 1) throw new ConfigError('command line', '--extra-vars', 'KEY=VALUE or @file.yml', `'${s}'`)
      extra[s.slice(0, eq)] = s.slice(eq + 1)
    }
  }
  const hosts = new Map([...inv.hosts].map(([n, h]) => [n, { ...h, vars: { ...h.vars, ...extra } }]))
  return { ...inv, hosts }
}

export { KubeplayError }
