/**
 * The plan of a run, made before any connection: each play's hosts (its pattern, --limit), its tasks
 * (--tags, --skip-tags, --start-at-task, a role's `withRole` tasks), its serial batches checked, and
 * every selected role's inventory preflight. Invalid input throws ConfigError(s); nothing is contacted.
 */
import { ConfigError, ConfigErrors } from '../errors.ts'
import { selectHosts } from '../inventory/pattern.ts'
import { batches } from './batches.ts'
import type { RunOptions } from './run-state.ts'
import { isSelected, validateTags } from './tags.ts'
import { flatten, rolesOf, type FlatTask, type Play, type Playbook } from './task.ts'

/** Every tag a playbook's tasks carry (including role names). */
export function playbookTags(pb: Playbook): Set<string> {
  const tags = new Set<string>()
  for (const p of pb.plays) for (const t of flatten(p)) t.tags.forEach((x) => tags.add(x))
  return tags
}

export interface PlayPlan {
  readonly play: Play
  readonly hosts: string[]
  readonly tasks: FlatTask[]
  /** Names in the play's host pattern that the inventory lacks (the play skips them, like Ansible). */
  readonly unknown: string[]
  /** The play's hosts before --limit (what its roles' inventory checks look at). */
  readonly all: string[]
}

/** Resolves hosts and tasks of every play, validating patterns and tags; contacts nothing. */
export function planPlaybook(pb: Playbook, o: Omit<RunOptions, 'connector'>): PlayPlan[] {
  validateTags(o, playbookTags(pb))
  const limit = o.limit ? new Set(selectHosts(o.inventory, o.limit, '--limit')) : null
  let started = !o.startAtTask
  if (o.startAtTask && !pb.plays.some((p) => flatten(p).some((t) => t.item.title === o.startAtTask))) {
    throw new ConfigError('--start-at-task', o.startAtTask, 'the title of a task in the playbook', 'no such task')
  }
  const shard = o.shard ? shardOf([...o.inventory.hosts.keys()], o.shard) : null
  const plans = pb.plays.map((play) => {
    const unknown: string[] = []
    const all = selectHosts(o.inventory, play.hosts, `play '${play.name}' hosts`, { onUnknown: (n) => unknown.push(n) })
    const hosts = all.filter((h) => !limit || limit.has(h))
    batches(hosts, play.serial, `play '${play.name}' serial`)
    const flat = flatten(play).filter((t) => {
      if (!started && t.item.title === o.startAtTask) started = true
      return started
    })
    const withRole = (t: FlatTask): boolean => t.item.kind === 'task' && !!t.item.withRole
    const picked = new Set(flat.filter((t) => !withRole(t) && isSelected(t.tags, o)))
    const rolesPicked = new Set([...picked].map((t) => t.role).filter(Boolean))
    let tasks = flat.filter((t) => picked.has(t) ||
      (withRole(t) && rolesPicked.has(t.role) && isSelected(t.tags, { skipTags: o.skipTags })))
    // A flush alone does nothing: do not contact the play's hosts for it.
    if (tasks.every((t) => t.item.kind === 'flush')) tasks = []
    return { play, hosts, tasks, unknown, all }
  })
  // A role's inventory checks apply when some of its tasks are selected (a --tags run without it, or
  // --skip-tags on it, does not need its settings); --limit does not matter (joins need the masters),
  // nor does a play pattern matching no host (the checks say which group is missing).
  const problems = new Map<string, ConfigError>()
  const ctx = { listOnly: !!o.listOnly }
  for (const e of pb.preflight?.(o.inventory, ctx) ?? []) problems.set(e.message, e)
  for (const { play, tasks, all } of plans) {
    const selected = new Set<unknown>(tasks.map((t) => t.item))
    if (selected.size === 0) continue
    for (const r of rolesOf(play)) {
      if (!r.preflight || !flatten({ name: r.name, hosts: [], items: [r] }).some((t) => selected.has(t.item))) continue
      for (const e of r.preflight(o.inventory, all, ctx)) problems.set(e.message, e)
    }
  }
  if (problems.size) throw new ConfigErrors([...problems.values()])
  // Like ansible-playbook: nothing to target is an error, not a quiet success.
  const targeted = plans.filter((p) => p.tasks.length > 0)
  if (targeted.length && targeted.every((p) => p.hosts.length === 0)) {
    if (limit) throw new ConfigError('--limit', [o.limit!].flat().join(':'), `a pattern selecting hosts of the plays (${[...new Set(targeted.flatMap((p) => p.all))].join(', ') || 'none in the inventory'})`, 'none of them')
    const unknown = [...new Set(targeted.flatMap((p) => p.unknown))]
    throw new ConfigError(o.inventory.source, 'hosts', `hosts for the plays (${targeted.map((p) => `'${p.play.name}': ${[p.play.hosts].flat().join(':')}`).join('; ')})`,
      o.inventory.hosts.size === 0 ? 'an empty inventory' : unknown.length ? `no host or group named ${unknown.map((n) => `'${n}'`).join(', ')}` : 'no host in those groups')
  }
  // A shard may hold none of a play's hosts (more shards than hosts): that is not an error.
  return shard ? plans.map((p) => ({ ...p, hosts: p.hosts.filter((h) => shard.has(h)) })) : plans
}

/** Pure: the hosts of one slice — the inventory's hosts in order, dealt round-robin into `count` slices. */
export function shardOf(hosts: readonly string[], s: { readonly index: number; readonly count: number }): Set<string> {
  return new Set(hosts.filter((_, i) => i % s.count === s.index - 1))
}
