/** The `kubeplay` command without a lab: argument errors, inventory output, and ping/shell on local-connection hosts. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT } from '../../lib/cli/args.ts'
import { kubeplayCli, parseAdhocArgs } from '../../lib/cli/kubeplay.ts'

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

test.run()
