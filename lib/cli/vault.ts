/**
 * `kubeplay vault`: what `ansible-vault` does, on the same file format (1.1, and 1.2 with a vault id),
 * so files go both ways between kubeplay and Ansible.
 *
 *   kubeplay vault encrypt FILE…            in place (refuses a file that is already a vault)
 *   kubeplay vault decrypt FILE… [--output F|-]
 *   kubeplay vault view FILE                the plaintext on stdout (asked for: the one place it shows)
 *   kubeplay vault edit FILE                $EDITOR on a private copy, re-encrypted when it changed
 *   kubeplay vault encrypt-string [VALUE] --name VAR    a `VAR: !vault |` block for YAML (VALUE or stdin)
 *
 * The password comes from --vault-password-file (a file, or an executable printing it), the
 * `--vault-id LABEL@FILE` form, $KUBEPLAY_VAULT_PASSWORD_FILE, or a prompt on the terminal (twice
 * when encrypting). Files are rewritten atomically (temporary file, then rename) and keep mode 0600.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { Secret } from '../secret.ts'
import { ConfigError } from '../errors.ts'
import { valueAfter } from './args.ts'
import { decryptVault, encryptVault, isVaultText, parseVault, vaultPassword } from '../vault.ts'

export const VAULT_USAGE = `usage: kubeplay vault encrypt|decrypt|view|edit FILE… | encrypt-string [VALUE] --name VAR
  --vault-password-file FILE   the password (a file, or an executable that prints it)
  --vault-id LABEL[@FILE]      write format 1.2 with this vault id (password from FILE, else as above)
  --output FILE|-              decrypt: write there instead of in place (- : stdout)
  --name VAR                   encrypt-string: the YAML key
without a password file (or $KUBEPLAY_VAULT_PASSWORD_FILE) the password is asked on the terminal`

export interface VaultArgs {
  readonly action: 'encrypt' | 'decrypt' | 'view' | 'edit' | 'encrypt-string'
  readonly files: string[]
  readonly passwordFile?: string
  readonly vaultId?: string
  readonly output?: string
  readonly name?: string
}

const ACTIONS = ['encrypt', 'decrypt', 'view', 'edit', 'encrypt-string'] as const

/** Pure: the vault command line. */
export function parseVaultArgs(argv: readonly string[]): VaultArgs {
  const [action, ...rest] = argv
  if (!ACTIONS.includes(action as VaultArgs['action'])) throw new ConfigError('command line', 'vault', `one of ${ACTIONS.join(', ')}`, action ? `'${action}'` : 'nothing')
  const files: string[] = []
  let passwordFile: string | undefined
  let vaultId: string | undefined
  let output: string | undefined
  let name: string | undefined
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!
    const value = (): string => valueAfter(rest, ++i, a)
    if (a === '--vault-password-file') passwordFile = value()
    else if (a === '--vault-id') {
      const v = value()
      const at = v.indexOf('@')
      vaultId = at < 0 ? v : v.slice(0, at)
      if (at >= 0 && v.slice(at + 1) !== 'prompt') passwordFile = v.slice(at + 1)
      if (!/^[\w.-]+$/.test(vaultId)) throw new ConfigError('command line', '--vault-id', 'a label of letters, digits, . _ - (LABEL or LABEL@FILE)', `'${v}'`)
    } else if (a === '--output') output = value()
    else if (a === '--name') name = value()
    else if (a.startsWith('-') && a !== '-') throw new ConfigError('command line', a, 'an option of kubeplay vault (--vault-password-file, --vault-id, --output, --name)', `unknown option '${a}'`)
    else files.push(a)
  }
  const act = action as VaultArgs['action']
  if (act !== 'encrypt-string' && files.length === 0) throw new ConfigError('command line', action!, 'a file to work on', 'nothing')
  if ((act === 'view' || act === 'edit') && files.length > 1) throw new ConfigError('command line', action!, 'one file', `${files.length}`)
  if (output && (act !== 'decrypt' || files.length > 1)) throw new ConfigError('command line', '--output', 'decrypt of one file', `${act} of ${files.length}`)
  if (act === 'encrypt-string' && files.length > 1) throw new ConfigError('command line', 'encrypt-string', 'one value (or none: read from stdin)', `${files.length} words (quote the value)`)
  if (name !== undefined && !/^[A-Za-z_][\w.-]*$/.test(name)) throw new ConfigError('command line', '--name', 'a YAML key like db_password', `'${name}'`)
  return { action: act, files, passwordFile, vaultId, output, name }
}

/** Writes `data` next to `file`, then renames it over: a reader never sees half a file. */
function atomicWrite(file: string, data: string | Buffer): void {
  let mode = 0o600
  try { mode = statSync(file).mode & 0o777 } catch { /* new file */ }
  const tmp = join(dirname(file), `.${basename(file)}.kubeplay-${process.pid}.tmp`)
  writeFileSync(tmp, data, { mode: 0o600 })
  chmodSync(tmp, mode & 0o600 || 0o600)
  renameSync(tmp, file)
}

export interface VaultIo {
  readonly out: (text: string) => void
  readonly err: (line: string) => void
  /** Asks on the terminal without echo; undefined when there is none. */
  readonly prompt?: (question: string) => string | undefined
  readonly stdin?: () => string
}

function password(a: VaultArgs, io: VaultIo, confirm: boolean): string {
  const fromFile = vaultPassword(a.passwordFile)
  if (fromFile) return fromFile.reveal()
  const ask = io.prompt
  const first = ask?.(confirm ? 'New Vault password: ' : 'Vault password: ')
  if (first === undefined) throw new ConfigError('command line', '--vault-password-file', 'a vault password (a file, $KUBEPLAY_VAULT_PASSWORD_FILE, or a terminal to ask on)', 'none of them')
  if (!first) throw new ConfigError('command line', 'vault password', 'a non-empty password', 'an empty one')
  if (confirm && ask!('Confirm New Vault password: ') !== first) throw new ConfigError('command line', 'vault password', 'the same password twice', 'two different ones')
  void new Secret(first, 'vault password')
  return first
}

const read = (file: string): string => {
  try { return readFileSync(file, 'utf8') } catch (e) {
    throw new ConfigError(file, 'file', 'a readable file', (e as NodeJS.ErrnoException).code ?? (e as Error).message)
  }
}

/** Runs one vault command; returns the exit code (0). Invalid input throws ConfigError. */
export function vaultCommand(a: VaultArgs, io: VaultIo): number {
  switch (a.action) {
    case 'encrypt': {
      for (const f of a.files) if (isVaultText(read(f))) throw new ConfigError(f, 'file', 'a plaintext file', 'a file that is already a vault')
      const pw = password(a, io, true)
      for (const f of a.files) atomicWrite(f, encryptVault(read(f), pw, { vaultId: a.vaultId }))
      io.err(`Encryption successful`)
      return 0
    }
    case 'decrypt': case 'view': {
      for (const f of a.files) parseVault(read(f), f, 'file')
      const pw = password(a, io, false)
      for (const f of a.files) {
        const plain = decryptVault(read(f), pw, f, 'file')
        if (a.action === 'view' || a.output === '-') io.out(plain.toString('utf8'))
        else atomicWrite(a.output ?? f, plain)
      }
      if (a.action === 'decrypt' && a.output !== '-') io.err('Decryption successful')
      return 0
    }
    case 'edit': {
      const f = a.files[0]!
      const text = read(f)
      const env = parseVault(text, f, 'file')
      const pw = password(a, io, false)
      const plain = decryptVault(text, pw, f, 'file')
      // A private directory for the plaintext, removed whatever happens.
      const dir = mkdtempSync(join(process.env.XDG_RUNTIME_DIR ?? tmpdir(), 'kubeplay-vault-'))
      try {
        const tmp = join(dir, basename(f).replace(/\.vault$/, ''))
        writeFileSync(tmp, plain, { mode: 0o600 })
        const editor = process.env.EDITOR || process.env.VISUAL || 'vi'
        const r = spawnSync('sh', ['-c', `${editor} "$1"`, 'editor', tmp], { stdio: 'inherit' })
        if (r.status !== 0) throw new ConfigError('command line', 'EDITOR', `an editor that exits 0 (${editor})`, `exit ${r.status ?? r.signal}: the vault is unchanged`)
        const edited = readFileSync(tmp)
        if (edited.equals(plain)) { io.err('unchanged'); return 0 }
        atomicWrite(f, encryptVault(edited, pw, { vaultId: env.vaultId ?? a.vaultId }))
      } finally { rmSync(dir, { recursive: true, force: true }) }
      return 0
    }
    case 'encrypt-string': {
      const value = a.files[0] ?? io.stdin?.() ?? ''
      if (value === '') throw new ConfigError('command line', 'encrypt-string', 'a value to encrypt (an argument, or stdin)', 'nothing')
      void new Secret(value, a.name ?? 'encrypted string')
      const pw = password(a, io, true)
      const block = encryptVault(value, pw, { vaultId: a.vaultId }).trimEnd().split('\n').map((l) => `  ${l}`).join('\n')
      io.out(`${a.name ?? 'value'}: !vault |\n${block}`)
      io.err('Encryption successful')
      return 0
    }
  }
}
