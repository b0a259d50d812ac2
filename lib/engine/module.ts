/**
 * The module contract. `check` is read-only and says whether anything differs; `apply` does exactly
 * what `check` planned. Only the engine decides to call `apply` (never in check mode).
 */
import type { Connection, ExecOptions, ExecResult } from '../connection/types.ts'
import type { ShellCommand } from '../connection/quote.ts'
import type { Inventory, Vars } from '../inventory/types.ts'

/** Content before/after for one file; null = absent. */
export interface FileDiff {
  readonly path: string
  readonly before: string | null
  readonly after: string | null
}

export interface NoChange {
  readonly changed: false
  readonly reason: string
}

export interface Change<D = unknown> {
  readonly changed: true
  /** What apply will do, in a few words ("create /etc/x", "install haproxy"). */
  readonly summary: string
  readonly diff?: FileDiff
  /** Whatever apply needs from check (computed content, commands). */
  readonly data: D
}

export type Plan<D = unknown> = NoChange | Change<D>

export function noChange(reason: string): NoChange {
  return { changed: false, reason }
}

export function change<D = undefined>(summary: string, extra: { diff?: FileDiff; data?: D } = {}): Change<D> {
  return { changed: true, summary, diff: extra.diff, data: extra.data as D }
}

/** What apply may report back; `changed: false` turns a planned change into ok (command's changedWhen). */
export interface ApplyOutcome {
  readonly changed?: boolean
  readonly output?: string
}

/**
 * A read-only probe of a host; cached per host per run by name + argument, until anything writes on
 * the host (an apply, or a command run with the task's writable context).
 */
export interface Fact<A, R> {
  readonly name: string
  command(arg: A): ShellCommand
  parse(result: ExecResult, arg: A): R
  /** Needs root to read. @default false (the connection default applies) */
  readonly become?: boolean
  /** Reads many of this family's facts in one round trip, ahead of the checks that ask for them. */
  readonly readahead?: FactReadahead
}

/** One fact a check will read: `{ fact: fileStat, arg: '/etc/hosts' }`. */
export interface FactRead<A = any> {
  readonly fact: Fact<A, unknown>
  readonly arg: A
}

/**
 * Several facts of one family read in one command (the engine's read-ahead, see
 * lib/engine/readahead.ts). `parse` gives one value per read, exactly what the fact's own `parse`
 * would give for it, or `undefined` where it cannot tell: that fact then runs on its own when asked.
 */
export interface FactReadahead {
  readonly name: string
  command(reads: readonly FactRead[]): ShellCommand
  parse(result: ExecResult, reads: readonly FactRead[]): readonly unknown[]
}

export function defineFact<A, R>(f: Fact<A, R>): Fact<A, R> {
  return f
}

/** A value produced on one host and read by others (join command from the first master). */
export interface HostValue<T> {
  readonly name: string
  /** Host pattern; the value is read on its first host, whatever `--limit` says. */
  readonly from: string
  read(source: HostContext): Promise<T>
}

export function hostValue<T>(name: string, from: string, read: (source: HostContext) => Promise<T>): HostValue<T> {
  return { name, from, read }
}

/** Everything a module sees of the host it runs on. Passed explicitly; there is no "current host". */
export interface HostContext {
  readonly name: string
  readonly vars: Readonly<Vars>
  readonly groups: readonly string[]
  readonly inventory: Inventory
  /** True in --check runs: modules' checks run, nothing is applied. */
  readonly checkMode: boolean
  /** In `check`, a guard whose writeFile throws. */
  readonly conn: Connection
  exec(cmd: ShellCommand, opts?: ExecOptions): Promise<ExecResult>
  /** exec that throws CommandError on a non-zero exit. */
  run(cmd: ShellCommand, opts?: ExecOptions): Promise<ExecResult>
  fact<A, R>(fact: Fact<A, R>, arg: A): Promise<R>
  /** Reads a cross-host value (memoised for the run). */
  from<T>(value: HostValue<T>): Promise<T>
  /** A host var, or `fallback` when unset. */
  var<T>(key: string, fallback?: T): T
  /** A verbose line (-v), masked. */
  log(message: string): void
  /** A warning shown in every output mode and kept in the run record (preflight findings). */
  warn(message: string): void
}

export interface Module<P, D = unknown> {
  readonly name: string
  check(host: HostContext, params: P): Promise<Plan<D>>
  /**
   * The facts `check` will read first for these params, so the engine can read several tasks' facts
   * in one round trip before they run (only a hint: a fact not read ahead is read when asked).
   */
  reads?(params: P): readonly FactRead[]
  apply(host: HostContext, params: P, plan: Change<D>): Promise<ApplyOutcome | void>
}

export function defineModule<P, D = unknown>(m: Module<P, D>): Module<P, D> {
  return m
}
