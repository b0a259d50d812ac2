/**
 * A run's locks and clean-ups over its hosts (the lock itself is lock.ts): which hosts are locked,
 * taking each lock once, killing a host's in-flight commands, releasing every lock at the end.
 */
import type { Connection } from '../connection/types.ts'
import type { InventoryHost } from '../inventory/types.ts'
import type { RunHosts } from './host.ts'
import { endRun, LOCK_PATH, lockInfo, reapCommand, releaseCommand, takeLock, type LockOptions } from './lock.ts'

/** Per-host lock options, or false for no lock on that host. */
export type LockPolicy = LockOptions | false | ((host: InventoryHost) => LockOptions | false)

/**
 * A run's locks and clean-ups over its hosts: takes each host's lock once (before its first task),
 * kills a host's in-flight commands over a second connection, and releases every lock at the end.
 */
export class RunGuard {
  readonly #taken = new Map<string, Promise<string | null>>()
  /** Hosts whose lock this run holds, with the remote heartbeat's pid when known. */
  readonly #held = new Map<string, number | undefined>()

  constructor(
    readonly runId: string,
    readonly playbook: string,
    readonly hosts: RunHosts,
    readonly policy: LockPolicy | undefined,
    readonly checkMode: boolean,
    readonly warn: (host: string, text: string) => void,
  ) {}

  #options(name: string): LockOptions | false {
    const p = this.policy
    if (p === undefined || p === false) return false
    return typeof p === 'function' ? p(this.hosts.inventory.hosts.get(name)!) : p
  }

  /** Null once this run holds the host's lock (or locking is off), else why the host is refused. */
  take(name: string, conn: Connection): Promise<string | null> {
    let p = this.#taken.get(name)
    if (!p) {
      p = this.#take(name, conn)
      this.#taken.set(name, p)
      p.catch(() => this.#taken.delete(name))
    }
    return p
  }

  async #take(name: string, conn: Connection): Promise<string | null> {
    const o = this.#options(name)
    if (!o) return null
    const info = lockInfo(this.runId, this.playbook, o.expiresAfterS ?? 120)
    const r = await takeLock(conn, info, { ...o, checkMode: this.checkMode })
    if (r.kind === 'refused') return r.reason
    if (r.kind === 'acquired') this.#held.set(name, r.heartbeat)
    if (r.warning) this.warn(name, r.warning)
    return null
  }

  /**
   * Kills every process this run started on the host and releases its lock, over a new connection
   * (the run's own one is busy with the command being killed). False when the host cannot be reached.
   */
  async reap(name: string, timeoutMs = 15_000): Promise<boolean> {
    const host = this.hosts.inventory.hosts.get(name)
    if (!host) return false
    const o = this.#options(name) || {}
    let conn: Connection | undefined
    let timer: NodeJS.Timeout | undefined
    const work = (async () => {
      conn = await this.hosts.connector(host)
      await conn.exec(reapCommand(this.runId, name, o), { become: true })
      this.#held.delete(name)
      return true
    })()
    try {
      return await Promise.race([work, new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs) })])
    } catch (e) {
      this.warn(name, `could not stop this run's commands on the host: ${(e as Error).message}`)
      return false
    } finally {
      clearTimeout(timer)
      work.catch(() => undefined).finally(() => conn?.close().catch(() => undefined))
    }
  }

  /**
   * Releases the host's lock if this run holds it: over the run's connection when it is open, else a
   * new one. The run calls it as soon as the host has no task left in any later play.
   */
  async release(name: string): Promise<void> {
    if (!this.#held.has(name)) return
    const heartbeat = this.#held.get(name)
    const o = this.#options(name) || {}
    try {
      if (this.hosts.isOpen(name)) {
        await (await this.hosts.connection(name)).exec(releaseCommand(this.runId, o, heartbeat), { become: true })
        this.#held.delete(name)
      } else {
        await this.reap(name, 10_000)
      }
    } catch {
      await this.reap(name, 10_000)
    }
    if (this.#held.has(name)) this.warn(name, `could not release the run lock ${o.path ?? LOCK_PATH}; it expires ${o.expiresAfterS ?? 120} s after its last heartbeat`)
  }

  /** Releases every lock still held (the run's end, also after an abort or an interrupt). */
  async releaseAll(): Promise<void> {
    await Promise.allSettled([...this.#held.keys()].map((name) => this.release(name)))
    endRun(this.runId)
  }
}
