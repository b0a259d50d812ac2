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
import { quote } from '../connection/quote.ts'
import { mask } from '../secret.ts'
import type { Connector } from '../engine/host.ts'
import { runRecorder, type LastRun } from '../engine/record.ts'
import { multiReporter, type RunResult } from '../engine/results.ts'
import { runPlaybook } from '../engine/run.ts'
import { planPlaybook, playbookTags } from '../engine/plan.ts'
import type { Playbook } from '../engine/task.ts'
import { playbookVarsSchema } from '../engine/vars.ts'
import { ConfigError, ConfigErrors, KubeplayError } from '../errors.ts'
import { wrapSecretVars } from '../inventory/group-vars.ts'
import { loadInventory } from '../inventory/load.ts'
import { selectHosts } from '../inventory/pattern.ts'
import { vaultPassword } from '../vault.ts'
import type { Inventory, ResolvedConnection, Vars } from '../inventory/types.ts'
import { shellSplit, splitAnsibleVars, type ConnectionFields } from '../inventory/ansible-vars.ts'
import { validate, type Schema } from '../schema/validate.ts'
import { noteOrigin } from '../inventory/origins.ts'
import { EXIT, parseArgs, USAGE, type CliOptions } from './args.ts'
import { consoleReporter } from './console.ts'
import { jsonReportText, writeHtmlReport } from '../report/index.ts'

export const KUBEPLAY_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

/** Runs `pb` when `moduleUrl` is the script node was started with; does nothing when imported. */
export function main(moduleUrl: string, pb: Playbook): void {
  const script = process.argv[1] ? resolve(process.argv[1]) : ''
  if (script !== fileURLToPath(moduleUrl)) return
  survivesClosedPipes()
  runCli(pb).then((code) => { process.exitCode = code }, (e) => {
    process.stderr.write(`kubeplay: internal error: ${mask(e instanceof Error ? e.stack ?? e.message : String(e))}\n`)
    process.exitCode = EXIT.internal
  })
}

/**
 * `site.ts | head -40`: once the reader is gone, output is dropped and the run goes on to its end —
 * every host finished, its record written and its lock released — instead of dying on EPIPE.
 */
function survivesClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e
      stream.write = (() => true) as typeof stream.write
    })
  }
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
    // --retry replays the last run's selection (tags, skip-tags, limit, -e, --check) unless this
    // command line says otherwise, and only against the inventory it ran on.
    const replay = o.retry ? retrySelection(o, pb.name) : undefined
    if (replay) { o = replay.options; if (replay.note) out(replay.note) }
    const vault = vaultPassword(o.vaultPasswordFile)
    const schema = playbookVarsSchema(pb)
    inventory = withExtraVars(await loadInventory(o.inventory ?? 'lab', { schema, vaultPassword: vault }), o.extraVars, schema)
    limit = o.limit?.startsWith('@') ? limitFile(o.limit.slice(1)) : o.limit
    if (o.retry) {
      const retry = retryPlan(o.stateDir, pb.name, o.check, inventory, o.limit)
      out(retry.message)
      if (retry.hosts.length === 0) return retry.left ? EXIT.failed : EXIT.ok
      limit = retry.hosts.join(':')
    }
    const plans = planPlaybook(pb, { inventory, tags: o.tags, skipTags: o.skipTags, limit, startAtTask: o.startAtTask, listOnly: o.listHosts || o.listTasks || o.listTags })
    if (o.listHosts || o.listTasks || o.listTags) {
      for (const p of plans.filter((x) => x.tasks.length > 0)) {
        out(`play '${p.play.name}' (${p.hosts.length} hosts)${o.listHosts ? `: ${p.hosts.join(', ')}` : ''}`)
        if (o.listTasks) for (const t of p.tasks) out(`  ${t.item.title}  [${[...t.tags].join(', ')}]`)
      }
      if (o.listTags) out(`tags: ${[...playbookTags(pb)].sort().join(', ')}`)
      return EXIT.ok
    }
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ConfigErrors) {
      err(mask(`kubeplay: invalid input, nothing was contacted:\n${e.message}`))
      return EXIT.invalidInput
    }
    throw e
  }

  // 1st Ctrl-C: no new task, in-flight ones get the grace period; 2nd: kill them now (locks are
  // still released, the record still written); 3rd: exit at once, possibly leaving locks behind.
  const abort = new AbortController()
  const kill = new AbortController()
  let interrupts = 0
  const onSignal = (): void => {
    interrupts++
    if (interrupts === 1) {
      err(`interrupt: no new tasks; tasks in flight get ${(o.interruptGraceMs ?? 10_000) / 1000} s to finish, then are killed (Ctrl-C again: kill now)`)
      abort.abort()
    } else if (interrupts === 2) {
      err('interrupt: killing the commands in flight, releasing locks (Ctrl-C again: quit at once, locks may stay behind)')
      kill.abort()
    } else {
      process.exit(EXIT.interrupted)
    }
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const recorder = runRecorder(o.stateDir)
  const rerunHint = mask(`${rerunCommand(argv)} --retry`)
  const lockDir = resolve(o.stateDir, 'locks')
  let result: RunResult
  try {
    result = await runPlaybook(pb, {
      inventory, connector: connectorFor(inventory, o), tags: o.tags, skipTags: o.skipTags, limit,
      checkMode: o.check, forks: o.forks, startAtTask: o.startAtTask, signal: abort.signal, killSignal: kill.signal,
      graceMs: o.interruptGraceMs, taskTimeoutMs: o.taskTimeoutMs, argv: [...argv],
      // Local hosts are this machine: their lock lives in the state dir, so separate projects do not collide.
      lock: (h) => ({ breakLock: o.breakLock, ...(h.connection.connection === 'local' ? { path: resolve(lockDir, `${h.name}.lock`) } : {}) }),
      reporter: multiReporter([consoleReporter({ verbose: o.verbose, diff: o.diff, rerunHint, write: io.out }), recorder]),
    })
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  out(`run record: ${recorder.path()}`)
  const extra = { inventory: inventory.source, argv: [...argv], kubeplayVersion: KUBEPLAY_VERSION, rerun: rerunHint }
  if (o.json) writeFileSync(o.json, jsonReportText(result, extra))
  if (o.report) { writeHtmlReport(result, o.report, extra); out(`report: ${o.report}`) }
  if (abort.signal.aborted) {
    // The console prints the hint when hosts failed; unfinished hosts need it as much.
    if (!o.check && !result.failedHosts.length && !result.unreachableHosts.length) out(`interrupted; to finish the hosts it did not complete: ${rerunHint}`)
    return EXIT.interrupted
  }
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

/** Hosts that failed, were unreachable or were left unfinished (interrupt, abort) in the last run of this playbook. */
export function retryLimit(stateDir: string, playbook: string): string[] {
  const { last } = readLastRun(stateDir, playbook)
  return [...new Set([...last.failedHosts, ...last.unreachableHosts, ...(last.incompleteHosts ?? [])])]
}

function readLastRun(stateDir: string, playbook: string): { file: string; last: LastRun } {
  const file = resolve(stateDir, 'last-run.json')
  if (!existsSync(file)) throw new ConfigError(file, '--retry', 'a previous run record', 'none (no run yet in this state dir)')
  let last: LastRun
  try {
    last = JSON.parse(readFileSync(file, 'utf8')) as LastRun
  } catch (e) {
    throw new ConfigError(file, '--retry', 'a readable last-run.json', (e as Error).message)
  }
  if (!last || !Array.isArray(last.failedHosts) || !Array.isArray(last.unreachableHosts)) {
    throw new ConfigError(file, '--retry', 'a last-run.json with failedHosts and unreachableHosts', 'another shape')
  }
  if (last.playbook !== playbook) throw new ConfigError(file, 'playbook', `a last run of '${playbook}' (--retry reruns the same playbook)`, `a run of '${last.playbook}'`)
  return { file, last }
}

/** `--limit @file`: host names or patterns, one per line (an Ansible `.retry` file), as one pattern. */
function limitFile(file: string): string {
  let text: string
  try { text = readFileSync(file, 'utf8') } catch (e) {
    throw new ConfigError(file, '--limit', 'a readable file of host names, one per line', (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message)
  }
  const names = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
  if (!names.length) throw new ConfigError(file, '--limit', 'a file of host names, one per line', 'an empty file')
  return names.join(':')
}

/** Pure: an inventory argument as a comparable path (`lab` and `lab:NAME` stay as they are). */
const inventoryKey = (src: string | undefined): string => (!src || src === 'lab' || src.startsWith('lab:') ? src ?? 'lab' : resolve(src))

/**
 * `--retry`: the options of this command line completed with the last run's selection — tags,
 * skip-tags, limit, `-e` and `--check` that this command line does not set itself. Refuses a last
 * run made against another inventory, and a last run's `-e` that held a secret (only its masked
 * form is recorded) unless `-e` is given again.
 */
export function retrySelection(o: CliOptions, playbook: string): { options: CliOptions; note?: string } {
  const { file, last } = readLastRun(o.stateDir, playbook)
  if (!last.argv) return { options: o }
  let before: CliOptions
  try { before = parseArgs(last.argv) } catch { return { options: o } }
  if (inventoryKey(before.inventory) !== inventoryKey(o.inventory)) {
    throw new ConfigError(file, '--retry', `a last run against this inventory (${o.inventory ?? 'lab'})`, `run ${last.runId} against ${before.inventory ?? 'lab'}`)
  }
  const taken: string[] = []
  const take = <K extends 'tags' | 'skipTags' | 'limit'>(k: K, flag: string): CliOptions[K] => {
    if (o[k] !== undefined || before[k] === undefined) return o[k]
    taken.push(`${flag} ${Array.isArray(before[k]) ? (before[k] as string[]).join(',') : before[k]}`)
    return before[k]
  }
  const tags = take('tags', '--tags')
  const skipTags = take('skipTags', '--skip-tags')
  const limit = take('limit', '--limit')
  let extraVars = o.extraVars
  if (!extraVars.length && before.extraVars.length) {
    const secret = before.extraVars.find((e) => e.includes('***'))
    if (secret) throw new ConfigError(file, '--retry', `-e given again (run ${last.runId} had -e values holding secrets, recorded masked)`, `-e ${secret}`)
    extraVars = before.extraVars
    taken.push(...extraVars.map((e) => `-e ${e}`))
  }
  const check = o.check || before.check
  if (check && !o.check) taken.push('--check')
  const options: CliOptions = { ...o, tags, skipTags, limit, extraVars, check }
  return { options, ...(taken.length ? { note: `--retry: as run ${last.runId}: ${taken.join(' ')}` } : {}) }
}

/**
 * `--retry`: the last run's failed, unreachable and unfinished hosts that are still in the inventory,
 * intersected with `--limit`, and a line saying which and why. `left`: hosts left to finish that
 * this inventory or limit no longer selects (a retry that cannot finish them is not a success).
 */
export function retryPlan(stateDir: string, playbook: string, checkMode: boolean, inv: Inventory, limit?: string): { hosts: string[]; message: string; left: number } {
  const { file, last } = readLastRun(stateDir, playbook)
  if (last.checkMode && !checkMode) {
    throw new ConfigError(file, '--retry', 'a last run that applied changes (the last one was --check)', `check run ${last.runId}`)
  }
  const why = new Map<string, string>()
  for (const h of last.incompleteHosts ?? []) why.set(h, 'unfinished')
  for (const h of last.unreachableHosts) why.set(h, 'unreachable')
  for (const h of last.failedHosts) why.set(h, 'failed')
  const allowed = limit ? new Set(selectHosts(inv, limit, '--limit')) : null
  const gone = [...why.keys()].filter((h) => !inv.hosts.has(h))
  const hosts = [...inv.hosts.keys()].filter((h) => why.has(h) && (!allowed || allowed.has(h)))
  const notes = [gone.length ? `; not in the inventory any more: ${gone.join(', ')}` : '',
    allowed ? `; --limit ${limit} keeps ${hosts.length} of ${why.size}` : ''].join('')
  if (hosts.length === 0) {
    return { hosts, left: why.size, message: `nothing to retry: run ${last.runId} left ${why.size ? `${why.size} host(s), none selected${notes}` : 'no failed, unreachable or unfinished hosts'}` }
  }
  return { hosts, left: why.size - hosts.length, message: `--retry: rerunning ${hosts.length} host(s) of run ${last.runId}: ${hosts.map((h) => `${h} (${why.get(h)})`).join(', ')}${notes}` }
}

/** The command line that reruns this one with --retry: copy-pasteable from the same directory. */
export function rerunCommand(argv: readonly string[], script = process.argv[1]): string {
  const path = script ? relative(process.cwd(), script) || script : 'playbooks/site.ts'
  return ['npx', 'tsx', path, ...argv.filter((a) => a !== '--retry' && a !== '--break-lock')].map((a) => quote(a)).join(' ')
}

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

const isMapping = (v: unknown): v is Vars => !!v && typeof v === 'object' && !Array.isArray(v)

/** Pure: `b` merged into `a`, mappings key by key at every depth; anything else (lists too) replaced. */
function deepMerge(a: unknown, b: unknown): unknown {
  if (!isMapping(a) || !isMapping(b)) return b
  const out: Vars = { ...a }
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(out[k], v)
  return out
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
    at[last] = deepMerge(at[last], value)
  }
  return out
}

export { KubeplayError }
