/**
 * Secrets never leave in clear: a playbook through the real CLI with secrets from the environment,
 * a file, a generated secret and an Ansible Vault (inline `!vault` group var and an encrypted vars
 * file) flowing through every output path — -vv command echo, --diff of a file embedding them, a
 * failing command whose stderr echoes one, the console recap, the run record JSONL, last-run.json,
 * the --json result — and every byte of output is searched for every secret value: 0 hits.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT } from '../../lib/cli/args.ts'
import { runCli } from '../../lib/cli/main.ts'
import { reveal, sh, type Secret } from '../../lib/connection/quote.ts'
import { play, playbook, task } from '../../lib/engine/task.ts'
import { copy } from '../../lib/modules/copy.ts'
import { shell } from '../../lib/modules/shell.ts'
import { generatedSecret, secretFromEnv, secretFromFile } from '../../lib/secrets.ts'
import { encryptVault } from '../../lib/vault.ts'
import { writeTree } from '../inventory/tmp.ts'

const work = mkdtempSync(join(tmpdir(), 'kp-secrets-'))
test.after(() => rmSync(work, { recursive: true, force: true }))

const VALUES = {
  env: 'EnvS3cret-join-token-aaaa',
  file: 'FileS3cret-cert-key-bbbb',
  inlineVault: 'VaultInlineS3cret-haproxy-cccc',
  fileVault: 'VaultFileS3cret-grafana-dddd',
  vaultPassword: 'VaultPassw0rd-eeee',
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? allFiles(p) : [p]
  })
}

test('no secret value appears in any output, record, report or error', async () => {
  const indent = (s: string, n: number) => s.trim().split('\n').map((l) => `${' '.repeat(n)}${l}`).join('\n')
  const root = writeTree({
    'inventory.json': JSON.stringify({ hosts: { node1: { connection: 'local' } } }),
    'secret-file': `${VALUES.file}\n`,
    'vault-pass': `${VALUES.vaultPassword}\n`,
    'out/.keep': '',
    'group_vars/all/main.yml': `haproxy_stats_password: !vault |\n${indent(encryptVault(VALUES.inlineVault, VALUES.vaultPassword), 2)}\n`,
    'group_vars/all/vault.yml': encryptVault(`grafana_admin_password: ${VALUES.fileVault}\n`, VALUES.vaultPassword),
  })
  process.env.KP_TEST_JOIN_TOKEN = VALUES.env
  const state = join(root, 'state')
  const generated = reveal(generatedSecret('demo-password', state))
  const target = join(root, 'out')
  const pb = playbook('secrets', [play('all paths', { hosts: 'all', items: [
    task('Write a config holding every secret', copy, (h) => {
      const all = [secretFromEnv('KP_TEST_JOIN_TOKEN'), secretFromFile(join(root, 'secret-file')), generatedSecret('demo-password', state),
        h.var<Secret>('haproxy_stats_password'), h.var<Secret>('grafana_admin_password')]
      return { path: join(target, 'app.conf'), content: all.map((s, i) => `k${i}=${reveal(s)}\n`).join('') }
    }),
    task('Use secrets in a command (-vv echoes it)', shell, (h) => ({
      cmd: sh`printf '%s %s\n' ${secretFromEnv('KP_TEST_JOIN_TOKEN')} ${h.var<Secret>('grafana_admin_password')} > ${join(target, 'cmd.out')}`,
    })),
    task('Fail with the secrets on stderr', shell, (h) => ({
      cmd: sh`echo "token=${secretFromEnv('KP_TEST_JOIN_TOKEN')} key=${secretFromFile(join(root, 'secret-file'))} ha=${h.var<Secret>('haproxy_stats_password')}" >&2; exit 7`,
    })),
  ] })])
  const lines: string[] = []
  const argv = ['-i', join(root, 'inventory.json'), '--state-dir', state, '-vv', '--diff', '--json', join(root, 'result.json'),
    '--vault-password-file', join(root, 'vault-pass')]
  const code = await runCli(pb, argv, { out: (l) => lines.push(l), err: (l) => lines.push(l) })
  const console = lines.join('\n')
  assert.is(code, EXIT.failed, console)
  // The run really used the secrets (the host got the clear values)...
  const conf = readFileSync(join(target, 'app.conf'), 'utf8')
  for (const v of [VALUES.env, VALUES.file, VALUES.inlineVault, VALUES.fileVault, generated]) assert.ok(conf.includes(v))
  assert.is(readFileSync(join(target, 'cmd.out'), 'utf8'), `${VALUES.env} ${VALUES.fileVault}\n`)
  // ...and every output path was exercised.
  assert.match(console, '$ ', '-vv printed commands')
  assert.match(console, /\+k0=\*\*\*|hidden/, '--diff printed the file diff')
  assert.match(console, /failed\s+Fail with the secrets on stderr .*exit 7/)
  assert.match(console, 'token=*** key=*** ha=***')
  const outputs: Record<string, string> = { console }
  for (const f of allFiles(state).filter((f) => !f.includes(`${join('secrets', 'demo-password')}`))) outputs[f] = readFileSync(f, 'utf8')
  outputs['result.json'] = readFileSync(join(root, 'result.json'), 'utf8')
  assert.ok(Object.keys(outputs).some((f) => f.endsWith('last-run.json')) && Object.keys(outputs).some((f) => f.endsWith('.jsonl')))
  const hits: string[] = []
  for (const [where, text] of Object.entries(outputs)) {
    for (const [name, v] of Object.entries({ ...VALUES, generated })) if (text.includes(v)) hits.push(`${name} in ${where}`)
  }
  assert.equal(hits, [], 'secret values found in outputs')
  delete process.env.KP_TEST_JOIN_TOKEN
})

test('a wrong vault password: exit 4 before any connection, the password not echoed', async () => {
  const root = writeTree({
    'inventory.json': JSON.stringify({ hosts: { node1: { connection: 'local' } } }),
    'wrong-pass': 'NotTheRightOne-ffff\n',
    'group_vars/all/vault.yml': encryptVault('x: 1\n', 'right'),
  })
  const lines: string[] = []
  const pb = playbook('p', [play('p', { hosts: 'all', items: [task('t', shell, { cmd: 'true' })] })])
  const code = await runCli(pb, ['-i', join(root, 'inventory.json'), '--state-dir', join(root, 's'), '--vault-password-file', join(root, 'wrong-pass')],
    { out: (l) => lines.push(l), err: (l) => lines.push(l) })
  assert.is(code, EXIT.invalidInput)
  assert.match(lines.join('\n'), 'group_vars/all/vault.yml: (vault): expected the vault password it was encrypted with, found a password that does not open it (HMAC mismatch)')
  assert.not.match(lines.join('\n'), 'NotTheRightOne')
})

test.run()
