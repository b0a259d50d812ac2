/**
 * Where secrets come from: environment variables, files, or a value generated once and kept in the
 * state directory (0600) so reruns reuse it. All return `Secret`s, masked wherever output goes.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { Secret } from './secret.ts'
import { ConfigError } from './errors.ts'

/** `$NAME`; a missing or empty variable is a ConfigError unless `fallback` is given. */
export function secretFromEnv(name: string, fallback?: () => Secret): Secret {
  const v = process.env[name]
  if (v) return new Secret(v, name)
  if (fallback) return fallback()
  throw new ConfigError(`environment`, name, 'a non-empty environment variable', 'nothing')
}

/** The first line of a file (trailing newline dropped). */
export function secretFromFile(path: string): Secret {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new ConfigError(path, 'secret file', 'a readable file', (e as NodeJS.ErrnoException).code ?? 'unreadable')
  }
  return new Secret(text.replace(/\r?\n$/, ''), path)
}

/**
 * A random secret created on first use under `<stateDir>/secrets/<name>` and reused afterwards:
 * for lab runs and first installs, so nothing ever falls back to a well-known default like admin/admin.
 */
export function generatedSecret(name: string, stateDir = process.env.KUBEPLAY_STATE_DIR ?? '.kubeplay', bytes = 18): Secret {
  if (!/^[\w.-]+$/.test(name)) throw new ConfigError('generatedSecret', 'name', 'letters, digits, . _ -', JSON.stringify(name))
  const file = join(stateDir, 'secrets', name)
  if (existsSync(file)) return secretFromFile(file)
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const value = randomBytes(bytes).toString('base64url')
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, `${value}\n`, { mode: 0o600 })
  renameSync(tmp, file)
  return new Secret(value, name)
}

/**
 * Kubeplay's convention for vars from files and `-e`: string values of keys ending in `password`,
 * `passwd`, `passphrase` or `token` (`haproxy_stats_password`, `statsPassword`, `joinToken`), in
 * `_pass`/`Pass` (`ansible_become_pass`), or containing `secret`, become `Secret` (shown as ***), at
 * any depth. YAML cannot say "this is secret"; the name can.
 */
export function isSecretVarName(name: string): boolean {
  return /(password|passwd|passphrase|token)$|secret|_pass$/i.test(name) || /[a-z]Pass$/.test(name)
}

/**
 * Pure: text echoed in an error (an INI line, a bad value) with the value of every secret-like
 * assignment in it (`ansible_become_password="…`, `stats_password: …`) replaced by `***`, up to the
 * end of the text: a line that failed to parse has no reliable end of value.
 */
export function redactAssignments(text: string): string {
  const re = /([A-Za-z_][\w.-]*)(\s*[=:]\s*)/g
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (isSecretVarName(m[1]!)) return `${text.slice(0, m.index + m[0].length)}***`
  }
  return text
}
