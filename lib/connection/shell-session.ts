/**
 * One long-lived remote `sh` on an SSH channel, to which commands are pipelined: each command is
 * written to the shell's stdin followed by two `printf`s of a per-command token (one on stdout with
 * the exit code, one on stderr), and its output is everything before those markers. One command
 * costs one round trip instead of a channel open + exec + close.
 */
import type { ClientChannel } from 'ssh2'
import { quote } from './quote.ts'

const NL = 0x0a

/**
 * Collects one output stream and finds `marker … \n` in it without rescanning: each chunk is
 * searched together with the few bytes of the previous one a split marker could start in.
 */
export class MarkerScanner {
  #chunks: Buffer[] = []
  #length = 0
  #tail: Buffer = Buffer.alloc(0)
  #marker: Buffer | undefined
  #hit = -1

  /** Starts looking for `marker`; bytes already buffered (left over from before) are searched too. */
  expect(marker: Buffer): void {
    this.#marker = marker
    this.#hit = -1
    const all = this.#flatten()
    this.#hit = all.indexOf(marker)
    this.#tail = all.subarray(Math.max(0, all.length - marker.length + 1))
  }

  push(chunk: Buffer): void {
    const m = this.#marker
    if (m && this.#hit < 0) {
      const window = this.#tail.length ? Buffer.concat([this.#tail, chunk]) : chunk
      const i = window.indexOf(m)
      if (i >= 0) this.#hit = this.#length - this.#tail.length + i
      else this.#tail = window.subarray(Math.max(0, window.length - m.length + 1))
    }
    this.#chunks.push(chunk)
    this.#length += chunk.length
  }

  /**
   * Once the marker and the rest of its line have arrived: the bytes before the marker and the text
   * between marker and newline. Bytes after the newline stay buffered for the next command.
   */
  take(): { body: Buffer; trailer: string } | undefined {
    const m = this.#marker
    if (!m || this.#hit < 0) return undefined
    const all = this.#flatten()
    const nl = all.indexOf(NL, this.#hit + m.length)
    if (nl < 0) return undefined
    const body = all.subarray(0, this.#hit)
    const trailer = all.subarray(this.#hit + m.length, nl).toString('latin1')
    const rest = all.subarray(nl + 1)
    this.#chunks = rest.length ? [rest] : []
    this.#length = rest.length
    this.#marker = undefined
    this.#hit = -1
    this.#tail = Buffer.alloc(0)
    return { body, trailer }
  }

  /** Drops everything buffered (output that belongs to no command). */
  clear(): void {
    this.#chunks = []
    this.#length = 0
    this.#tail = Buffer.alloc(0)
  }

  #flatten(): Buffer {
    if (this.#chunks.length !== 1) this.#chunks = [Buffer.concat(this.#chunks, this.#length)]
    return this.#chunks[0]!
  }
}

export interface Marked {
  readonly stdout: Buffer
  readonly stderr: Buffer
  /** What the shell printed after the stdout marker: the exit code, or the uid for a handshake. */
  readonly trailer: string
}

interface Pending {
  readonly token: string
  readonly resolve: (m: Marked) => void
  readonly reject: (e: Error) => void
  out?: { body: Buffer; trailer: string }
  err?: { body: Buffer; trailer: string }
}

/** The two `printf`s that end every command line: `TOKEN:<trailer>` on stdout, `TOKEN:` on stderr. */
export function markerPrintf(token: string, trailerExpr: string): string {
  return `printf '%s:%s\\n' ${token} ${trailerExpr}; printf '%s:\\n' ${token} >&2`
}

/**
 * A remote shell on one channel. Not reentrant: the owner sends one command at a time (SshConnection
 * queues them); `expect` + `write` is one command.
 */
export class ShellSession {
  readonly #channel: ClientChannel
  readonly #out = new MarkerScanner()
  readonly #err = new MarkerScanner()
  #pending: Pending | undefined
  #dead: Error | undefined

  /** `closedError` builds the error for a channel that closes on its own (session or host gone). */
  constructor(channel: ClientChannel, closedError: () => Error) {
    this.#channel = channel
    channel.on('data', (b: Buffer) => { this.#out.push(b); this.#settle() })
    channel.stderr.on('data', (b: Buffer) => { this.#err.push(b); this.#settle() })
    channel.on('close', () => this.kill(closedError()))
    channel.on('error', (e: Error) => this.kill(e))
  }

  get dead(): boolean {
    return this.#dead !== undefined
  }

  /** Resolves when both markers of `token` have arrived. */
  expect(token: string): Promise<Marked> {
    if (this.#dead) return Promise.reject(this.#dead)
    if (this.#pending) return Promise.reject(new Error(`shell busy with ${this.#pending.token}`))
    return new Promise<Marked>((resolve, reject) => {
      this.#pending = { token, resolve, reject }
      const marker = Buffer.from(`${token}:`, 'latin1')
      this.#out.expect(marker)
      this.#err.expect(marker)
      this.#settle()
    })
  }

  write(text: string): void {
    if (!this.#dead) this.#channel.write(text)
  }

  /** Ends the shell and fails the command in flight, if any, with `why`. Idempotent. */
  kill(why: Error): void {
    if (this.#dead) return
    this.#dead = why
    const p = this.#pending
    this.#pending = undefined
    p?.reject(why)
    // sshd forwards `signal` to the shell; closing the channel then ends whatever is left.
    try { this.#channel.signal('KILL') } catch { /* channel already gone */ }
    try { this.#channel.close() } catch { /* channel already gone */ }
  }

  /** Polite end: `exit` on stdin, then EOF. */
  end(why: Error): void {
    if (this.#dead) return
    this.#dead = why
    const p = this.#pending
    this.#pending = undefined
    p?.reject(why)
    try { this.#channel.end('exit\n') } catch { /* channel already gone */ }
  }

  #settle(): void {
    const p = this.#pending
    if (!p) {
      this.#out.clear()
      this.#err.clear()
      return
    }
    p.out ??= this.#out.take()
    p.err ??= this.#err.take()
    if (p.out && p.err) {
      this.#pending = undefined
      p.resolve({ stdout: p.out.body, stderr: p.err.body, trailer: p.out.trailer })
    }
  }
}

export interface WrapInput {
  /** The command text, as sent (not masked). */
  readonly command: string
  readonly token: string
  readonly env?: ReadonlyArray<readonly [string, string]>
  readonly cwd?: string
  readonly timeoutMs?: number
  /** Content fed on stdin through a here-document (small inputs). */
  readonly stdin?: Buffer
  /** A remote file fed on stdin and removed afterwards (large inputs, uploaded beforehand). */
  readonly stdinFile?: string
}

/**
 * The text written to the shell for one command. The command runs in a subshell (`( eval … )`) so
 * `exit`, `cd`, `set -e` or a syntax error stay inside it; stdin is /dev/null unless given, so a
 * command can never read the lines queued after it.
 */
export function wrapCommand(w: WrapInput): string {
  const prelude: string[] = []
  if (w.cwd !== undefined) prelude.push(`cd -- ${quote(w.cwd)} || exit 1;`)
  for (const [k, v] of w.env ?? []) prelude.push(`export ${k}=${quote(v)};`)
  const run = w.timeoutMs !== undefined
    ? `exec timeout -s KILL ${(Math.max(w.timeoutMs, 1) / 1000).toFixed(3)} sh -c ${quote(w.command)}`
    : `eval ${quote(w.command)}`
  const sub = `( ${prelude.join(' ')}${prelude.length ? ' ' : ''}${run} )`
  const done = markerPrintf(w.token, '"$?"')
  if (w.stdinFile !== undefined) {
    const f = quote(w.stdinFile)
    return `${sub} <${f}; kp_rc=$?; rm -f -- ${f}; ${markerPrintf(w.token, '"$kp_rc"')}\n`
  }
  if (w.stdin !== undefined && w.stdin.length > 0) {
    const eof = `KP_EOF_${w.token}`
    const body = w.stdin.toString('base64').replace(/.{1,76}/g, '$&\n')
    return `base64 -d <<'${eof}' | ${sub}; ${done}\n${body}${eof}\n`
  }
  return `${sub} </dev/null; ${done}\n`
}
