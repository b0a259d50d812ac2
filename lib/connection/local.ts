/**
 * The local connection: commands run under /bin/sh on this machine. Same file semantics as SSH
 * (the shared atomic write command), used for tests and for `connection: 'local'` hosts.
 */
import { spawn } from 'node:child_process'
import { TimeoutError } from '../errors.ts'
import { readFileVia, writeFileVia } from './commands.ts'
import { type ShellCommand } from './quote.ts'
import { reveal } from '../secret.ts'
import type { Connection, ExecOptions, ExecResult, WriteOptions } from './types.ts'

export interface LocalOptions {
  /** Name used in messages and results. @default 'localhost' */
  readonly host?: string
  /** Run every command through `sudo -n` unless already root. @default false */
  readonly become?: boolean
}

export class LocalConnection implements Connection {
  readonly host: string
  readonly #become: boolean
  constructor(opts: LocalOptions = {}) {
    this.host = opts.host ?? 'localhost'
    this.#become = opts.become ?? false
  }

  exec(cmd: ShellCommand, opts: ExecOptions = {}): Promise<ExecResult> {
    const become = (opts.become ?? this.#become) && process.getuid?.() !== 0
    const argv = become ? ['sudo', '-n', '--', 'sh', '-c', cmd.text] : ['sh', '-c', cmd.text]
    const env = { ...process.env }
    for (const [k, v] of Object.entries(opts.env ?? {})) env[k] = reveal(v)
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
      const out: Buffer[] = []
      const err: Buffer[] = []
      let timer: NodeJS.Timeout | undefined
      if (opts.timeoutMs) {
        timer = setTimeout(() => {
          try { process.kill(-child.pid!, 'SIGKILL') } catch { /* already gone */ }
          reject(new TimeoutError(this.host, cmd.masked, opts.timeoutMs!))
        }, opts.timeoutMs)
      }
      child.stdout.on('data', (b: Buffer) => out.push(b))
      child.stderr.on('data', (b: Buffer) => err.push(b))
      child.on('error', (e) => { clearTimeout(timer); reject(e) })
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        const stdoutBytes = Buffer.concat(out)
        resolve({ code: code ?? (signal ? 128 : 1), stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes })
      })
      child.stdin.on('error', () => { /* command did not read its stdin */ })
      child.stdin.end(opts.stdin ?? '')
    })
  }

  readFile(path: string, opts?: { become?: boolean }): Promise<Buffer | null> {
    return readFileVia(this, path, opts)
  }

  writeFile(path: string, content: string | Buffer, opts?: WriteOptions): Promise<void> {
    return writeFileVia(this, path, content, opts)
  }

  async close(): Promise<void> {}
}
