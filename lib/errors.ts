/**
 * The few error classes kubeplay throws. Each message names the host, file or key, what was expected
 * and what was found; secrets are masked before they reach a message.
 */
import { mask } from './secret.ts'

export class KubeplayError extends Error {
  override name = 'KubeplayError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(mask(message), options)
  }
}

/** Invalid inventory, vars, arguments or playbook: raised before any connection. */
export class ConfigError extends KubeplayError {
  override name = 'ConfigError'
  constructor(
    readonly file: string,
    readonly key: string,
    readonly expected: string,
    readonly found: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${key}: expected ${expected}, found ${found}`, options)
  }
}

/** Several ConfigErrors found in one validation pass. */
export class ConfigErrors extends KubeplayError {
  override name = 'ConfigErrors'
  constructor(readonly errors: readonly ConfigError[]) {
    super(errors.map((e) => e.message).join('\n'))
  }
}

export type ConnectFailure =
  | 'unreachable'
  | 'timeout'
  | 'auth-refused'
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'sudo-password-wrong'
  | 'sudo-required'
  | 'closed'

/** The host could not be reached or authenticated. The host is reported `unreachable`. */
export class ConnectError extends KubeplayError {
  override name = 'ConnectError'
  constructor(readonly host: string, readonly reason: ConnectFailure, detail: string, options?: { cause?: unknown }) {
    super(`${host}: ${reason}: ${detail}`, options)
  }
}

/** A command exited non-zero where success was required. */
export class CommandError extends KubeplayError {
  override name = 'CommandError'
  constructor(
    readonly host: string,
    readonly command: string,
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    const tail = mask(stderr || stdout).trim().split('\n').slice(-8).join('\n')
    super(`${host}: command failed (exit ${code}): ${command}${tail ? `\n${tail}` : ''}`)
  }
}

/** A command or task ran past its time limit. */
export class TimeoutError extends KubeplayError {
  override name = 'TimeoutError'
  constructor(readonly host: string, readonly what: string, readonly ms: number) {
    super(`${host}: timed out after ${ms} ms: ${what}`)
  }
}

/** A module found its parameters or the host in a state it cannot handle. */
export class ModuleError extends KubeplayError {
  override name = 'ModuleError'
  constructor(readonly module: string, message: string, options?: { cause?: unknown }) {
    super(`${module}: ${message}`, options)
  }
}
