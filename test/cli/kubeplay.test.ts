/** The `kubeplay` command without a lab: argument errors, inventory output, and ping/shell on local-connection hosts. */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT } from '../../lib/cli/args.ts'
import { kubeplayCli, parseAdhocArgs } from '../../lib/cli/kubeplay.ts'
import { parseModuleArgs, parseModuleCommand } from '../../lib/cli/module.ts'

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

test.run()
