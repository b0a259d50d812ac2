/**
 * Ansible's connection variables (`ansible_host`, `ansible_port`, `ansible_become_pass`, …) mapped to
 * kubeplay's ConnectionSpec. One mapping for every source: INI host lines, YAML inventories,
 * group_vars/host_vars files and the vars of a TS spec, so a migrated `group_vars/all.yml` with
 * `ansible_user: ubuntu` keeps working. Pure.
 */
import { ConfigError } from '../errors.ts'
import { Secret } from '../secret.ts'
import type { ConnectionSpec, Vars } from './types.ts'
import { isAddress, isPort } from '../schema/net.ts'
import { describe, editDistance } from '../schema/validate.ts'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
export type ConnectionFields = Mutable<ConnectionSpec>

/** POSIX-shell-like word splitting (Python's shlex, which Ansible uses for INI host lines). */
export function shellSplit(line: string, opts: { comments?: boolean } = {}): string[] | { error: string } {
  const words: string[] = []
  let cur: string | null = null
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (/\s/.test(c)) { if (cur !== null) words.push(cur); cur = null; continue }
    if (c === '#' && cur === null && opts.comments) break
    if (c === "'" || c === '"') {
      let j = i + 1
      let word = ''
      // Inside "…" a backslash escapes " \ $ `; inside '…' nothing is special.
      for (; j < line.length && line[j] !== c; j++) {
        if (c === '"' && line[j] === '\\' && /["\\$`]/.test(line[j + 1] ?? '')) j++
        word += line[j]
      }
      if (j >= line.length) return { error: `unterminated ${c} quote` }
      cur = (cur ?? '') + word
      i = j
      continue
    }
    if (c === '\\' && i + 1 < line.length) { cur = (cur ?? '') + line[++i]; continue }
    cur = (cur ?? '') + c
  }
  if (cur !== null) words.push(cur)
  return words
}

/** `-o ProxyJump=b`, `-J b`, or `-o ProxyCommand="ssh -W %h:%p -p 2222 user@b"` → `b` / `user@b:2222`. */
export function jumpFromSshArgs(args: string): string | null | { error: string } {
  const words = shellSplit(args)
  if (!Array.isArray(words)) return words
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    let opt: string | undefined
    if (w === '-J') return words[i + 1] ?? { error: '-J followed by a host' }
    if (w === '-o') opt = words[++i]
    else if (w.startsWith('-o')) opt = w.slice(2)
    const m = opt ? /^(ProxyJump|ProxyCommand)\s*[= ]\s*(.*)$/is.exec(opt) : null
    if (!m) continue
    if (m[1]!.toLowerCase() === 'proxyjump') return m[2]!.trim()
    return jumpFromProxyCommand(m[2]!)
  }
  return null
}

function jumpFromProxyCommand(cmd: string): string | { error: string } {
  const words = shellSplit(cmd)
  const expected = { error: 'a ProxyCommand of the form "ssh -W %h:%p [-p port] [user@]bastion"' }
  if (!Array.isArray(words) || !/(^|\/)ssh$/.test(words[0] ?? '') || !words.includes('-W')) return expected
  let port: string | undefined
  let user: string | undefined
  let dest: string | undefined
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!
    if (w === '-p') port = words[++i]
    else if (w === '-l') user = words[++i]
    else if (/^-[WiFoJcmbDeEILQRS]$/.test(w)) i++ // options that take an argument
    else if (w.startsWith('-')) continue
    else dest = w
  }
  if (!dest) return expected
  return `${user && !dest.includes('@') ? `${user}@` : ''}${dest}${port ? `:${port}` : ''}`
}

const TRUE = ['yes', 'true', 'on', '1', 'y']
const FALSE = ['no', 'false', 'off', '0', 'n']

/** Ansible's boolean(): YAML/INI values arrive as booleans, numbers or strings. */
export function toBoolean(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v
  const s = String(v).toLowerCase()
  return typeof v === 'number' || typeof v === 'string' ? (TRUE.includes(s) ? true : FALSE.includes(s) ? false : null) : null
}

type Field = keyof ConnectionFields
type Coerce = (v: unknown) => unknown | { error: string }

const asString = (expected: string, ok: (s: string) => boolean = (s) => s.length > 0): Coerce => (v) =>
  (typeof v === 'string' || typeof v === 'number') && ok(String(v)) ? String(v) : { error: expected }
// INI and YAML turn `1234` into a number; as a password it is still the text "1234".
const asSecret: Coerce = (v) =>
  v instanceof Secret ? v : typeof v === 'string' || typeof v === 'number' ? new Secret(String(v)) : { error: 'a string' }
const asPort: Coerce = (v) => {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v
  return isPort(n) ? n : { error: 'a port 1..65535' }
}
const asBool: Coerce = (v) => toBoolean(v) ?? { error: 'a boolean (true/false/yes/no)' }
const asConnection: Coerce = (v) =>
  v === 'local' ? 'local' : v === 'ssh' || v === 'smart' || v === 'paramiko' ? 'ssh' : { error: "'ssh' or 'local'" }
/**
 * Pure: the ssh options of `ansible_ssh_common_args` / `ansible_ssh_extra_args` that kubeplay
 * honours — a bastion (`-J`, `ProxyJump`, `ProxyCommand ssh -W`), a known_hosts file
 * (`UserKnownHostsFile`), an identity file (`-i`, `IdentityFile`), a port (`-p`, `Port`),
 * `StrictHostKeyChecking=yes` — as connection fields; any other option is an error naming it,
 * never silently dropped (a known_hosts file named there must be the one used).
 */
export function connectionFromSshArgs(args: string): Partial<ConnectionFields> | { error: string } {
  const words = shellSplit(args)
  if (!Array.isArray(words)) return words
  const out: Partial<ConnectionFields> = {}
  const jump = jumpFromSshArgs(args)
  if (jump !== null && typeof jump === 'object') return jump
  if (typeof jump === 'string') out.jump = jump
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    const next = (): string | undefined => words[++i]
    if (w === '-J') { next(); continue }
    if (w === '-i') { const f = next(); if (!f) return { error: '-i followed by a key file' }; out.keyFile = f; continue }
    if (w === '-p') { const p = Number(next()); if (!isPort(p)) return { error: '-p followed by a port 1..65535' }; out.port = p; continue }
    let opt: string | undefined
    if (w === '-o') opt = next()
    else if (w.startsWith('-o')) opt = w.slice(2)
    else return { error: `ssh options kubeplay supports (-J, -i, -p, -o ProxyJump/ProxyCommand/UserKnownHostsFile/IdentityFile/Port/StrictHostKeyChecking=yes); '${w}' has no kubeplay equivalent` }
    const m = opt ? /^(\w+)\s*[= ]\s*(.*)$/s.exec(opt.trim()) : null
    if (!m) return { error: `-o Option=value, found '-o ${opt ?? ''}'` }
    const [name, value] = [m[1]!.toLowerCase(), m[2]!.trim().replace(/^(["'])(.*)\1$/, '$2')]
    if (name === 'proxyjump' || name === 'proxycommand') continue
    if (name === 'userknownhostsfile') out.knownHosts = value
    else if (name === 'identityfile') out.keyFile = value
    else if (name === 'port') { if (!isPort(Number(value))) return { error: `-o Port=1..65535, found '${value}'` }; out.port = Number(value) }
    else if (name === 'stricthostkeychecking') {
      if (!/^(yes|true)$/i.test(value)) return { error: `host key checking kept on: StrictHostKeyChecking=${value} has no per-host equivalent (run with --host-key-policy accept-new to trust new hosts on first contact, or list their keys in a known_hosts file)` }
    } else return { error: `ssh options kubeplay supports (ProxyJump, ProxyCommand, UserKnownHostsFile, IdentityFile, Port, StrictHostKeyChecking=yes); -o ${m[1]} has no kubeplay equivalent` }
  }
  return out
}

/** Pure: ` (did you mean 'ansible_host'?)` for a near miss among the variables kubeplay reads, else ''. */
function nearest(k: string): string {
  const known = [...Object.keys(ANSIBLE_CONNECTION_VARS), ...SSH_ARGS_VARS, ...Object.keys(HARMLESS_ANSIBLE_VARS)]
  const near = known.find((n) => editDistance(n, k) <= 2)
  return near ? ` (did you mean '${near}'?)` : ''
}

/** ansible var → [field, coercion]. Aliases included (ansible_ssh_host, ansible_ssh_pass, …). */
export const ANSIBLE_CONNECTION_VARS: Readonly<Record<string, readonly [Field, Coerce]>> = {
  ansible_host: ['address', asString('an IPv4/IPv6 address or host name', isAddress)],
  ansible_ssh_host: ['address', asString('an IPv4/IPv6 address or host name', isAddress)],
  ansible_port: ['port', asPort],
  ansible_ssh_port: ['port', asPort],
  ansible_user: ['user', asString('a user name')],
  ansible_ssh_user: ['user', asString('a user name')],
  ansible_ssh_private_key_file: ['keyFile', asString('a key file path')],
  ansible_private_key_file: ['keyFile', asString('a key file path')],
  ansible_password: ['password', asSecret],
  ansible_ssh_pass: ['password', asSecret],
  ansible_ssh_password: ['password', asSecret],
  ansible_become: ['become', asBool],
  ansible_become_password: ['becomePassword', asSecret],
  ansible_become_pass: ['becomePassword', asSecret],
  ansible_connection: ['connection', asConnection],
}

/** The ssh arguments vars: several connection fields from one var (connectionFromSshArgs). */
export const SSH_ARGS_VARS = new Set(['ansible_ssh_common_args', 'ansible_ssh_extra_args', 'ansible_ssh_args'])

/**
 * Ansible variables that change nothing in how kubeplay connects, accepted without effect (a migrated
 * inventory keeps them): the Python interpreter, pipelining, retries. `ansible_become_method` and
 * `ansible_become_user` only as what kubeplay does (sudo to root).
 */
const HARMLESS_ANSIBLE_VARS: Readonly<Record<string, ((v: unknown) => string | null) | null>> = {
  ansible_python_interpreter: null, ansible_pipelining: null, ansible_ssh_pipelining: null, ansible_ssh_retries: null,
  ansible_timeout: null, ansible_ssh_timeout: null, ansible_shell_type: null,
  ansible_become_method: (v) => (v === 'sudo' ? null : "'sudo' (kubeplay becomes root with sudo)"),
  ansible_become_user: (v) => (v === 'root' ? null : "'root' (kubeplay becomes root)"),
}

export interface SplitVars {
  /** Connection settings found among the vars. */
  readonly conn: ConnectionFields
  /** The other vars (user vars), without the mapped ansible_* keys. */
  readonly rest: Vars
  /** The input without invalid ansible_* keys (already reported): safe to merge and map later. */
  readonly clean: Vars
}

/**
 * Separates Ansible connection vars from user vars. Each invalid one becomes a ConfigError at
 * `keyOf(var)` (when `errors` is given) and is dropped, so it is reported once, where it was written.
 */
export function splitAnsibleVars(vars: Vars, file: string, keyOf: (k: string) => string,
  errors: ConfigError[] | null): SplitVars {
  const conn: ConnectionFields = {}
  const rest: Vars = {}
  const clean: Vars = {}
  for (const [k, v] of Object.entries(vars)) {
    if (SSH_ARGS_VARS.has(k)) {
      const r = typeof v === 'string' ? connectionFromSshArgs(v) : { error: 'ssh arguments as a string' }
      if ('error' in r) { errors?.push(new ConfigError(file, keyOf(k), r.error as string, describe(v))); continue }
      clean[k] = v
      Object.assign(conn, r)
      continue
    }
    if (k.startsWith('ansible_') && !ANSIBLE_CONNECTION_VARS[k]) {
      const harmless = HARMLESS_ANSIBLE_VARS[k]
      const problem = harmless === undefined
        ? `an Ansible variable kubeplay reads (${[...Object.keys(ANSIBLE_CONNECTION_VARS), ...SSH_ARGS_VARS].filter((n) => !n.startsWith('ansible_ssh_h')).slice(0, 8).join(', ')} …)${nearest(k)}`
        : harmless === null ? null : harmless(v)
      if (problem) { errors?.push(new ConfigError(file, keyOf(k), problem, harmless === undefined ? 'a variable kubeplay does not know' : describe(v))); continue }
      // Kept as a plain var, as Ansible would have it.
      rest[k] = v
      clean[k] = v
      continue
    }
    const map = ANSIBLE_CONNECTION_VARS[k]
    if (!map) { rest[k] = v; clean[k] = v; continue }
    const r = map[1](v)
    if (typeof r === 'object' && r !== null && 'error' in r && !(r instanceof Secret)) {
      // The type only for secrets: a wrong password is still a password.
      const found = map[0] === 'password' || map[0] === 'becomePassword' ? `a ${typeof v}` : describe(v)
      errors?.push(new ConfigError(file, keyOf(k), (r as { error: string }).error, found))
      continue
    }
    clean[k] = v
    if (r === undefined) rest[k] = v // ssh args without a bastion: leave as a plain var
    else (conn as Record<string, unknown>)[map[0]] = r
  }
  return { conn, rest, clean }
}
