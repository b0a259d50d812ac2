/** The `kubeplay` command without a lab: argument errors, inventory output, and ping/shell on local-connection hosts. */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT } from '../../lib/cli/args.ts'
import { kubeplayCli } from '../../lib/cli/kubeplay.ts'
import { parseAdhocArgs } from '../../lib/cli/adhoc.ts'
import { parseModuleArgs, parseModuleCommand } from '../../lib/cli/module.ts'
import { parseRunRecord } from '../../lib/report/record.ts'

const work = mkdtempSync(join(tmpdir(), 'kp-cmd-'))
test.after(() => rmSync(work, { recursive: true, force: true }))
const inv = join(work, 'inventory.json')
writeFileSync(inv, JSON.stringify({ hosts: { n1: { connection: 'local', vars: { db_password: 'S3cret-Value-99' } }, n2: { connection: 'local' } }, groups: { g: { hosts: ['n1'] } } }))

async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = []
  const code = await kubeplayCli(argv, { out: (l) => lines.push(l), err: (l) => lines.push(l) })
  return { code, out: lines.join('\n') }
}

test('options: a pattern, the command after --, errors naming the flag', () => {
  const o = parseAdhocArgs(['masters', '-i', 'hosts.ini', '-b', '-f', '5', '--', 'systemctl', 'is-active', 'kubelet'])
  assert.equal([o.pattern, o.inventory, o.become, o.forks, o.command], ['masters', 'hosts.ini', true, 5, ['systemctl', 'is-active', 'kubelet']])
  assert.throws(() => parseAdhocArgs(['--frobnicate']), /unknown option '--frobnicate'/)
  assert.throws(() => parseAdhocArgs(['-f', '0']), /expected a whole number ≥ 1, found '0'/)
  assert.throws(() => parseAdhocArgs(['a', 'b']), /one host pattern \(put the command after --\)/)
})

test('ping and shell on local hosts; secrets masked in every output', async () => {
  const p = await run('ping', '-i', inv)
  assert.is(p.code, EXIT.ok, p.out)
  assert.match(p.out, /n1\s+ok \(/)
  const s = await run('shell', 'g', '-i', inv, '--', 'echo S3cret-Value-99')
  assert.is(s.code, EXIT.ok, s.out)
  assert.is(s.out, 'n1 | ok >>\n***')
  const list = await run('inventory', '-i', inv, '--list')
  assert.is(list.code, EXIT.ok)
  const parsed = JSON.parse(list.out)
  assert.equal(parsed.g, { hosts: ['n1'] })
  assert.is(parsed._meta.hostvars.n1.db_password, '***')
})

test('usage and invalid input: exit codes', async () => {
  assert.is((await run('--help')).code, EXIT.ok)
  assert.is((await run()).code, EXIT.invalidInput)
  assert.is((await run('shell', 'g', '-i', inv)).code, EXIT.invalidInput)
  assert.is((await run('inventory', '-i', inv)).code, EXIT.invalidInput)
  assert.is((await run('ping', '-i', join(work, 'missing.ini'))).code, EXIT.invalidInput)
})

test('module: parameters as JSON or key=value, refused before any connection when the module refuses them', async () => {
  assert.equal(parseModuleArgs('path=/tmp/x state=directory mode=0755 force=true retries=3'), { path: '/tmp/x', state: 'directory', mode: '0755', force: true, retries: 3 })
  assert.equal(parseModuleArgs('{"names":["curl"]}'), { names: ['curl'] })
  assert.throws(() => parseModuleArgs('{"names":'), /-a: expected a JSON object of the module's parameters/)
  assert.throws(() => parseModuleArgs('justaword'), /-a: expected key=value pairs \(or a JSON object\), found "justaword"/)
  const c = parseModuleCommand(['workers', '-i', 'hosts.ini', '-m', 'file', '-a', 'path=/x state=directory', '-b', '--check', '-e', 'a=1'])
  assert.equal([c.pattern, c.module, c.become, c.rest], ['workers', 'file', true, ['-i', 'hosts.ini', '--check', '-e', 'a=1']])
  const bad = await run('module', 'g', '-i', join(work, 'nowhere.ini'), '-m', 'file', '-a', 'path=relative/dir state=directory')
  assert.is(bad.code, EXIT.invalidInput, bad.out)
  assert.match(bad.out, /nothing was contacted/)
  assert.match(bad.out, /command line: -a: expected parameters the file module accepts, found .*relative\/dir/)
  const unknown = await run('module', 'g', '-i', inv, '-m', 'frobnicate')
  assert.is(unknown.code, EXIT.invalidInput)
  assert.match(unknown.out, /-m: expected a module name: .*aptPackages.*, found 'frobnicate'/)
})

test('module on a local host: --check plans and touches nothing, the run changes, the rerun is ok', async () => {
  const dir = join(work, 'made-by-module')
  const args = ['module', 'g', '-i', inv, '-m', 'file', '-a', JSON.stringify({ path: dir, state: 'directory', mode: '0750' })]
  const dry = await run(...args, '--check')
  assert.is(dry.code, EXIT.ok, dry.out)
  assert.not.ok(existsSync(dir), '--check created nothing')
  assert.match(dry.out, /n1.*changed=1/)
  const real = await run(...args)
  assert.is(real.code, EXIT.ok, real.out)
  assert.is(statSync(dir).mode & 0o777, 0o750)
  const again = await run(...args)
  assert.match(again.out, /n1.*ok=1.*changed=0/)
  assert.not.match(again.out, /n2/, 'only the pattern\'s hosts')
})

test('report: the JSON and HTML reports of the last run, made after the fact from its record; a killed run\'s record too', async () => {
  const state = join(work, 'state')
  const dir = join(work, 'for-report')
  const m = await run('module', 'g', '-i', inv, '--state-dir', state, '-m', 'file', '-a', `path=${dir} state=directory`)
  assert.is(m.code, EXIT.ok, m.out)
  const r = await run('report', '--state-dir', state, '--json', join(work, 'r.json'), '--html', join(work, 'r.html'))
  assert.is(r.code, EXIT.ok, r.out)
  const doc = JSON.parse(readFileSync(join(work, 'r.json'), 'utf8')) as { schema: string; run: { outcome: string; inventory: string }; hosts: Array<{ name: string; changed: number }>; tasks: Array<{ host: string; status: string }> }
  assert.is(doc.schema, 'kubeplay.run/v1')
  assert.is(doc.run.outcome, 'changed')
  assert.is(doc.run.inventory, inv)
  assert.equal(doc.hosts.map((h) => [h.name, h.changed]), [['n1', 1]])
  assert.match(readFileSync(join(work, 'r.html'), 'utf8'), /<html[\s\S]*n1[\s\S]*file \(path, state\)/)
  // A record cut before its end (the process was killed): reported, its hosts incomplete.
  const record = readFileSync(JSON.parse(readFileSync(join(state, 'last-run.json'), 'utf8')).record, 'utf8').split('\n').filter((l) => l && !l.includes('"type":"end"')).join('\n')
  const { result } = parseRunRecord(record, 'cut.jsonl', 'test')
  assert.equal(result.incompleteHosts, ['n1'])
  assert.match(result.aborted ?? '', /the process was killed/)
  assert.equal(result.recap.n1, { ok: 0, changed: 1, failed: 0, skipped: 0, unreachable: 0, ignored: 0 })
  assert.throws(() => parseRunRecord('{"type":"run"}\nnot json\n', 'bad.jsonl', 'test'), /bad\.jsonl:2: line: expected one JSON event of a kubeplay run record/)
  const none = await run('report', join(work, 'missing.jsonl'), '--json', join(work, 'x.json'))
  assert.is(none.code, EXIT.invalidInput, none.out)
  assert.is((await run('report', '--state-dir', state)).code, EXIT.invalidInput, 'no output asked')
})

test('completion bash: a script bash accepts that completes subcommands, module names and vault actions', async () => {
  const r = await run('completion', 'bash')
  assert.is(r.code, EXIT.ok)
  const file = join(work, 'completion.sh')
  writeFileSync(file, r.out)
  const complete = (line: string): string => {
    const words = line.split(' ')
    const script = `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _kubeplay; printf '%s\\n' "\${COMPREPLY[@]}"`
    return execFileSync('bash', ['-c', script], { encoding: 'utf8' }).trim()
  }
  assert.equal(complete('kubeplay va').split('\n'), ['vault'])
  assert.equal(complete('kubeplay vault en').split('\n'), ['encrypt', 'encrypt-string'])
  assert.ok(complete('kubeplay module all -m apt').split('\n').includes('aptPackages'))
  assert.is((await run('completion', 'zsh')).code, EXIT.invalidInput)
})

test.run()
