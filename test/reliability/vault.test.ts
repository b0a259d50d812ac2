/**
 * Ansible Vault: the published vector from Ansible's own tests, round trips of 1.1 and 1.2 (vault id),
 * tampering, and loading encrypted group_vars files and inline `!vault` values into Secrets.
 */
import { chmodSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { isSecret, mask, secret } from '../../lib/secret.ts'
import { ConfigError } from '../../lib/errors.ts'
import { loadInventory } from '../../lib/inventory/load.ts'
import { decryptVault, encryptVault, parseVault, vaultPassword } from '../../lib/vault.ts'
import { configErrors, writeTree } from '../inventory/tmp.ts'

// ansible/ansible test/units/parsing/vault/test_vault.py, test_encrypt_decrypt_aes256_existing_vault
const ANSIBLE_VECTOR = `$ANSIBLE_VAULT;1.1;AES256
33363965326261303234626463623963633531343539616138316433353830356566396130353436
3562643163366231316662386565383735653432386435610a306664636137376132643732393835
63383038383730306639353234326630666539346233376330303938323639306661313032396437
6233623062366136310a633866373936313238333730653739323461656662303864663666653563
3138`

const thrown = (fn: () => unknown): ConfigError => {
  try { fn() } catch (e) { if (e instanceof ConfigError) return e; throw e }
  throw new Error('expected a ConfigError')
}

test("decrypts the vector from Ansible's own test suite", () => {
  assert.is(decryptVault(ANSIBLE_VECTOR, 'test-vault-password', 'v').toString(), 'Setec Astronomy')
})

test('the same vector indented as an inline !vault value decrypts too', () => {
  const inline = ANSIBLE_VECTOR.split('\n').map((l) => `          ${l}`).join('\n')
  assert.is(decryptVault(inline, secret('test-vault-password'), 'v').toString(), 'Setec Astronomy')
})

test('encrypt → decrypt round trips, 1.1 and 1.2 with a vault id, every padding length', () => {
  for (let n = 0; n <= 33; n++) {
    const text = 'é'.repeat(n % 3) + 'x'.repeat(n)
    assert.is(decryptVault(encryptVault(text, 'pw'), 'pw', 'v').toString(), text)
    const v12 = encryptVault(text, 'pw', { vaultId: 'prod' })
    assert.ok(v12.startsWith('$ANSIBLE_VAULT;1.2;AES256;prod\n'))
    assert.is(parseVault(v12, 'v').vaultId, 'prod')
    assert.is(decryptVault(v12, 'pw', 'v').toString(), text)
  }
})

test('our encryption of the vector plaintext with its salt reproduces Ansible bytes exactly', () => {
  const salt = parseVault(ANSIBLE_VECTOR, 'v').salt
  const ours = encryptVault('Setec Astronomy', 'test-vault-password', { salt })
  assert.is(ours.replace(/\s+/g, ''), ANSIBLE_VECTOR.replace(/\s+/g, ''))
})

test('wrong password, tampering and malformed envelopes are ConfigErrors that never show the password', () => {
  const wrong = thrown(() => decryptVault(ANSIBLE_VECTOR, 'hunter2-wrong', 'group_vars/all/vault.yml'))
  assert.is(wrong.file, 'group_vars/all/vault.yml')
  assert.match(wrong.found, 'HMAC mismatch')
  assert.not.match(wrong.message, 'hunter2')
  const lines = ANSIBLE_VECTOR.split('\n')
  const flipped = [...lines]
  flipped[3] = flipped[3]!.replace(/^6/, '7')
  assert.match(thrown(() => decryptVault(flipped.join('\n'), 'test-vault-password', 'f')).message, /HMAC mismatch|salt, HMAC/)
  assert.match(thrown(() => decryptVault('$ANSIBLE_VAULT;1.1;AES128\n00', 'x', 'f')).message, 'cipher AES256')
  assert.match(thrown(() => decryptVault('$ANSIBLE_VAULT;2.0;AES256\n00', 'x', 'f')).message, 'format 1.1 or 1.2')
  assert.match(thrown(() => decryptVault('$ANSIBLE_VAULT;1.2;AES256\n00', 'x', 'f')).message, 'vault id')
  assert.match(thrown(() => decryptVault('$ANSIBLE_VAULT;1.1;AES256\nzz', 'x', 'f')).message, 'hex lines')
  assert.match(thrown(() => decryptVault(lines.slice(0, 3).join('\n'), 'test-vault-password', 'f')).message, /HMAC|salt, HMAC|hex/)
})

test('vault password: file content stripped, executable files run, missing/empty files refused', () => {
  const root = writeTree({ 'pw': 'sesame\n', 'empty': '\n', 'pw.sh': '#!/bin/sh\necho from-script\n' })
  chmodSync(join(root, 'pw.sh'), 0o755)
  assert.is(vaultPassword(join(root, 'pw'))!.reveal(), 'sesame')
  assert.is(vaultPassword(join(root, 'pw.sh'))!.reveal(), 'from-script')
  assert.is(vaultPassword(undefined, { KUBEPLAY_VAULT_PASSWORD_FILE: join(root, 'pw') })!.reveal(), 'sesame')
  assert.is(vaultPassword(undefined, {}), undefined)
  assert.match(thrown(() => vaultPassword(join(root, 'nope'))).found, 'no such file')
  assert.match(thrown(() => vaultPassword(join(root, 'empty'))).found, 'an empty file')
})

test('an encrypted group_vars/all/vault.yml and inline !vault values load as Secrets', async () => {
  const pw = 'correct horse'
  const root = writeTree({
    'hosts.yml': `all:\n  hosts:\n    m1:\n      ansible_host: 10.0.0.1\n      ansible_become_password: !vault |\n${encryptVault('sudo-s3cret-A', pw).trim().split('\n').map((l) => `        ${l}`).join('\n')}\n`,
    'group_vars/all/main.yml': `grafana_admin_user: admin\nhaproxy_stats_password: !vault |\n${encryptVault('haproxy-s3cret-B', pw, { vaultId: 'prod' }).trim().split('\n').map((l) => `  ${l}`).join('\n')}\n`,
    'group_vars/all/vault.yml': encryptVault('vault_grafana_password: grafana-s3cret-C\nvault_join:\n  token: abcdef.0123456789abcdef\n', pw),
  })
  const inv = await loadInventory(join(root, 'hosts.yml'), { cwd: root, env: {}, vaultPassword: secret(pw) })
  const m1 = inv.hosts.get('m1')!
  assert.is(m1.connection.becomePassword?.reveal(), 'sudo-s3cret-A')
  assert.ok(isSecret(m1.vars.haproxy_stats_password))
  assert.is((m1.vars.haproxy_stats_password as { reveal(): string }).reveal(), 'haproxy-s3cret-B')
  assert.ok(isSecret(m1.vars.vault_grafana_password))
  assert.ok(isSecret((m1.vars.vault_join as Record<string, unknown>).token))
  assert.is(m1.vars.grafana_admin_user, 'admin')
  assert.is(mask('x grafana-s3cret-C y haproxy-s3cret-B'), 'x *** y ***')
})

test('vault content without a password, or with the wrong one, fails loading with file and key', async () => {
  const root = writeTree({
    'hosts.ini': 'm1 ansible_host=10.0.0.1\n',
    'group_vars/all/vault.yml': encryptVault('a: 1\n', 'right'),
    'group_vars/all/main.yml': `b: !vault |\n${encryptVault('x', 'right').trim().split('\n').map((l) => `  ${l}`).join('\n')}\n`,
  })
  const none = await configErrors(() => loadInventory(join(root, 'hosts.ini'), { cwd: root, env: {} }))
  assert.equal(none.map((e) => [e.file.slice(root.length + 1), e.key]), [['group_vars/all/main.yml', 'b'], ['group_vars/all/vault.yml', '(vault)']])
  assert.ok(none.every((e) => e.expected.includes('vault password')))
  const wrong = await configErrors(() => loadInventory(join(root, 'hosts.ini'), { cwd: root, env: {}, vaultPassword: secret('wrong-pw-Z') }))
  assert.is(wrong.length, 2)
  assert.ok(wrong.every((e) => e.found.includes('HMAC mismatch') && !e.message.includes('wrong-pw-Z')))
})

test.run()
