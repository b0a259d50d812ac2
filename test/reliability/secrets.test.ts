/**
 * Secrets never leave in clear: a playbook through the real CLI with secrets from the environment,
 * a file, a generated secret and an Ansible Vault (inline `!vault` group var and an encrypted vars
 * file) flowing through every output path — -vv command echo, --diff of a file embedding them, a
 * failing command whose stderr echoes one, the console recap, the run record JSONL, last-run.json,
 * the --json result — and every byte of output is searched for every secret value: 0 hits.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT } from '../../lib/cli/args.ts'
import { runCli } from '../../lib/cli/main.ts'
import { sh } from '../../lib/connection/quote.ts'
import { reveal, type Secret } from '../../lib/secret.ts'
import { play, playbook, task } from '../../lib/engine/task.ts'
import { copy } from '../../lib/modules/copy.ts'
import { shell } from '../../lib/modules/shell.ts'
import { template } from '../../lib/modules/template.ts'
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

/** Deterministic pseudo-random numbers (mulberry32), so a failure names a reproducible secret. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A secret of 14–25 characters drawn from `pool`, starting with a letter so it never reads as a YAML number. */
function hostile(rand: () => number, pool: string): string {
  const chars = [...pool]
  let s = 'K'
  for (let i = 0, n = 13 + Math.floor(rand() * 12); i < n; i++) s += chars[Math.floor(rand() * chars.length)]
  return s
}

/** Every form the brief names: as is, JSON-escaped (JS and Python's ASCII), shell-quoted, base64, each key line. */
function formsOf(v: string): string[] {
  const json = JSON.stringify(v).slice(1, -1)
  const ascii = json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  const lines = v.includes('\n') ? v.split('\n').map((l) => l.trim()).filter((l) => l.length >= 16 && !/\s/.test(l)) : []
  return [...new Set([v, json, ascii, v.replace(/'/g, `'\\''`), Buffer.from(v).toString('base64'), Buffer.from(`${v}\n`).toString('base64'), ...lines])]
}

test('generated hostile secrets through every input path and every output: no form of any of them is printed', async () => {
  const rand = prng(20261202)
  const HOSTILE = `abcXYZ0189'"\\$()\`;&|<>!#%*?[]{}~ é✓日🚀`
  const INI_SAFE = 'abcXYZ0189$()`&|<>!%*?[]{}~@:/+-_.,é✓'
  const pem = ['-----BEGIN TEST PRIVATE KEY-----', ...Array.from({ length: 3 }, () => Buffer.from(hostile(rand, HOSTILE) + hostile(rand, HOSTILE)).toString('base64')), '-----END TEST PRIVATE KEY-----'].join('\n')
  const S = {
    ini: hostile(rand, INI_SAFE),
    yaml: `${hostile(rand, HOSTILE)}\n${hostile(rand, HOSTILE)}`,
    jsonInventory: hostile(rand, HOSTILE),
    vaultFile: hostile(rand, HOSTILE),
    vaultNumber: '8675309123',
    inlineVault: hostile(rand, HOSTILE),
    extraVar: hostile(rand, HOSTILE),
    extraFile: hostile(rand, HOSTILE),
    env: hostile(rand, HOSTILE),
    oldPassword: `Old-${hostile(rand, INI_SAFE)}`,
    pem,
  }
  const vaultPassword = `pw-${hostile(rand, INI_SAFE)}`
  const indent = (t: string, n: number) => t.trim().split('\n').map((l) => `${' '.repeat(n)}${l}`).join('\n')
  const root = writeTree({
    'hosts.ini': `[all]\nnode1 ansible_connection=local ini_token=${S.ini}\n`,
    'group_vars/all/main.yml': [
      `app_password: ${JSON.stringify(S.yaml)}`,
      `tls_key_secret: ${JSON.stringify(S.pem)}`,
      `api_token: !vault |\n${indent(encryptVault(S.inlineVault, vaultPassword), 2)}`,
      '',
    ].join('\n'),
    'group_vars/all/vault.yml': encryptVault(`db_password: ${JSON.stringify(S.vaultFile)}\npin_code: ${S.vaultNumber}\n`, vaultPassword),
    'group_vars/all/data.json': JSON.stringify({ json_secret: S.jsonInventory }),
    'extra.yml': `extra_token: ${JSON.stringify(S.extraFile)}\n`,
    'vault-pass': `${vaultPassword}\n`,
    'out/.keep': '',
  })
  process.env.KP_GEN_SECRET = S.env
  const state = join(root, 'state')
  const out = join(root, 'out')
  // The file already holds an older password in the same place: the diff must not show it either.
  writeFileSync(join(out, 'app.conf'), `# app\nmaxconn 100\nstats auth admin:${S.oldPassword}\n`)
  const all = (h: { var<T>(k: string): T }): Record<string, Secret> => ({
    ini: h.var('ini_token'), yaml: h.var('app_password'), vaultFile: h.var('db_password'), inlineVault: h.var('api_token'),
    extraVar: h.var('cli_password'), extraFile: h.var('extra_token'), env: secretFromEnv('KP_GEN_SECRET'), pem: h.var('tls_key_secret'),
    jsonInventory: h.var('json_secret'),
  })
  const pb = playbook('generated', [play('every path', { hosts: 'all', items: [
    task('Write a config holding every secret in several forms', copy, (h) => {
      const s = all(h)
      const values = Object.values(s).map(reveal)
      return { path: join(out, 'app.conf'), content: [
        '# app', 'maxconn 200', `stats auth admin:${reveal(s.yaml!).split('\n')[0]}`,
        ...values.map((v, i) => `raw${i}=${v}`),
        `json=${JSON.stringify(Object.fromEntries(Object.entries(s).map(([k, v]) => [k, reveal(v)])))}`,
        'kind: Secret', 'data:', ...values.map((v, i) => `  k${i}: ${Buffer.from(v).toString('base64')}`),
        `pin=${h.var<number>('pin_code')}`, '',
      ].join('\n') }
    }),
    task('Render a template with json and indent', template, (h) => ({
      path: join(out, 'rendered.yaml'),
      source: 'password: {{json app_password}}\nkey: |\n  {{indent tls_key_secret 2}}\ntoken: {{cli_password}}\n',
    })),
    task('Use every secret in a command (-vv echoes it)', shell, (h) => ({
      cmd: sh`printf '%s\n' ${Object.values(all(h))} > ${join(out, 'cmd.out')}`,
    })),
    task('Fail with each secret on stderr as is, base64 and JSON', shell, (h) => ({
      cmd: sh`for s in ${Object.values(all(h))}; do printf '%s\n' "$s"; printf '%s' "$s" | base64 -w0; echo; printf '%s' "$s" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))'; done >&2; exit 3`,
    })),
  ] })])
  const lines: string[] = []
  const argv = ['-i', join(root, 'hosts.ini'), '--state-dir', state, '-vv', '--diff', '--json', join(root, 'result.json'),
    '--report', join(root, 'report.html'), '--vault-password-file', join(root, 'vault-pass'), '-e', `cli_password=${S.extraVar}`, '-e', `@${join(root, 'extra.yml')}`]
  const code = await runCli(pb, argv, { out: (l) => lines.push(l), err: (l) => lines.push(l) })
  delete process.env.KP_GEN_SECRET
  const console = lines.join('\n')
  assert.is(code, EXIT.failed, console)
  // The secrets really reached the host...
  const conf = readFileSync(join(out, 'app.conf'), 'utf8')
  for (const [k, v] of Object.entries(S)) if (k !== 'oldPassword' && k !== 'vaultNumber') assert.ok(conf.includes(v), `${k} written`)
  assert.ok(readFileSync(join(out, 'rendered.yaml'), 'utf8').includes(JSON.stringify(S.yaml)))
  // ...every output path was exercised...
  assert.match(console, '$ printf')
  assert.match(console, 'maxconn 200')
  assert.match(console, /stats auth admin:\*\*\*/)
  assert.match(console, /failed\s+Fail with each secret/)
  const outputs: Record<string, string> = { console, 'result.json': readFileSync(join(root, 'result.json'), 'utf8'), 'report.html': readFileSync(join(root, 'report.html'), 'utf8') }
  for (const f of allFiles(state)) outputs[f] = readFileSync(f, 'utf8')
  // ...and none holds any form of any secret.
  const hits: string[] = []
  for (const [where, text] of Object.entries(outputs)) {
    for (const [name, v] of Object.entries({ ...S, vaultPassword })) {
      for (const form of formsOf(v)) if (text.includes(form)) hits.push(`${name} (${JSON.stringify(form)}) in ${where}`)
    }
  }
  assert.equal(hits, [], 'secret forms found in outputs')
})

test.run()
