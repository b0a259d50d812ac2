/**
 * Per-run host state: one connection per host (opened once, reused by every play), a fact cache
 * cleared by anything that may write on the host (an apply, a command run with the writable
 * context), and memoised cross-host values. HostContext views are built from it.
 */
import { run as runOrThrow } from '../connection/commands.ts'
import { type ShellCommand } from '../connection/quote.ts'
import { mask } from '../secret.ts'
import type { Connection, ExecOptions, WriteOptions } from '../connection/types.ts'
import { ModuleError } from '../errors.ts'
import type { Inventory, InventoryHost, Vars } from '../inventory/types.ts'
import { selectHosts } from '../inventory/pattern.ts'
import { RUN_ENV, runTag } from './lock.ts'
import type { Fact, HostContext, HostValue } from './module.ts'

/** The fact cache's key of one read. */
export const factKey = (f: Fact<any, unknown>, arg: unknown): string => `${f.name}\0${JSON.stringify(arg)}`

export type Connector = (host: InventoryHost) => Promise<Connection>

export class RunHosts {
  readonly #conns = new Map<string, Promise<Connection>>()
  readonly #facts = new Map<string, Map<string, Promise<unknown>>>()
  /** Per host, how many times its facts were cleared: a read begun before a clear is not cached. */
  readonly #generation = new Map<string, number>()
  readonly #values = new Map<string, Promise<unknown>>()

  constructor(
    readonly inventory: Inventory,
    readonly connector: Connector,
    readonly checkMode: boolean,
    readonly log: (host: string, text: string) => void,
    readonly warn: (host: string, text: string) => void = log,
    /** Put in every command's environment as KUBEPLAY_RUN=<tag>:<host>, so the run's processes can be found and killed. */
    readonly runId?: string,
  ) {}

  connection(name: string): Promise<Connection> {
    let c = this.#conns.get(name)
    if (!c) {
      const host = this.inventory.hosts.get(name)
      if (!host) return Promise.reject(new Error(`unknown host ${name}`))
      c = this.connector(host)
      c.catch(() => undefined)
      this.#conns.set(name, c)
    }
    return c
  }

  /** True when the host's connection is open (or opening) in this run. */
  isOpen(name: string): boolean {
    return this.#conns.has(name)
  }

  /** Forgets a broken connection so a later play may reconnect. */
  dropConnection(name: string): void {
    const c = this.#conns.get(name)
    this.#conns.delete(name)
    c?.then((conn) => conn.close()).catch(() => undefined)
  }

  factCache(host: string): Map<string, Promise<unknown>> {
    let m = this.#facts.get(host)
    if (!m) this.#facts.set(host, (m = new Map()))
    return m
  }

  invalidateFacts(host: string): void {
    this.#facts.get(host)?.clear()
    this.#generation.set(host, this.generation(host) + 1)
  }

  generation(host: string): number {
    return this.#generation.get(host) ?? 0
  }

  /** Caches a value read ahead, unless the facts were cleared since generation `gen` or it is cached already. */
  seedFact(host: string, gen: number, f: Fact<any, unknown>, arg: unknown, value: unknown): void {
    const cache = this.factCache(host)
    const key = factKey(f, arg)
    if (this.generation(host) === gen && !cache.has(key)) cache.set(key, Promise.resolve(value))
  }

  /** A cross-host value, read once per run on the first host of its pattern (ignores --limit). */
  value<T>(v: HostValue<T>, playVars: Vars): Promise<T> {
    let p = this.#values.get(v.name) as Promise<T> | undefined
    if (!p) {
      const source = selectHosts(this.inventory, v.from, `host value '${v.name}'`)[0]
      p = source
        ? this.connection(source).then((conn) => v.read(this.context(source, conn, playVars, false)))
        : Promise.reject(new ModuleError('hostValue', `'${v.name}': no host matches '${v.from}'`))
      p.catch(() => this.#values.delete(v.name))
      this.#values.set(v.name, p)
    }
    return p
  }

  async closeAll(): Promise<void> {
    const all = [...this.#conns.values()]
    this.#conns.clear()
    await Promise.allSettled(all.map(async (c) => (await c).close()))
  }

  /** A HostContext; `readOnly` views (given to `check`) refuse writes. */
  context(name: string, conn: Connection, playVars: Vars, readOnly: boolean, become?: boolean): HostContext {
    const host = this.inventory.hosts.get(name)!
    const vars = { ...host.vars, ...playVars }
    const read = viewOf(conn, readOnly, become, this.runId === undefined ? undefined : { [RUN_ENV]: runTag(this.runId, name) })
    const view = readOnly ? read : clearingFacts(read, () => this.invalidateFacts(name))
    const ctx: HostContext = {
      name,
      vars,
      groups: host.groups,
      inventory: this.inventory,
      checkMode: this.checkMode,
      conn: view,
      exec: (cmd: ShellCommand, opts?: ExecOptions) => {
        this.log(name, `$ ${cmd.masked}`)
        return view.exec(cmd, opts)
      },
      run: (cmd: ShellCommand, opts?: ExecOptions) => {
        this.log(name, `$ ${cmd.masked}`)
        return runOrThrow(view, cmd, opts)
      },
      fact: <A, R>(f: Fact<A, R>, arg: A): Promise<R> => {
        const cache = this.factCache(name)
        const key = factKey(f, arg)
        let p = cache.get(key) as Promise<R> | undefined
        if (!p) {
          const cmd = f.command(arg)
          this.log(name, `fact ${f.name}: ${cmd.masked}`)
          p = read.exec(cmd, f.become ? { become: true } : {}).then((r) => f.parse(r, arg))
          p.catch(() => cache.delete(key))
          cache.set(key, p)
        }
        return p
      },
      from: <T>(v: HostValue<T>) => this.value(v, playVars),
      var: <T>(key: string, fallback?: T): T => (key in vars ? (vars[key] as T) : (fallback as T)),
      log: (text: string) => this.log(name, mask(text)),
      warn: (text: string) => this.warn(name, mask(text)),
    }
    return ctx
  }
}

/** The writable context's connection: whatever it runs or writes clears the host's facts when done. */
function clearingFacts(conn: Connection, clear: () => void): Connection {
  return {
    host: conn.host,
    exec: (cmd, opts) => conn.exec(cmd, opts).finally(clear),
    readFile: (path, opts) => conn.readFile(path, opts),
    writeFile: (path, content, opts) => conn.writeFile(path, content, opts).finally(clear),
    close: () => conn.close(),
  }
}

function viewOf(conn: Connection, readOnly: boolean, become?: boolean, env?: Record<string, string>): Connection {
  if (!readOnly && become === undefined && !env) return conn
  const withBecome = <O extends { become?: boolean }>(o?: O): O | undefined =>
    become === undefined ? o : ({ become, ...o } as O)
  return {
    host: conn.host,
    exec: (cmd, opts) => conn.exec(cmd, withBecome(env ? { ...opts, env: { ...env, ...opts?.env } } : opts)),
    readFile: (path, opts) => conn.readFile(path, withBecome(opts)),
    writeFile: (path: string, content: string | Buffer, opts?: WriteOptions) => {
      if (readOnly) return Promise.reject(new ModuleError('check', `${conn.host}: writeFile ${path} attempted during check (check must be read-only)`))
      return conn.writeFile(path, content, withBecome(opts))
    },
    close: () => conn.close(),
  }
}
