/**
 * Ansible Vault, read side (plus encrypt, for tests and tooling), so vaults from an Ansible setup load
 * as they are. Format `$ANSIBLE_VAULT;1.1;AES256` (1.2 adds `;<vault-id>`), then the hex of
 * `hex(salt) \n hex(hmac) \n hex(ciphertext)` in 80-column lines. PBKDF2-HMAC-SHA256, 10000
 * iterations, 80 bytes → AES key (32) | HMAC key (32) | CTR counter block (16); the plaintext is
 * PKCS#7-padded to 16 bytes, AES-256-CTR encrypted, and the HMAC-SHA256 covers the ciphertext.
 */
import { execFileSync } from 'node:child_process'
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto'
import { resolve } from 'node:path'
import { accessSync, constants, readFileSync } from 'node:fs'
import { Secret } from './secret.ts'
import { ConfigError } from './errors.ts'

export const VAULT_PREFIX = '$ANSIBLE_VAULT;'
export const VAULT_PASSWORD_ENV = 'KUBEPLAY_VAULT_PASSWORD_FILE'

export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith(VAULT_PREFIX)
}

export interface VaultEnvelope {
  readonly version: '1.1' | '1.2'
  readonly cipher: 'AES256'
  readonly vaultId?: string
  readonly salt: Buffer
  readonly hmac: Buffer
  readonly ciphertext: Buffer
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/

/** Splits a vault text into its parts; every malformation is a ConfigError naming `where`. */
export function parseVault(text: string, file: string, key = 'vault'): VaultEnvelope {
  const lines = text.trim().split(/\r?\n/).map((l) => l.trim()).filter(Boolean)
  const header = (lines.shift() ?? '').split(';')
  const bad = (expected: string, found: string): ConfigError => new ConfigError(file, key, expected, found)
  if (header[0] !== '$ANSIBLE_VAULT') throw bad('a vault starting with $ANSIBLE_VAULT;1.1;AES256', JSON.stringify(header.join(';').slice(0, 40)))
  const version = header[1]
  if (version !== '1.1' && version !== '1.2') throw bad('vault format 1.1 or 1.2', `'${version ?? ''}'`)
  if (header[2] !== 'AES256') throw bad('cipher AES256 (the only one Ansible writes)', `'${header[2] ?? ''}'`)
  if (version === '1.2' && !header[3]) throw bad('a vault id after the cipher in a 1.2 header', 'none')
  const body = lines.join('')
  if (!HEX.test(body)) throw bad('hex lines after the vault header', 'other characters (is the file truncated or re-wrapped?)')
  const parts = Buffer.from(body, 'hex').toString('latin1').split('\n')
  if (parts.length !== 3 || !parts.every((p) => HEX.test(p))) throw bad('salt, HMAC and ciphertext in the vault body', `${parts.length} parts`)
  const [salt, hmac, ciphertext] = parts.map((p) => Buffer.from(p, 'hex')) as [Buffer, Buffer, Buffer]
  return { version, cipher: 'AES256', vaultId: version === '1.2' ? header[3] : undefined, salt, hmac, ciphertext }
}

function keys(password: string | Buffer, salt: Buffer): { aes: Buffer; mac: Buffer; iv: Buffer } {
  const k = pbkdf2Sync(password, salt, 10_000, 80, 'sha256')
  return { aes: k.subarray(0, 32), mac: k.subarray(32, 64), iv: k.subarray(64, 80) }
}

/** The plaintext; a wrong password (HMAC mismatch) is a ConfigError that never shows the password. */
export function decryptVault(text: string, password: Secret | string, file: string, key = 'vault'): Buffer {
  const v = parseVault(text, file, key)
  const k = keys(password instanceof Secret ? password.reveal() : password, v.salt)
  const mac = createHmac('sha256', k.mac).update(v.ciphertext).digest()
  if (v.hmac.length !== mac.length || !timingSafeEqual(v.hmac, mac)) {
    throw new ConfigError(file, key, `the vault password it was encrypted with${v.vaultId ? ` (vault id '${v.vaultId}')` : ''}`, 'a password that does not open it (HMAC mismatch)')
  }
  const d = createDecipheriv('aes-256-ctr', k.aes, k.iv)
  const padded = Buffer.concat([d.update(v.ciphertext), d.final()])
  const n = padded.at(-1) ?? 0
  if (n < 1 || n > 16 || n > padded.length || !padded.subarray(padded.length - n).every((b) => b === n)) {
    throw new ConfigError(file, key, 'PKCS#7 padding after decryption', 'corrupt padding')
  }
  return padded.subarray(0, padded.length - n)
}

/** Encrypts like `ansible-vault encrypt` (a random 32-byte salt unless given). */
export function encryptVault(plaintext: string | Buffer, password: string, opts: { vaultId?: string; salt?: Buffer } = {}): string {
  const salt = opts.salt ?? randomBytes(32)
  const k = keys(password, salt)
  const data = Buffer.from(plaintext)
  const n = 16 - (data.length % 16)
  const c = createCipheriv('aes-256-ctr', k.aes, k.iv)
  const ciphertext = Buffer.concat([c.update(Buffer.concat([data, Buffer.alloc(n, n)])), c.final()])
  const mac = createHmac('sha256', k.mac).update(ciphertext).digest()
  const body = Buffer.from([salt, mac, ciphertext].map((b) => b.toString('hex')).join('\n'), 'latin1').toString('hex')
  const header = opts.vaultId ? `$ANSIBLE_VAULT;1.2;AES256;${opts.vaultId}` : '$ANSIBLE_VAULT;1.1;AES256'
  return `${header}\n${body.replace(/.{1,80}/g, '$&\n')}`
}

/**
 * The vault password from `file` (or `$KUBEPLAY_VAULT_PASSWORD_FILE`): its content with surrounding
 * whitespace stripped, or, when the file is executable, what it prints (as Ansible does). Undefined
 * when neither is set.
 */
export function vaultPassword(file?: string, env: NodeJS.ProcessEnv = process.env): Secret | undefined {
  const path = file ?? env[VAULT_PASSWORD_ENV]
  if (!path) return undefined
  const where = file ? '--vault-password-file' : `$${VAULT_PASSWORD_ENV}`
  let text: string
  try {
    let executable = false
    try { accessSync(path, constants.X_OK); executable = true } catch { /* a plain file */ }
    // A relative script path is run from here (`pw.sh`), never looked up on $PATH.
    text = executable ? execFileSync(resolve(path), [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }) : readFileSync(path, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new ConfigError(path, where, 'a readable vault password file (or an executable printing the password)',
      code === 'ENOENT' ? 'no such file' : code ?? `a script that failed: ${(e as Error).message.split('\n')[0]}`)
  }
  const pw = text.trim()
  if (!pw) throw new ConfigError(path, where, 'a non-empty vault password', 'an empty file')
  return new Secret(pw, 'vault password')
}

/**
 * Secret-wraps every string of a decrypted vault file: whatever someone encrypted stays masked.
 * Numbers keep their type (a vaulted port is still a number) but their text is masked in output.
 */
export function secretLeaves<T>(value: T, label: string): T {
  if (typeof value === 'string') return new Secret(value, label) as T
  if (typeof value === 'number' || typeof value === 'bigint') { void new Secret(String(value), label); return value }
  if (Array.isArray(value)) return value.map((v) => secretLeaves(v, label)) as T
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secretLeaves(v, k)])) as T
  }
  return value
}

/**
 * Replaces every inline vault value (`key: !vault |` in YAML, read as its vault text) in `data` by a
 * Secret holding the plaintext. `decrypt` undefined: each one is an error asking for a password.
 */
export function decryptInline<T>(data: T, file: string, password: Secret | undefined, errors: ConfigError[], key = ''): T {
  // Inventory parsing may already have wrapped it (ansible_become_password → Secret).
  const text = data instanceof Secret ? data.reveal() : data
  if (typeof text === 'string') {
    if (!isVaultText(text)) return data
    if (!password) {
      errors.push(new ConfigError(file, key || '(value)', `a vault password to decrypt it (--vault-password-file or $${VAULT_PASSWORD_ENV})`, 'none given'))
      return data
    }
    try {
      return new Secret(decryptVault(text, password, file, key || '(value)').toString('utf8'), key) as T
    } catch (e) {
      if (e instanceof ConfigError) { errors.push(e); return data }
      throw e
    }
  }
  const join = (k: string | number): string => typeof k === 'number' ? `${key}[${k}]` : key ? `${key}.${k}` : k
  if (Array.isArray(data)) return data.map((v, i) => decryptInline(v, file, password, errors, join(i))) as T
  if (data && typeof data === 'object' && Object.getPrototypeOf(data) === Object.prototype) {
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, decryptInline(v, file, password, errors, join(k))])) as T
  }
  return data
}
