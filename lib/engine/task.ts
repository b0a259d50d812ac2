/**
 * Tasks, handlers, roles, plays and playbooks: plain typed data. A role is a function of its params
 * returning a Role; the engine flattens plays into an ordered list of task items.
 */
import type { ConfigError } from '../errors.ts'
import type { Inventory } from '../inventory/types.ts'
import type { Schema } from '../schema/validate.ts'
import type { HostContext, Module } from './module.ts'

export type Params<P> = P | ((host: HostContext) => P | Promise<P>)

export interface TaskOptions {
  readonly tags?: readonly string[]
  /** Skip the task on hosts where this is false; `whenReason` explains the skip. */
  readonly when?: (host: HostContext) => boolean | Promise<boolean>
  readonly whenReason?: string
  /** Handlers to run at the end of the play (or at the next flush) when this task changed. */
  readonly notify?: readonly Handler[]
  /** Run on one host of the batch only; the others wait for it and share its outcome. */
  readonly runOnce?: boolean
  /** A failure is reported but the host goes on. */
  readonly ignoreErrors?: boolean
  /** Fail the task after this many ms. */
  readonly timeoutMs?: number
  /**
   * Run whenever any other task of the same role runs, whatever `--tags` say: the settings check a
   * role's other tasks rely on. Unlike the `always` tag, it does not run when the role is not selected.
   */
  readonly withRole?: boolean
}

export interface Task<P = any> extends TaskOptions {
  readonly kind: 'task'
  readonly title: string
  readonly module: Module<P, any>
  readonly params: Params<P>
}

export interface Handler<P = any> {
  readonly kind: 'handler'
  readonly title: string
  readonly module: Module<P, any>
  readonly params: Params<P>
}

/** Runs the handlers notified so far, at this point of the play. */
export interface FlushHandlers {
  readonly kind: 'flush'
  readonly title: string
  readonly tags?: readonly string[]
}

export interface Role {
  readonly kind: 'role'
  readonly name: string
  readonly tags: readonly string[]
  readonly items: readonly Item[]
  /** The role's namespace in host vars (`haproxy:` in group_vars/haproxy.yml) and its schema, checked at load time. */
  readonly vars?: RoleVars
  /** Checks of the whole inventory (its play's hosts, other groups) run before any connection. */
  readonly preflight?: Preflight
}

/**
 * What a preflight check is asked for. `listOnly`: `--list-hosts/--list-tasks/--list-tags`, which
 * run nothing, so checks of the controller's environment (a bundle built) and gates for a real run
 * (`-e confirm=yes`) are left out; the input itself is still checked.
 */
export interface PreflightContext { readonly listOnly?: boolean }

/** Problems found in the inventory and vars alone; any problem stops the run before it connects. */
export type Preflight = (inventory: Inventory, hosts: readonly string[], ctx?: PreflightContext) => readonly ConfigError[]

export interface RoleVars {
  readonly key: string
  readonly schema: Schema<unknown>
  /**
   * Flat Ansible-style vars a migrating user writes for this role's settings (`kube_version` →
   * `version`): refused with the setting to use, where Ansible would read them and kubeplay would
   * silently not.
   */
  readonly ansibleNames?: Readonly<Record<string, string>>
}

export type Item = Task | FlushHandlers | Role

/** `task('Load br_netfilter at boot', kernelModule, { name: 'br_netfilter' }, { tags: ['modules'] })` */
export function task<P>(title: string, module: Module<P, any>, params: Params<P>, opts: TaskOptions = {}): Task<P> {
  return { kind: 'task', title, module, params, ...opts }
}

export function handler<P>(title: string, module: Module<P, any>, params: Params<P>): Handler<P> {
  return { kind: 'handler', title, module, params }
}

export function flushHandlers(tags: readonly string[] = ['always']): FlushHandlers {
  return { kind: 'flush', title: 'Flush handlers', tags }
}

/** A role: its name is also a tag on every task in it. */
export function role(name: string, items: readonly Item[], opts: { tags?: readonly string[]; vars?: RoleVars; preflight?: Preflight } = {}): Role {
  return { kind: 'role', name, tags: [name, ...(opts.tags ?? [])], items, vars: opts.vars, preflight: opts.preflight }
}

export interface PlayOptions {
  /** Host pattern: `masters`, `masters:workers`, `k8s-cluster:!lab3`, `masters:&nfs_clients`, `masters[0]`, `lab*`. */
  readonly hosts: string | readonly string[]
  readonly items: readonly Item[]
  readonly tags?: readonly string[]
  /** Hosts per batch: a count, a percentage (`'30%'`), or a list for growing batches (`[1, '50%']`). */
  readonly serial?: number | string | readonly (number | string)[]
  /** Abort when more than this share of a batch failed. @default 100 (only a fully failed batch aborts) */
  readonly maxFailPercentage?: number
  /** Any failure stops every host before its next task. @default false */
  readonly anyErrorsFatal?: boolean
  /** Default `become` for this play's hosts; overrides the inventory when set. */
  readonly become?: boolean
  /** Play vars: override group and host vars. */
  readonly vars?: Readonly<Record<string, unknown>>
}

export interface Play extends PlayOptions {
  readonly name: string
}

export function play(name: string, opts: PlayOptions): Play {
  return { name, ...opts }
}

export interface Playbook {
  readonly name: string
  readonly plays: readonly Play[]
  /** Checks of the whole inventory run before any connection (version skips, confirmations…). */
  readonly preflight?: (inventory: Inventory, ctx?: PreflightContext) => readonly ConfigError[]
}

export function playbook(name: string, plays: readonly Play[], opts: { preflight?: Playbook['preflight'] } = {}): Playbook {
  return { name, plays, preflight: opts.preflight }
}

/** Every role of a play, nested ones included, each once. */
export function rolesOf(p: Play): Role[] {
  const out: Role[] = []
  const walk = (items: readonly Item[]): void => {
    for (const it of items) if (it.kind === 'role') { if (!out.includes(it)) out.push(it); walk(it.items) }
  }
  walk(p.items)
  return out
}

/** One task of a play after flattening: effective tags are its own, its roles' and the play's. */
export interface FlatTask {
  readonly index: number
  readonly item: Task | FlushHandlers
  readonly role?: string
  readonly tags: ReadonlySet<string>
}

export function flatten(p: Play): FlatTask[] {
  const out: FlatTask[] = []
  const walk = (items: readonly Item[], tags: readonly string[], roleName?: string): void => {
    for (const it of items) {
      if (it.kind === 'role') walk(it.items, [...tags, ...it.tags], it.name)
      else out.push({ index: out.length, item: it, role: roleName, tags: new Set([...tags, ...(it.tags ?? [])]) })
    }
  }
  walk(p.items, p.tags ?? [])
  return out
}
