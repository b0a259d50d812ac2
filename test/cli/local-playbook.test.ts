/**
 * A small playbook through the real CLI (argument parsing, inventory loading, engine, console,
 * run record) with the local connection on a temp directory.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT } from '../../lib/cli/args.ts'
import { runCli, withExtraVars } from '../../lib/cli/main.ts'
import { play, playbook, role, task, handler } from '../../lib/engine/task.ts'
import { playbookVarsSchema } from '../../lib/engine/vars.ts'
import { haproxy } from '../../roles/index.ts'
import { copy } from '../../lib/modules/copy.ts'
import { file } from '../../lib/modules/file.ts'
import { lineInFile } from '../../lib/modules/line-in-file.ts'
import { shell } from '../../lib/modules/shell.ts'

const work = mkdtempSync(join(tmpdir(), 'kp-cli-'))
const state = join(work, 'state')

function site(root: string) {
  const marker = join(root, 'restarted')
  const restart = handler('Restart demo', shell, { cmd: `echo x >> '${marker}'` })
  return playbook('demo', [play('prepare', { hosts: 'all', items: [
    role('demo', [
      task('Create the config directory', file, { path: join(root, 'etc'), state: 'directory', mode: '0755' }),
      task('Write the config', copy, (h) => ({ path: join(root, 'etc/app.conf'), content: `name=${h.name}\nport=${h.var('port', 80)}\n` }), { notify: [restart] }),
      task('Enable forwarding', lineInFile, { path: join(root, 'sysctl.conf'), line: 'net.ipv4.ip_forward=1', match: /^net\.ipv4\.ip_forward=/, create: true }, { tags: ['sysctl'] }),
    ]),
  ] })])
}

function inventoryFile(name: string): string {
  const path = join(work, `${name}.json`)
  writeFileSync(path, JSON.stringify({ hosts: { node1: { connection: 'local', vars: { port: 8080 } } } }))
  return path
}

async function cli(root: string, ...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = []
  const code = await runCli(site(root), ['-i', inventoryFile('inv'), '--state-dir', state, ...args], { out: (l) => lines.push(l), err: (l) => lines.push(l) })
  return { code, out: lines.join('\n') }
}

test.after(() => rmSync(work, { recursive: true, force: true }))

test('first run changes, second run reports 0 changed, handler runs once', async () => {
  const root = mkdtempSync(join(work, 'r-'))
  const first = await cli(root)
  assert.is(first.code, EXIT.ok, first.out)
  assert.match(first.out, /node1\s+: ok=0 changed=4 unreachable=0 failed=0/)
  assert.is(readFileSync(join(root, 'etc/app.conf'), 'utf8'), 'name=node1\nport=8080\n')
  const second = await cli(root)
  assert.is(second.code, EXIT.ok)
  assert.match(second.out, /node1\s+: ok=3 changed=0 unreachable=0 failed=0/)
  assert.is(readFileSync(join(root, 'restarted'), 'utf8'), 'x\n', 'handler ran exactly once')
})

test('--check on a fresh directory reports the changes and writes nothing; --detailed-exitcode gives 5', async () => {
  const root = mkdtempSync(join(work, 'c-'))
  const dry = await cli(root, '--check', '--diff')
  assert.is(dry.code, EXIT.ok)
  assert.match(dry.out, /changed=4/)
  assert.match(dry.out, /\+port=8080/)
  assert.equal(readdirSync(root), [], 'check mode wrote nothing')
  assert.is((await cli(root, '--check', '--detailed-exitcode')).code, EXIT.pendingChanges)
  await cli(root)
  assert.is((await cli(root, '--check', '--detailed-exitcode')).code, EXIT.ok)
})

test('--tags limits the run; --list-tasks answers without running anything', async () => {
  const root = mkdtempSync(join(work, 't-'))
  const r = await cli(root, '--tags', 'sysctl')
  assert.match(r.out, /changed=1/)
  assert.ok(existsSync(join(root, 'sysctl.conf')) && !existsSync(join(root, 'etc/app.conf')))
  const list = await cli(root, '--list-tasks')
  assert.match(list.out, 'Write the config  [demo]')
  assert.match(list.out, 'Enable forwarding  [demo, sysctl]')
})

test('invalid input exits 4 and names the problem; a failed host exits 2 and the run record says so', async () => {
  const root = mkdtempSync(join(work, 'f-'))
  const bad = await cli(root, '--tags', 'nope')
  assert.is(bad.code, EXIT.invalidInput)
  assert.match(bad.out, "unknown tag 'nope'")
  writeFileSync(join(root, 'etc'), 'a file where a directory should be')
  const failed = await cli(root)
  assert.is(failed.code, EXIT.failed)
  assert.match(failed.out, '--retry')
  const last = JSON.parse(readFileSync(join(state, 'last-run.json'), 'utf8'))
  assert.equal(last.failedHosts, ['node1'])
  const lines = readFileSync(last.record, 'utf8').trim().split('\n').map((l: string) => JSON.parse(l))
  assert.equal(lines.map((l: { type: string }) => l.type), ['run', 'play', 'task', 'end'])
  assert.is(lines[2].status, 'failed')
  rmSync(join(root, 'etc'))
  const retry = await cli(root, '--retry')
  assert.is(retry.code, EXIT.ok, retry.out)
  assert.match(retry.out, /changed=4/)
})

test('--retry replays the last run\'s selection (skip-tags, -e) unless told otherwise; another inventory or a secret -e is refused', async () => {
  const root = mkdtempSync(join(work, 'r-'))
  writeFileSync(join(root, 'etc'), 'a file where a directory should be')
  const failed = await cli(root, '--skip-tags', 'sysctl', '-e', 'port=9090')
  assert.is(failed.code, EXIT.failed, failed.out)
  rmSync(join(root, 'etc'))
  const retry = await cli(root, '--retry')
  assert.is(retry.code, EXIT.ok, retry.out)
  assert.match(retry.out, /--retry: as run \S+: --skip-tags sysctl -e port=9090/, retry.out)
  assert.match(retry.out, /changed=3/, 'the sysctl task stayed skipped')
  assert.not.ok(existsSync(join(root, 'sysctl.conf')))
  assert.is(readFileSync(join(root, 'etc/app.conf'), 'utf8'), 'name=node1\nport=9090\n', '-e replayed')
  // Against another inventory: refused, not "nothing to retry".
  const other = join(work, 'other.json')
  writeFileSync(other, JSON.stringify({ hosts: { node1: { connection: 'local' } } }))
  const lines: string[] = []
  const code = await runCli(site(root), ['-i', other, '--state-dir', state, '--retry'], { out: (l) => lines.push(l), err: (l) => lines.push(l) })
  assert.is(code, EXIT.invalidInput, lines.join('\n'))
  assert.match(lines.join('\n'), /--retry: expected a last run against this inventory/)
  // A secret -e is recorded masked: --retry asks for it again instead of replaying ***.
  rmSync(join(root, 'etc'), { force: true, recursive: true })
  writeFileSync(join(root, 'etc'), 'a file again')
  const withSecret = await cli(root, '-e', 'db_password=Hunter2-very-secret')
  assert.is(withSecret.code, EXIT.failed)
  assert.not.match(readFileSync(join(state, 'last-run.json'), 'utf8'), 'Hunter2-very-secret')
  const refused = await cli(root, '--retry')
  assert.is(refused.code, EXIT.invalidInput, refused.out)
  assert.match(refused.out, '-e db_password=***')
  rmSync(join(root, 'etc'))
  const again = await cli(root, '--retry', '-e', 'db_password=Hunter2-very-secret')
  assert.is(again.code, EXIT.ok, again.out)
})

test('-e sets vars, dotted keys set one setting inside a mapping', () => {
  const inv = { source: 't', groups: new Map(), hosts: new Map([['h', { name: 'h', groups: ['all'], vars: { haproxy: { statsUser: 'admin', statsPort: 8404 } },
    connection: { address: 'h', port: 22, user: 'root', become: false, connection: 'local' as const } }]]) }
  const v = withExtraVars(inv, ['haproxy.statsUser=bob', 'kubernetes_target=1.32.0', 'a.b.c=1']).hosts.get('h')!.vars
  assert.equal(v, { haproxy: { statsUser: 'bob', statsPort: 8404 }, kubernetes_target: '1.32.0', a: { b: { c: '1' } } })
  assert.equal(inv.hosts.get('h')!.vars, { haproxy: { statsUser: 'admin', statsPort: 8404 } }, 'the inventory itself is untouched')
  // -e @file.yml: a mapping merges key by key (the stats user survives), lists replace.
  const f = join(work, 'extra.yml')
  writeFileSync(f, 'haproxy:\n  statsPort: 8405\n  backends: [a, b]\n')
  const fromFile = withExtraVars({ ...inv, hosts: new Map([['h', { ...inv.hosts.get('h')!, vars: { haproxy: { statsUser: 'admin', statsPort: 8404, backends: ['x'] } } }]]) }, [`@${f}`]).hosts.get('h')!.vars
  assert.equal(fromFile, { haproxy: { statsUser: 'admin', statsPort: 8405, backends: ['a', 'b'] } })
})

test('-e: several KEY=VALUE in one, a {…} mapping, ansible_* to the connection, validated with the roles\' schemas before anything runs', () => {
  const inv = { source: 't', groups: new Map(), hosts: new Map([['h', { name: 'h', groups: ['all'], vars: { haproxy: { statsUser: 'admin' } },
    connection: { address: '10.0.0.1', port: 22, user: 'root', become: false, connection: 'ssh' as const } }]]) }
  const h = (specs: string[], schema?: Parameters<typeof withExtraVars>[2]) => withExtraVars(inv, specs, schema).hosts.get('h')!
  assert.equal(h(['a=1 b="two words"']).vars, { haproxy: { statsUser: 'admin' }, a: '1', b: 'two words' })
  assert.equal(h(['{"haproxy": {"statsPort": 9000}, "flag": true}']).vars, { haproxy: { statsUser: 'admin', statsPort: 9000 }, flag: true })
  const c = h(['ansible_port=2222 ansible_user=deploy']).connection
  assert.equal([c.port, c.user, c.address], [2222, 'deploy', '10.0.0.1'])
  assert.not.ok('ansible_port' in h(['ansible_port=2222']).vars)
  const refused = (specs: string[], schema?: Parameters<typeof withExtraVars>[2]): string => {
    try { withExtraVars(inv, specs, schema); return 'accepted' } catch (e) { return (e as Error).message }
  }
  assert.is(refused(['ansible_port=70000']), 'command line (-e): ansible_port: expected a port 1..65535, found "70000"')
  const schema = playbookVarsSchema(playbook('p', [play('p', { hosts: 'all', items: [haproxy()] })]))!
  // KEY=VALUE strings become the number or boolean a setting wants...
  assert.is(h(['haproxy.statsPort=9000'], schema).vars.haproxy && (h(['haproxy.statsPort=9000'], schema).vars.haproxy as { statsPort: unknown }).statsPort, 9000)
  // ...and what a setting refuses is refused here, naming where it came from.
  assert.is(refused(['haproxy.statsPort=99999'], schema), 'command line (-e): haproxy.statsPort: expected an integer 1..65535, found 99999')
  assert.match(refused(['haproxy.statsPrt=1'], schema), "command line (-e): haproxy.statsPrt: expected a known key (did you mean 'statsPort'?), found an unknown key")
  const f = join(work, 'bad-extra.yml')
  writeFileSync(f, 'haproxy:\n  statsPort: "9000"\n')
  assert.is(refused([`@${f}`], schema), `${f}: haproxy.statsPort: expected an integer 1..65535, found "9000"`)
})

test.run()
