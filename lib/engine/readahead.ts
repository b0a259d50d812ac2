/**
 * Read-ahead of a host's facts. Before a task's check, the facts the next tasks' checks will read
 * first (as their modules declare with `reads`) are read in one command per fact family (`stat` of
 * every path, `cat` of the files whose content is compared) and put in the host's fact cache, which
 * anything that may write on the host clears. So a converged run reads what twenty file tasks check
 * in a few round trips and processes instead of twenty, and the checks themselves are unchanged:
 * each reads exactly the values its own fact would read, never older than the host's last write.
 *
 * The window starts at FIRST tasks and doubles while no write clears the cache (a converged run
 * reads 4, 8, 16… tasks ahead); a write makes it 1 again (the next task's own reads, left to the
 * facts: no read-ahead), so a first run, where every task writes, reads exactly what it would
 * without read-ahead, and a run with a few changes is back to long windows within a few tasks. To know a later task's reads before it runs, its
 * params are evaluated ahead in a context that cannot reach the host (exec, facts, cross-host
 * values throw; log and warn are silent): params that need the host, fail, or wait on anything but
 * promises already settled are simply not predicted. Predictions are only hints: the task evaluates
 * its params again when it runs, and a fact nobody read ahead is read when asked.
 */
import type { FactRead, FactReadahead, HostContext } from './module.ts'
import { factKey, type RunHosts } from './host.ts'
import type { FlatTask, Task } from './task.ts'

/** The window at a play's start; after a write it restarts at 1. */
const FIRST = 4
const NONE = Symbol('not predicted')

export class Readahead {
  #window = FIRST
  /** Tasks up to this index were read ahead, in generation #gen of the host's facts. */
  #covered = -1
  #gen = -1
  readonly #predicted = new Map<number, Promise<readonly FactRead[]>>()
  readonly #ahead: HostContext

  constructor(
    private readonly hosts: RunHosts,
    private readonly name: string,
    private readonly tasks: readonly FlatTask[],
    /** The read-only context: its connection reads with the play's become and the run's tag. */
    private readonly ro: HostContext,
  ) {
    this.#ahead = aheadContext(ro)
  }

  /** Reads ahead, if needed, the facts of tasks `i`, `i+1`… (i: position in `tasks`). Never throws. */
  async before(i: number): Promise<void> {
    const gen = this.hosts.generation(this.name)
    if (gen === this.#gen && i <= this.#covered) return
    this.#window = gen === this.#gen ? this.#window * 2 : this.#gen === -1 ? FIRST : 1
    this.#gen = gen
    const upto = Math.min(this.tasks.length - 1, i + this.#window - 1)
    this.#covered = upto
    const reads: FactRead[] = []
    for (let j = i; j <= upto; j++) reads.push(...(await this.#predict(j)))
    const cache = this.hosts.factCache(this.name)
    // One command per family and privilege: a fact that needs root is read as root, the others as the play says.
    const groups = new Map<string, { family: FactReadahead; become: boolean; reads: FactRead[] }>()
    const seen = new Set<string>()
    for (const r of reads) {
      const family = r.fact.readahead
      const key = factKey(r.fact, r.arg)
      if (!family || seen.has(key) || cache.has(key)) continue
      seen.add(key)
      const become = r.fact.become === true
      const g = groups.get(`${family.name}\0${become}`) ?? { family, become, reads: [] }
      g.reads.push(r)
      groups.set(`${family.name}\0${become}`, g)
    }
    for (const { family, become, reads: rs } of groups.values()) {
      if (rs.length < 2) continue // one read: the fact reads it when asked, at the same cost
      try {
        const cmd = family.command(rs)
        this.hosts.log(this.name, `read ahead (${family.name}, ${rs.length} reads): ${cmd.masked}`)
        const result = await this.ro.conn.exec(cmd, become ? { become: true } : {})
        family.parse(result, rs).forEach((v, k) => {
          if (v !== undefined) this.hosts.seedFact(this.name, gen, rs[k]!.fact, rs[k]!.arg, v)
        })
      } catch {
        // A read-ahead is only a shortcut: whatever went wrong, the checks read for themselves.
      }
    }
  }

  #predict(j: number): Promise<readonly FactRead[]> {
    let p = this.#predicted.get(j)
    if (!p) {
      const t = this.tasks[j]!.item
      p = t.kind === 'task' && !t.runOnce && t.module.reads ? predictReads(t, this.#ahead) : Promise.resolve([])
      this.#predicted.set(j, p)
    }
    return p
  }
}

async function predictReads(t: Task, ahead: HostContext): Promise<readonly FactRead[]> {
  try {
    const params = await settledNow(typeof t.params === 'function' ? (t.params as (h: HostContext) => unknown)(ahead) : t.params)
    return params === NONE ? [] : t.module.reads!(params)
  } catch {
    return []
  }
}

/** The value, or NONE when it is a promise still pending once the microtasks queued now have run. */
function settledNow(v: unknown): Promise<unknown> {
  if (!(v instanceof Promise)) return Promise.resolve(v)
  return Promise.race([v.catch(() => NONE), new Promise((resolve) => setImmediate(() => resolve(NONE)))])
}

class NotAhead extends Error {}
const refuse = (): never => { throw new NotAhead('not while reading ahead') }

/** A context with the host's name, vars and inventory only. */
function aheadContext(ro: HostContext): HostContext {
  return {
    name: ro.name,
    vars: ro.vars,
    groups: ro.groups,
    inventory: ro.inventory,
    checkMode: ro.checkMode,
    get conn(): never { return refuse() },
    exec: refuse,
    run: refuse,
    fact: refuse,
    from: refuse,
    var: ro.var,
    log: () => undefined,
    warn: () => undefined,
  }
}
