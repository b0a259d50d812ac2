/**
 * Opening one authenticated, host-key-verified SSH client (node-ssh over ssh2), directly or through
 * a bastion. Failures become ConnectError with the reason the engine reports.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { NodeSSH, type Config } from 'node-ssh'
import { ConfigError, ConnectError, type ConnectFailure } from '../errors.ts'
import type { ResolvedConnection } from './types.ts'
import {
  checkHostKey, entryMatches, fingerprint, hostLookupName, keyTypeOf, knownHostsLine, parseKnownHosts, parsePinnedKey,
  preferredHostKeyAlgorithms, type KnownHostEntry,
} from './known-hosts.ts'

export interface SshConnectOptions {
  /** TCP connect + SSH handshake + auth. @default 10000 */
  readonly connectTimeoutMs?: number
  /** Keepalive interval; 3 unanswered keepalives end the connection. @default 15000 */
  readonly keepaliveMs?: number
  /** `accept-new` records unknown hosts in known_hosts; a changed key is always refused. @default 'strict' */
  readonly hostKeyPolicy?: 'strict' | 'accept-new'
  /** Resolves `jump` when it names another inventory host. */
  readonly resolveJump?: (name: string) => ResolvedConnection | undefined
  /** Shares bastion connections between hosts; without it each host opens its own. */
  readonly jumpPool?: JumpPool
}

/** ssh2's default host key algorithms (ed25519 first), reordered per host by what known_hosts holds. */
const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa',
]

/** Maps an ssh2 connect error to the reason we report. */
export function connectFailure(err: unknown): ConnectFailure {
  const e = err as { level?: string; code?: string; message?: string }
  if (e.level === 'client-authentication' || e.level === 'agent') return 'auth-refused'
  if (e.level === 'client-timeout' || e.code === 'ETIMEDOUT') return 'timeout'
  if (/privateKey|passphrase|Cannot parse/i.test(e.message ?? '')) return 'auth-refused'
  return 'unreachable' // ECONNREFUSED, EHOSTUNREACH, ENOTFOUND, a reset during the handshake…
}

/** Parses `[user@]address[:port]` (IPv6 as `[addr]:port`) into bastion settings based on `base`. */
export function parseJumpSpec(spec: string, base: ResolvedConnection): ResolvedConnection {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:@]+)(?::(\d+))?$/.exec(spec.trim())
  if (!m) throw new ConfigError('inventory', 'jump', 'an inventory host name or user@address:port', `'${spec}'`)
  const address = m[2]!.replace(/^\[|\]$/g, '')
  const { hostKey: _hostKey, jump: _jump, ...inherited } = base
  return { ...inherited, address, port: m[3] ? Number(m[3]) : 22, user: m[1] ?? base.user, become: false }
}

/** Reference-counted bastion clients, keyed by `user@address:port`. */
export class JumpPool {
  readonly #entries = new Map<string, { client: Promise<NodeSSH>; refs: number }>()

  acquire(key: string, open: () => Promise<NodeSSH>): Promise<NodeSSH> {
    let entry = this.#entries.get(key)
    if (!entry) {
      const client = open()
      entry = { client, refs: 0 }
      this.#entries.set(key, entry)
      // A failed or lost bastion leaves the pool: the next host opens a fresh one.
      const forget = (): void => { if (this.#entries.get(key)?.client === client) this.#entries.delete(key) }
      client.then((c) => c.connection?.once('close', forget), forget)
    }
    entry.refs++
    return entry.client
  }

  release(key: string): void {
    const entry = this.#entries.get(key)
    if (!entry || --entry.refs > 0) return
    this.#entries.delete(key)
    entry.client.then((c) => c.dispose(), () => {})
  }
}

interface Verification {
  /** Set by the host verifier when it refused the key. */
  failure?: ConnectError
}

async function readKnownHosts(path: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(path, 'utf8'))
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw e
  }
}

async function hostVerifier(host: string, s: ResolvedConnection, policy: 'strict' | 'accept-new', v: Verification) {
  const name = hostLookupName(s.address, s.port)
  const describe = (blob: Buffer) => `${fingerprint(blob)} (${keyTypeOf(blob)})`
  const pinned = s.hostKey !== undefined ? parsePinnedKey(s.hostKey) : undefined
  if (s.hostKey !== undefined && !pinned) throw new ConfigError('inventory', `${host}.hostKey`, "'type base64' (e.g. 'ssh-ed25519 AAAA…')", `'${s.hostKey}'`)
  if (pinned) {
    const verify = (blob: Buffer): boolean => {
      if (blob.toString('base64') === pinned.key) return true
      v.failure = new ConnectError(host, 'host-key-changed',
        `host key of ${name} does not match the pinned hostKey: presented ${describe(blob)}, pinned ${fingerprint(pinned.key)} (${pinned.keyType})`)
      return false
    }
    return { verify, types: [pinned.keyType] }
  }
  const file = s.knownHosts ?? join(homedir(), '.ssh', 'known_hosts')
  const entries = await readKnownHosts(file)
  const verify = (blob: Buffer, done: (ok: boolean) => void): void => {
    const verdict = checkHostKey(entries, s.address, s.port, blob)
    if (verdict.status === 'ok') return done(true)
    if (verdict.status === 'unknown' && policy === 'accept-new') {
      mkdir(dirname(file), { recursive: true, mode: 0o700 })
        .then(() => appendFile(file, knownHostsLine(s.address, s.port, blob), { mode: 0o600 }))
        .then(() => done(true), (e: Error) => {
          v.failure = new ConnectError(host, 'host-key-unknown', `cannot record the host key of ${name} in ${file}: ${e.message}`, { cause: e })
          done(false)
        })
      return
    }
    v.failure = verdict.status === 'unknown'
      ? new ConnectError(host, 'host-key-unknown', `host key ${describe(blob)} of ${name} is not in ${file}; add it (ssh-keyscan) or run with --host-key-policy accept-new (hostKeyPolicy: 'accept-new' in code)`)
      : verdict.status === 'revoked'
        ? new ConnectError(host, 'host-key-changed', `host key ${describe(blob)} of ${name} is marked @revoked in ${file}:${verdict.line}`)
        : new ConnectError(host, 'host-key-changed', `host key of ${name} has changed: presented ${describe(blob)}, known ${verdict.known.map((e) => `${fingerprint(e.key)} (${e.keyType}, ${file}:${e.line})`).join(', ')}`)
    done(false)
  }
  const types = entries.filter((e) => e.marker === undefined && entryMatches(e, s.address, s.port)).map((e) => e.keyType)
  return { verify, types }
}

async function privateKey(host: string, s: ResolvedConnection): Promise<string | undefined> {
  if (!s.keyFile) return undefined
  try {
    return await readFile(s.keyFile, 'utf8')
  } catch (e) {
    throw new ConfigError(s.keyFile, `${host}.keyFile`, 'a readable private key file', (e as NodeJS.ErrnoException).code ?? String(e), { cause: e })
  }
}

/** Opens an authenticated client to `s` (through its bastion when `jump` is set). */
export async function openSshClient(host: string, s: ResolvedConnection, opts: SshConnectOptions = {}): Promise<{ ssh: NodeSSH; release: () => void }> {
  let sock: Config['sock']
  let release = (): void => {}
  if (s.jump) {
    const b = opts.resolveJump?.(s.jump) ?? parseJumpSpec(s.jump, s)
    const key = `${b.user}@${b.address}:${b.port}`
    const openBastion = async () => (await openSshClient(`${host} (jump ${s.jump})`, b, { ...opts, jumpPool: undefined })).ssh
    const pool = opts.jumpPool
    const bastion = pool ? await pool.acquire(key, openBastion) : await openBastion()
    release = pool ? () => pool.release(key) : () => bastion.dispose()
    try {
      sock = await bastion.forwardOut('127.0.0.1', 0, s.address, s.port)
    } catch (e) {
      release()
      throw new ConnectError(host, 'unreachable', `bastion ${key} cannot reach ${s.address}:${s.port}: ${(e as Error).message}`, { cause: e })
    }
  }
  const v: Verification = {}
  const ssh = new NodeSSH()
  try {
    const { verify, types } = await hostVerifier(host, s, opts.hostKeyPolicy ?? 'strict', v)
    const agent = s.agent ?? (!s.keyFile && !s.password ? process.env['SSH_AUTH_SOCK'] : undefined)
    const key = await privateKey(host, s)
    const config: Config = {
      host: s.address,
      port: s.port,
      username: s.user,
      readyTimeout: opts.connectTimeoutMs ?? 10_000,
      keepaliveInterval: opts.keepaliveMs ?? 15_000,
      keepaliveCountMax: 3,
      algorithms: { serverHostKey: preferredHostKeyAlgorithms(types, HOST_KEY_ALGORITHMS) as never },
      hostVerifier: verify as never,
      ...(sock ? { sock } : {}),
      ...(key ? { privateKey: key } : {}),
      ...(s.passphrase ? { passphrase: s.passphrase.reveal() } : {}),
      ...(s.password ? { password: s.password.reveal(), tryKeyboard: true } : {}),
      ...(agent ? { agent } : {}),
    }
    await ssh.connect(config)
    // node-ssh drops its error listener once connected; an unhandled 'error' would end the process.
    ssh.connection?.on('error', () => {})
  } catch (e) {
    ssh.dispose()
    release()
    if (v.failure) throw v.failure
    if (e instanceof ConnectError || e instanceof ConfigError) throw e
    const reason = connectFailure(e)
    const where = `${s.user}@${hostLookupName(s.address, s.port)}`
    throw new ConnectError(host, reason, `${where}: ${(e as Error).message}`, { cause: e })
  }
  return { ssh, release }
}

/** Pure: why sudo refused to open the root shell, from its output (wrong password, password needed, anything else). */
export function sudoFailure(host: string, user: string, stderr: string, cause: unknown): ConnectError {
  const said = stderr.replace(/kp-sudo-\S+:/g, '').trim().split('\n').slice(-3).join(' | ')
  if (/incorrect password|try again/i.test(said)) return new ConnectError(host, 'sudo-password-wrong', `sudo as ${user} refused the become password`, { cause })
  if (/password is required|no tty|askpass/i.test(said)) return new ConnectError(host, 'sudo-required', `sudo as ${user} needs a password: set becomePassword`, { cause })
  return new ConnectError(host, 'sudo-required', `sudo as ${user} failed: ${said || 'no output'}`, { cause })
}
