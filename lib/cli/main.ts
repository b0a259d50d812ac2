/**
 * The CLI: a playbook file calls `main(import.meta.url, playbook)`; when that file is the script
 * being run (`tsx playbooks/site.ts --tags metallb`), arguments are parsed, the inventory is loaded
 * and validated (nothing is contacted before that succeeds), and the playbook runs.
 */
import { readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LocalConnection } from '../connection/local.ts'
import type { connectSsh, JumpPool } from '../connection/ssh.ts'
import { quote } from '../connection/quote.ts'
import { mask } from '../secret.ts'
import type { Connector } from '../engine/host.ts'
import { runRecorder } from '../engine/record.ts'
import { multiReporter, type RunResult } from '../engine/results.ts'
import { runPlaybook } from '../engine/run.ts'
import { planPlaybook, playbookTags } from '../engine/plan.ts'
import type { Playbook } from '../engine/task.ts'
import { playbookVarsSchema } from '../engine/vars.ts'
import { ConfigError, ConfigErrors, KubeplayError } from '../errors.ts'
import { loadInventory } from '../inventory/load.ts'
import { vaultPassword } from '../vault.ts'
import type { Inventory } from '../inventory/types.ts'
import { EXIT, parseArgs, USAGE, type CliOptions } from './args.ts'
import { consoleReporter } from './console.ts'
import { withExtraVars } from './extra-vars.ts'
import { limitFile, retryLimit, retryPlan, retrySelection } from './retry.ts'

export const KUBEPLAY_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

/** The real path of a file (symlinks resolved), or the path itself when it cannot be read. */
function realPath(p: string): string {
  try { return realpathSync(p) } catch { return p }
}

/**
 * Runs `pb` when `moduleUrl` is the script node was started with; does nothing when imported. Node
 * loads a script through its real path, so a playbook started through a symlink (a linked checkout,
 * a symlinked project directory) compares by real path too: it must run, not exit 0 in silence.
 */
export function main(moduleUrl: string, pb: Playbook): void {
  const script = process.argv[1] ? realPath(resolve(process.argv[1])) : ''
  if (script !== realPath(fileURLToPath(moduleUrl))) return
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
    const plans = planPlaybook(pb, { inventory, tags: o.tags, skipTags: o.skipTags, limit, shard: o.shard, startAtTask: o.startAtTask, listOnly: o.listHosts || o.listTasks || o.listTags })
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
      inventory, connector: connectorFor(inventory, o), tags: o.tags, skipTags: o.skipTags, limit, shard: o.shard,
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
  // Loaded only when asked for: the HTML report carries its whole page.
  if (o.json || o.report) {
    const { jsonReportText, writeHtmlReport } = await import('../report/index.ts')
    if (o.json) writeFileSync(o.json, jsonReportText(result, extra))
    if (o.report) { writeHtmlReport(result, o.report, extra); out(`report: ${o.report}`) }
  }
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
  // The SSH layer (node-ssh, ssh2) loads with the first SSH host: --list-* and local hosts never pay for it.
  let ssh: Promise<{ connect: typeof connectSsh; jumps: JumpPool }> | undefined
  return async (h) => {
    if (h.connection.connection === 'local') return new LocalConnection({ host: h.name, become: h.connection.become })
    ssh ??= import('../connection/ssh.ts').then((m) => ({ connect: m.connectSsh, jumps: new m.JumpPool() }))
    const { connect, jumps } = await ssh
    return connect(h.name, h.connection, { hostKeyPolicy: o.hostKeyPolicy, jumpPool: jumps, resolveJump: (n) => inv.hosts.get(n)?.connection })
  }
}

/** The command line that reruns this one with --retry: copy-pasteable from the same directory. */
export function rerunCommand(argv: readonly string[], script = process.argv[1]): string {
  const path = script ? relative(process.cwd(), script) || script : 'playbooks/site.ts'
  return ['npx', 'tsx', path, ...argv.filter((a) => a !== '--retry' && a !== '--break-lock')].map((a) => quote(a)).join(' ')
}

export { KubeplayError, withExtraVars, retryLimit, retryPlan, retrySelection }
