/**
 * The SSH connection: one SSH connection per host and over it one long-lived `sh` (plus a root `sh`
 * through sudo, opened on first use) to which commands are pipelined, so a command costs one round
 * trip. Commands are queued per connection; `exec` throws only ConnectError and TimeoutError.
 */
import { randomBytes } from 'node:crypto'
import type { NodeSSH } from 'node-ssh'
import type { Client, ClientChannel } from 'ssh2'
import { CommandError, ConnectError, TimeoutError } from '../errors.ts'
import { readFileVia, writeFileVia } from './commands.ts'
import { quote, type ShellCommand } from './quote.ts'
import { reveal } from '../secret.ts'
import { markerPrintf, ShellSession, wrapCommand, type Marked } from './shell-session.ts'
import { openSshClient, sudoFailure, type SshConnectOptions } from './ssh-connect.ts'
import type { Connection, ExecOptions, ExecResult, ResolvedConnection, WriteOptions } from './types.ts'

export { JumpPool, type SshConnectOptions } from './ssh-connect.ts'

/** Above this, stdin is streamed to a temp file over its own channel instead of a here-document. */
const LARGE_STDIN = 1 << 20
/** How long after `timeoutMs` the controller gives up on the remote `timeout` and kills the shell. */
const TIMEOUT_GRACE_MS = 2_000
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Connects, verifies the host key, authenticates and starts the remote shell. */
export async function connectSsh(host: string, settings: ResolvedConnection, opts: SshConnectOptions = {}): Promise<SshConnection> {
  const { ssh, release } = await openSshClient(host, settings, opts)
  const conn = new SshConnection(host, settings, ssh, release, opts.connectTimeoutMs ?? 10_000)
  try {
    await conn.ready()
  } catch (e) {
    await conn.close()
    throw e
  }
  return conn
}

export class SshConnection implements Connection {
  readonly host: string
  readonly #settings: ResolvedConnection
  readonly #ssh: NodeSSH
  readonly #client: Client
  readonly #release: () => void
  readonly #openTimeoutMs: number
  readonly #nonce = randomBytes(6).toString('hex')
  readonly #shells = new Map<'user' | 'root', Promise<ShellSession>>()
  readonly #clientClosed: Promise<void>
  #seq = 0
  #uid: number | undefined
  #queue: Promise<unknown> = Promise.resolve()
  #lastError: Error | undefined
  #gone: ConnectError | undefined

  constructor(host: string, settings: ResolvedConnection, ssh: NodeSSH, release: () => void, openTimeoutMs: number) {
    this.host = host
    this.#settings = settings
    this.#ssh = ssh
    this.#client = ssh.connection!
    this.#release = release
    this.#openTimeoutMs = openTimeoutMs
    this.#client.on('error', (e: Error) => { this.#lastError = e })
    this.#clientClosed = new Promise((resolve) => this.#client.once('close', () => {
      this.#gone ??= this.#lostError()
      for (const p of this.#shells.values()) p.then((s) => s.kill(this.#gone!), () => {})
      this.#release()
      resolve()
    }))
  }

  /** Opens the login user's shell; `connectSsh` awaits it so a broken host fails at connect. */
  async ready(): Promise<void> {
    await this.#shell('user')
  }

  exec(cmd: ShellCommand, opts: ExecOptions = {}): Promise<ExecResult> {
    const bad = Object.keys(opts.env ?? {}).find((k) => !ENV_NAME.test(k))
    if (bad !== undefined) return Promise.reject(new TypeError(`${this.host}: env: expected a variable name, found '${bad}'`))
    const run = () => this.#run(cmd, opts)
    const p = this.#queue.then(run, run)
    this.#queue = p.catch(() => {})
    return p
  }

  readFile(path: string, opts?: { become?: boolean }): Promise<Buffer | null> {
    return readFileVia(this, path, opts)
  }

  writeFile(path: string, content: string | Buffer, opts?: WriteOptions): Promise<void> {
    return writeFileVia(this, path, content, opts)
  }

  /** Ends the shells and the SSH connection. Idempotent; later `exec` calls reject with ConnectError. */
  async close(): Promise<void> {
    this.#gone ??= new ConnectError(this.host, 'closed', 'connection closed by kubeplay')
    this.#ssh.dispose()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.#clientClosed, new Promise((r) => { timer = setTimeout(r, 2_000) })])
    clearTimeout(timer)
  }

  async #run(cmd: ShellCommand, opts: ExecOptions): Promise<ExecResult> {
    if (this.#gone) throw this.#gone
    const root = (opts.become ?? this.#settings.become) && this.#uid !== 0
    const shell = await this.#shell(root ? 'root' : 'user')
    const stdin = opts.stdin === undefined ? undefined : Buffer.isBuffer(opts.stdin) ? opts.stdin : Buffer.from(opts.stdin)
    const stdinFile = stdin && stdin.length > LARGE_STDIN ? await this.#upload(stdin) : undefined
    const token = this.#token()
    const line = wrapCommand({
      command: cmd.text,
      token,
      env: Object.entries(opts.env ?? {}).map(([k, v]) => [k, reveal(v)] as const),
      cwd: opts.cwd,
      timeoutMs: opts.timeoutMs,
      stdin: stdinFile === undefined ? stdin : undefined,
      stdinFile,
    })
    const started = Date.now()
    const marked = shell.expect(token)
    shell.write(line)
    const m = opts.timeoutMs === undefined ? await marked : await this.#guard(marked, shell, cmd, opts.timeoutMs)
    const code = Number.parseInt(m.trailer, 10)
    // `timeout -s KILL` exits 137 when it fired (it kills its own process group, itself included).
    if (opts.timeoutMs !== undefined && code === 137 && Date.now() - started >= opts.timeoutMs * 0.9) {
      throw new TimeoutError(this.host, cmd.masked, opts.timeoutMs)
    }
    return { code, stdout: m.stdout.toString('utf8'), stderr: m.stderr.toString('utf8'), stdoutBytes: m.stdout }
  }

  /** The controller-side limit, in case the remote `timeout` could not end the command. */
  #guard(marked: Promise<Marked>, shell: ShellSession, cmd: ShellCommand, ms: number): Promise<Marked> {
    const timer = setTimeout(() => shell.kill(new TimeoutError(this.host, cmd.masked, ms)), ms + TIMEOUT_GRACE_MS)
    return marked.finally(() => clearTimeout(timer))
  }

  #token(): string {
    return `KP${this.#nonce}_${++this.#seq}`
  }

  #lostError(): ConnectError {
    const e = this.#lastError
    const unreachable = (e as { level?: string } | undefined)?.level === 'client-timeout'
    return new ConnectError(this.host, unreachable ? 'unreachable' : 'closed',
      `SSH connection lost${e ? `: ${e.message}` : ''}`, e ? { cause: e } : undefined)
  }

  /** The live shell of that kind; a dead one (killed after a timeout) is replaced, a failed sudo stays failed. */
  async #shell(kind: 'user' | 'root'): Promise<ShellSession> {
    const current = this.#shells.get(kind)
    if (current) {
      const s = await current
      if (!s.dead) return s
      if (this.#gone) throw this.#gone
    }
    const next = kind === 'user' ? this.#openUserShell() : this.#openRootShell()
    this.#shells.set(kind, next)
    return next
  }

  #openChannel(command: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      if (this.#gone) return reject(this.#gone)
      try {
        this.#client.exec(command, (err, ch) => err
          ? reject(this.#gone ?? new ConnectError(this.host, 'closed', `cannot open an SSH channel: ${err.message}`, { cause: err }))
          : resolve(ch))
      } catch (e) {
        reject(this.#gone ?? new ConnectError(this.host, 'closed', `cannot open an SSH channel: ${(e as Error).message}`, { cause: e }))
      }
    })
  }

  #newSession(ch: ClientChannel, what: string): ShellSession {
    return new ShellSession(ch, () => this.#gone ?? (this.#lastError ? this.#lostError() : new ConnectError(this.host, 'closed', `${what} exited`)))
  }

  /** Fails `marked` with a ConnectError `reason` if the shell does not answer in time. */
  #answerWithin(marked: Promise<Marked>, session: ShellSession, what: string): Promise<Marked> {
    const timer = setTimeout(() => session.kill(new ConnectError(this.host, 'timeout', `${what} did not answer within ${this.#openTimeoutMs} ms`)), this.#openTimeoutMs)
    return marked.finally(() => clearTimeout(timer))
  }

  async #openUserShell(): Promise<ShellSession> {
    // The login shell runs `exec sh`: whatever its rc files print lands before our first marker.
    const session = this.#newSession(await this.#openChannel('exec sh'), 'remote shell')
    const token = this.#token()
    const marked = session.expect(token)
    session.write(`${markerPrintf(token, '"$(id -u)"')}\n`)
    const m = await this.#answerWithin(marked, session, 'remote shell')
    this.#uid = Number.parseInt(m.trailer, 10)
    return session
  }

  /**
   * `sudo sh`, printing a ready marker once authenticated. Nothing is written to its stdin before
   * that except the password, once, after sudo's prompt: a second prompt means the password is wrong
   * and the channel is killed before sudo could read a command line as a password.
   */
  async #openRootShell(): Promise<ShellSession> {
    const password = this.#settings.becomePassword
    const token = this.#token()
    const prompt = `kp-sudo-${token}:`
    const sudo = password ? `sudo -S -p ${quote(prompt)}` : 'sudo -n'
    const ch = await this.#openChannel(`exec ${sudo} -- sh -c ${quote(`${markerPrintf(token, '"$(id -u)"')}; exec sh`)}`)
    const session = this.#newSession(ch, 'sudo')
    const marked = session.expect(token)
    let stderr = ''
    let prompts = 0
    const onStderr = (b: Buffer): void => {
      stderr = (stderr + b.toString('utf8')).slice(-4096)
      const n = stderr.split(prompt).length - 1
      if (n <= prompts) return
      prompts = n
      if (prompts === 1 && password) ch.write(`${password.reveal()}\n`)
      else session.kill(new ConnectError(this.host, 'sudo-password-wrong', `sudo as ${this.#settings.user} refused the become password`))
    }
    ch.stderr.on('data', onStderr)
    try {
      const m = await this.#answerWithin(marked, session, 'sudo')
      if (m.trailer !== '0') throw new ConnectError(this.host, 'sudo-required', `sudo gave uid ${m.trailer}, expected 0`)
      return session
    } catch (e) {
      session.kill(e as Error)
      if (e instanceof ConnectError && e.reason !== 'closed') throw e
      throw sudoFailure(this.host, this.#settings.user, stderr, e)
    } finally {
      ch.stderr.off('data', onStderr)
    }
  }

  /** Streams large stdin to a private temp file over its own channel; the command reads and removes it. */
  async #upload(data: Buffer): Promise<string> {
    const ch = await this.#openChannel(`umask 077 && t=$(mktemp "\${TMPDIR:-/tmp}/.kubeplay-stdin.XXXXXX") && printf '%s\\n' "$t" && exec cat >"$t"`)
    const out: Buffer[] = []
    const err: Buffer[] = []
    ch.on('data', (b: Buffer) => out.push(b))
    ch.stderr.on('data', (b: Buffer) => err.push(b))
    const code = await new Promise<number | null>((resolve) => {
      let exit: number | null = null
      ch.on('exit', (c: number | null) => { exit = c })
      ch.on('close', () => resolve(exit))
      ch.end(data)
    })
    if (this.#gone) throw this.#gone
    const path = Buffer.concat(out).toString('utf8').trim()
    if (code !== 0 || !path) throw new CommandError(this.host, 'upload stdin to a temp file', code ?? -1, path, Buffer.concat(err).toString('utf8'))
    return path
  }
}
