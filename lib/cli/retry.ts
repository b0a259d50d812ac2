/** `--retry` (replay the last run's selection on the hosts it left) and `--limit @file`, read from the state directory's last-run.json. */
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { LastRun } from '../engine/record.ts'
import { ConfigError } from '../errors.ts'
import { selectHosts } from '../inventory/pattern.ts'
import type { Inventory } from '../inventory/types.ts'
import { parseArgs, type CliOptions } from './args.ts'

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
export function limitFile(file: string): string {
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
 * skip-tags, limit, shard, `-e` and `--check` that this command line does not set itself. Refuses a last
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
  const take = <K extends 'tags' | 'skipTags' | 'limit' | 'shard'>(k: K, flag: string): CliOptions[K] => {
    if (o[k] !== undefined || before[k] === undefined) return o[k]
    const v = before[k]
    taken.push(`${flag} ${Array.isArray(v) ? v.join(',') : typeof v === 'object' ? `${v.index}/${v.count}` : v}`)
    return v
  }
  const tags = take('tags', '--tags')
  const skipTags = take('skipTags', '--skip-tags')
  const limit = take('limit', '--limit')
  const shard = take('shard', '--shard')
  let extraVars = o.extraVars
  if (!extraVars.length && before.extraVars.length) {
    const secret = before.extraVars.find((e) => e.includes('***'))
    if (secret) throw new ConfigError(file, '--retry', `-e given again (run ${last.runId} had -e values holding secrets, recorded masked)`, `-e ${secret}`)
    extraVars = before.extraVars
    taken.push(...extraVars.map((e) => `-e ${e}`))
  }
  const check = o.check || before.check
  if (check && !o.check) taken.push('--check')
  const options: CliOptions = { ...o, tags, skipTags, limit, shard, extraVars, check }
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
