/**
 * `kubeplay vault` against Debian's own ansible-vault (ansible-core, installed here when missing):
 * files kubeplay encrypts (1.1, and 1.2 with a vault id) open with ansible-vault, files ansible-vault
 * encrypts open with kubeplay, an encrypt-string block decrypts with ansible-vault; decrypt in place
 * and to stdout, edit through $EDITOR, and the refusals (wrong password, already a vault).
 */
import { execFile } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT } from '../../lib/cli/args.ts'
import { parseVaultArgs } from '../../lib/cli/vault.ts'
import { aptInstall, tryRun } from '../../lib/lab/exec.ts'

const root = new URL('../../', import.meta.url).pathname
const work = mkdtempSync(join(tmpdir(), 'kp-vault-'))
const pw = join(work, 'pw')
writeFileSync(pw, 'correct horse battery\n')
const PLAIN = 'db_password: "S3cr3t with spaces & $dollars"\nport: 5432\n'

async function cmd(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await promisify(execFile)(file, args, { cwd: work, timeout: 60_000, env: { ...process.env, ...env } })
    return { code: 0, out: r.stdout, err: r.stderr }
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof x.code === 'number' ? x.code : -1, out: x.stdout ?? '', err: x.stderr ?? '' }
  }
}
const kubeplay = (...args: string[]) => cmd(join(root, 'bin/kubeplay.mjs'), args)
const ansibleVault = (...args: string[]) => cmd('ansible-vault', args)

test.before(async () => {
  if (!(await tryRun('ansible-vault', ['--version']))) await aptInstall(['ansible-core'])
})
test.after(() => rmSync(work, { recursive: true, force: true }))

test('options: actions, --vault-id LABEL@FILE, refusals naming the flag', () => {
  assert.equal(parseVaultArgs(['encrypt', 'a.yml', '--vault-id', 'prod@pw.txt']), { action: 'encrypt', files: ['a.yml'], passwordFile: 'pw.txt', vaultId: 'prod', output: undefined, name: undefined })
  assert.throws(() => parseVaultArgs(['rekey', 'a']), /vault: expected one of encrypt, decrypt, view, edit, encrypt-string, found 'rekey'/)
  assert.throws(() => parseVaultArgs(['view', 'a', 'b']), /view: expected one file, found 2/)
  assert.throws(() => parseVaultArgs(['encrypt', 'a', '--output', 'b']), /--output: expected decrypt of one file/)
  assert.throws(() => parseVaultArgs(['encrypt-string', 'x', '--name', '1bad']), /--name: expected a YAML key/)
})

test('kubeplay encrypts (1.1 and 1.2 with a vault id): ansible-vault opens both', async () => {
  writeFileSync(join(work, 'a.yml'), PLAIN)
  const e = await kubeplay('vault', 'encrypt', 'a.yml', '--vault-password-file', pw)
  assert.is(e.code, 0, e.err)
  const text = readFileSync(join(work, 'a.yml'), 'utf8')
  assert.match(text, /^\$ANSIBLE_VAULT;1\.1;AES256\n/)
  assert.is(statSync(join(work, 'a.yml')).mode & 0o777, 0o600)
  const v = await ansibleVault('view', '--vault-password-file', pw, 'a.yml')
  assert.is(v.code, 0, v.err)
  assert.is(v.out, PLAIN)
  writeFileSync(join(work, 'b.yml'), PLAIN)
  assert.is((await kubeplay('vault', 'encrypt', 'b.yml', '--vault-id', `prod@${pw}`)).code, 0)
  assert.match(readFileSync(join(work, 'b.yml'), 'utf8'), /^\$ANSIBLE_VAULT;1\.2;AES256;prod\n/)
  const v2 = await ansibleVault('view', '--vault-id', `prod@${pw}`, 'b.yml')
  assert.is(v2.out, PLAIN, v2.err)
  const again = await kubeplay('vault', 'encrypt', 'a.yml', '--vault-password-file', pw)
  assert.is(again.code, EXIT.invalidInput)
  assert.match(again.err, /a\.yml: file: expected a plaintext file, found a file that is already a vault/)
})

test('ansible-vault encrypts: kubeplay views and decrypts (in place, and to stdout); a wrong password is refused without showing it', async () => {
  writeFileSync(join(work, 'c.yml'), PLAIN)
  assert.is((await ansibleVault('encrypt', '--vault-password-file', pw, 'c.yml')).code, 0)
  const view = await kubeplay('vault', 'view', 'c.yml', '--vault-password-file', pw)
  assert.is(view.code, 0, view.err)
  assert.is(view.out, PLAIN)
  writeFileSync(join(work, 'wrong'), 'not the password\n')
  const bad = await kubeplay('vault', 'view', 'c.yml', '--vault-password-file', join(work, 'wrong'))
  assert.is(bad.code, EXIT.invalidInput)
  assert.match(bad.err, /c\.yml: file: expected the vault password it was encrypted with, found a password that does not open it/)
  assert.not.match(bad.err + bad.out, 'not the password')
  const out = await kubeplay('vault', 'decrypt', 'c.yml', '--output', '-', '--vault-password-file', pw)
  assert.is(out.out, PLAIN)
  assert.is((await kubeplay('vault', 'decrypt', 'c.yml', '--vault-password-file', pw)).code, 0)
  assert.is(readFileSync(join(work, 'c.yml'), 'utf8'), PLAIN)
})

test('encrypt-string gives a `name: !vault |` block that ansible-vault decrypts; edit re-encrypts what $EDITOR changed', async () => {
  const s = await kubeplay('vault', 'encrypt-string', 'p@ss w0rd!', '--name', 'haproxy_stats_password', '--vault-password-file', pw)
  assert.is(s.code, 0, s.err)
  assert.match(s.out, /^haproxy_stats_password: !vault \|\n {2}\$ANSIBLE_VAULT;1\.1;AES256\n/)
  assert.not.match(s.out + s.err, 'p@ss w0rd!')
  writeFileSync(join(work, 'inline'), s.out.split('\n').slice(1).map((l) => l.trim()).join('\n'))
  const d = await ansibleVault('decrypt', '--vault-password-file', pw, '--output', '-', 'inline')
  assert.is(d.out, 'p@ss w0rd!', d.err)

  writeFileSync(join(work, 'e.yml'), PLAIN)
  await kubeplay('vault', 'encrypt', 'e.yml', '--vault-password-file', pw)
  const editor = join(work, 'editor.sh')
  writeFileSync(editor, '#!/bin/sh\nsed -i "s/5432/6543/" "$1"\n')
  chmodSync(editor, 0o755)
  const ed = await cmd(join(root, 'bin/kubeplay.mjs'), ['vault', 'edit', 'e.yml', '--vault-password-file', pw], { EDITOR: editor })
  assert.is(ed.code, 0, ed.err)
  const v = await ansibleVault('view', '--vault-password-file', pw, 'e.yml')
  assert.is(v.out, PLAIN.replace('5432', '6543'))
})

test.run()
