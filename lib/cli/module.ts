/**
 * `kubeplay module PATTERN -m MODULE -a PARAMS [playbook flags]`: one module on every matched host,
 * as `ansible PATTERN -m MODULE -a …` does. It runs as a one-task playbook through the same engine
 * and command line as playbooks (inventory, --check, --diff, -f, -e, --limit, locks, masking, recap,
 * exit codes). The parameters are read and checked before any connection: a module's own checks of
 * its parameters run first in its `check`, so they are run against a host that answers nothing.
 */
import type { Connection } from '../connection/types.ts'
import { hostContext } from '../engine/adhoc.ts'
import type { Module } from '../engine/module.ts'
import { play, playbook, task, type Playbook } from '../engine/task.ts'
import { ConfigError } from '../errors.ts'
import { valueAfter } from './args.ts'
import * as modules from '../modules/index.ts'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModule = Module<any, any>

const isModule = (v: unknown): v is AnyModule =>
  typeof v === 'object' && v !== null && typeof (v as AnyModule).check === 'function' && typeof (v as AnyModule).apply === 'function' && typeof (v as AnyModule).name === 'string'

/** Every module of lib/modules by its name (`aptPackages`) and its file's name (`apt-packages`). */
export const MODULES: ReadonlyMap<string, AnyModule> = new Map(Object.values(modules).filter(isModule).flatMap((m) => [
  [m.name, m] as const, [m.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), m] as const,
]))

/** The names `kubeplay module --help` lists (one per module). */
export const moduleNames = (): string[] => [...new Set([...MODULES.values()].map((m) => m.name))].sort()

/** Pure: `-a` as JSON (`{"names":["curl"]}`) or Ansible's `key=value key2=value2` (true/false and numbers typed; 0755 stays a string). */
export function parseModuleArgs(text: string): Record<string, unknown> {
  const t = text.trim()
  if (t === '') return {}
  if (t.startsWith('{')) {
    let v: unknown
    try { v = JSON.parse(t) } catch (e) { throw new ConfigError('command line', '-a', 'a JSON object of the module\'s parameters', `${JSON.stringify(text)} (${(e as Error).message})`) }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError('command line', '-a', 'a JSON object', JSON.stringify(text))
    return v as Record<string, unknown>
  }
  const out: Record<string, unknown> = {}
  for (const word of t.split(/\s+/)) {
    const eq = word.indexOf('=')
    if (eq < 1) throw new ConfigError('command line', '-a', 'key=value pairs (or a JSON object)', JSON.stringify(word))
    const raw = word.slice(eq + 1)
    out[word.slice(0, eq)] = raw === 'true' ? true : raw === 'false' ? false : /^-?(0|[1-9]\d*)$/.test(raw) ? Number(raw) : raw
  }
  return out
}

const NO_HOST = Symbol('no host')

/** A connection that answers nothing: the module's check stops at its first question to the host. */
function silentConnection(): Connection {
  const stop = (): never => { throw NO_HOST }
  return { host: 'parameter check', exec: stop, readFile: stop, writeFile: stop, close: async () => undefined } as unknown as Connection
}

/**
 * The module's own checks of `params`, without a host: a ConfigError with its message when it
 * refuses them (or cannot read them at all); null when they pass as far as it can tell.
 */
export async function checkModuleParams(name: string, module: AnyModule, params: Record<string, unknown>): Promise<ConfigError | null> {
  try {
    await module.check(hostContext(silentConnection(), { checkMode: true, readOnly: true }), params)
  } catch (e) {
    if (e === NO_HOST) return null
    const message = e instanceof Error ? e.message : String(e)
    return new ConfigError('command line', '-a', `parameters the ${name} module accepts`, message.replace(new RegExp(`^${module.name}: `), ''))
  }
  return null
}

export interface AdhocModuleArgs {
  readonly pattern: string
  readonly module: string
  readonly params: Record<string, unknown>
  readonly become: boolean
  /** Everything else, for the playbook command line (-i, --check, --diff, -f, -e, -l…). */
  readonly rest: string[]
}

/** Pure: PATTERN, -m, -a and -b taken out; the rest left for the playbook command line. */
export function parseModuleCommand(argv: readonly string[]): AdhocModuleArgs {
  let pattern: string | undefined
  let module: string | undefined
  let args = ''
  let become = false
  const rest: string[] = []
  // Flags of the playbook command line that take a value: their value is never the pattern.
  const valued = new Set(['-i', '--inventory', '-t', '--tags', '--skip-tags', '-l', '--limit', '-f', '--forks', '-e', '--extra-vars',
    '--start-at-task', '--shard', '--state-dir', '--host-key-policy', '--json', '--report', '--vault-password-file', '--task-timeout', '--interrupt-grace'])
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = (): string => valueAfter(argv, ++i, a)
    if (a === '-m' || a === '--module-name') module = value()
    else if (a === '-a' || a === '--args') args = value()
    else if (a === '-b' || a === '--become') become = true
    else if (valued.has(a)) rest.push(a, value())
    else if (!a.startsWith('-') && pattern === undefined) pattern = a
    else rest.push(a)
  }
  if (!pattern) throw new ConfigError('command line', 'PATTERN', 'a host pattern (kubeplay module all -m file -a …)', 'nothing')
  if (!module) throw new ConfigError('command line', '-m', `a module name: ${moduleNames().join(', ')}`, 'nothing')
  return { pattern, module, params: parseModuleArgs(args), become, rest }
}

/** The one-task playbook (its title names the parameters, never their values), after the module and its parameters were checked (ConfigError otherwise). */
export async function adhocModulePlaybook(a: AdhocModuleArgs): Promise<Playbook> {
  const m = MODULES.get(a.module)
  if (!m) throw new ConfigError('command line', '-m', `a module name: ${moduleNames().join(', ')}`, `'${a.module}'`)
  const bad = await checkModuleParams(m.name, m, a.params)
  if (bad) throw bad
  return playbook('adhoc', [play(`${m.name} on ${a.pattern}`, { hosts: a.pattern, become: a.become, items: [task(`${m.name} (${Object.keys(a.params).join(', ') || 'no parameters'})`, m, a.params)] })])
}
