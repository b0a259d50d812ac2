import type { ShellCommand } from './quote.ts'
import type { Secret } from '../secret.ts'

export interface ExecOptions {
  /** Bytes fed to the command's standard input. */
  readonly stdin?: string | Buffer
  /** Extra environment for this command only. */
  readonly env?: Readonly<Record<string, string | Secret>>
  /** Run as root through sudo. @default the connection's `become` setting */
  readonly become?: boolean
  /** Kill the command after this many ms and throw TimeoutError. @default no limit */
  readonly timeoutMs?: number
  /** Working directory. @default the login directory */
  readonly cwd?: string
}

export interface ExecResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  /** Raw standard output, for binary content. */
  readonly stdoutBytes: Buffer
}

export interface WriteOptions {
  /** Octal mode string (`'0644'`). @default the replaced file's mode, or 0644 for a new file */
  readonly mode?: string
  readonly owner?: string
  readonly group?: string
  /** Command run on the temp file before it replaces the target; `%s` is the temp path. */
  readonly validate?: string
  readonly become?: boolean
}

/**
 * One host, reached once. Implementations keep a persistent session and run many commands
 * over it; `exec` never throws for a non-zero exit (callers decide), only for connection
 * failures (ConnectError) and time limits (TimeoutError).
 */
export interface Connection {
  readonly host: string
  exec(cmd: ShellCommand, opts?: ExecOptions): Promise<ExecResult>
  /** File content, or null when the file does not exist. */
  readFile(path: string, opts?: { become?: boolean }): Promise<Buffer | null>
  /** Atomic: temp file in the same directory, mode/owner, optional validate, rename. */
  writeFile(path: string, content: string | Buffer, opts?: WriteOptions): Promise<void>
  close(): Promise<void>
}

/** How to reach one host, resolved from the inventory (defaults, groups, host). */
export interface ResolvedConnection {
  readonly address: string
  readonly port: number
  readonly user: string
  readonly keyFile?: string
  readonly passphrase?: Secret
  readonly password?: Secret
  readonly agent?: string
  readonly become: boolean
  readonly becomePassword?: Secret
  readonly jump?: string
  readonly hostKey?: string
  readonly knownHosts?: string
  readonly connection: 'ssh' | 'local'
}
