/**
 * The engine's read-ahead on this machine (a local host): the same results with and without it, in
 * first, converged and check runs, fewer commands when converged, and never a value older than the
 * host's last write, whoever wrote (an apply, a condition or params run with the writable context).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LocalConnection } from '../../lib/connection/local.ts'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { defineFact, defineModule, noChange, type FactReadahead } from '../../lib/engine/module.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import { play, playbook, task, type Item } from '../../lib/engine/task.ts'
import { blockInFile, command, copy, file, lineInFile, shell, template } from '../../lib/modules/index.ts'
import { stubInventory } from '../helpers/stub.ts'

const local = new LocalConnection()
let base = ''

test.before(async () => {
  base = (await local.exec(sh`mktemp -d /tmp/kp-ahead-XXXXXX`)).stdout.trim()
})
test.after(async () => {
  await local.exec(sh`rm -rf -- ${base}`)
})

/** The run's commands, counted. */
function counting(): { conn: Connection; commands: string[] } {
  const commands: string[] = []
  const conn: Connection = {
    host: 'local',
    exec: (cmd, o) => { commands.push(cmd.text); return local.exec(cmd, o) },
    readFile: (p, o) => local.readFile(p, o),
    writeFile: (p, c, o) => { commands.push(`write ${p}`); return local.writeFile(p, c, o) },
    close: async () => undefined,
  }
  return { conn, commands }
}

const at = (root: string) => (rel: string) => `${root}/${rel}`

/** Twelve file tasks of every kind that reads ahead, under `root`. */
function items(root: string): Item[] {
  const p = at(root)
  return [
    task('root', file, { path: root, state: 'directory' as const, mode: '0755' }),
    task('etc', file, { path: p('etc'), state: 'directory' as const }),
    task('conf', copy, { path: p('etc/a.conf'), content: 'a = 1\n', mode: '0644' }),
    task('tpl', template, (h) => ({ path: p('etc/b.conf'), source: 'host {{name}}\n', vars: { name: h.name } })),
    task('seed', shell, { cmd: sh`printf 'x\\n# swap\\n' > ${p('etc/fstab')}`, creates: p('etc/fstab') }),
    task('line', lineInFile, { path: p('etc/fstab'), line: 'y' }),
    task('block', blockInFile, { path: p('etc/hosts'), block: '10.0.0.1 n1\n', create: true }),
    task('key', command, { argv: ['sh', '-c', 'echo k > "$1"', 'sh', p('etc/key')], creates: p('etc/key') }),
    task('key mode', file, { path: p('etc/key'), state: 'file' as const, mode: '0400' }),
    task('touch', file, { path: p('etc/pending'), state: 'touch' as const, mode: '0600' }),
    task('link', file, { path: p('etc/crictl.yaml'), src: 'a.conf', state: 'link' as const }),
    task('cleanup', command, { argv: ['rm', '-f', '--', p('etc/old')], removes: p('etc/old') }),
  ]
}

async function run(root: string, readahead: boolean, checkMode = false) {
  const { conn, commands } = counting()
  const r = await runPlaybook(playbook('pb', [play('p', { hosts: 'all', items: items(root) })]),
    { inventory: stubInventory({ g: ['h1'] }), connector: async () => conn, readahead, checkMode })
  const results = r.results.map((x) => `${x.task}: ${x.status} ${x.reason.replaceAll(root, '<root>')}`)
  return { results, commands: commands.length, recap: r.recap.h1! }
}

test('same results with and without read-ahead; a converged run sends far fewer commands', async () => {
  const on = `${base}/on`
  const off = `${base}/off`
  const firstOn = await run(on, true)
  const firstOff = await run(off, false)
  assert.equal(firstOn.results, firstOff.results, 'first run')
  assert.is(firstOn.recap.changed, 11, 'all but the cleanup of a file that never existed')
  const convergedOn = await run(on, true)
  const convergedOff = await run(off, false)
  assert.equal(convergedOn.results, convergedOff.results, 'converged run')
  assert.is(convergedOn.recap.changed, 0)
  const checkOn = await run(on, true, true)
  assert.equal(checkOn.results, (await run(off, false, true)).results, '--check')
  assert.is(checkOn.recap.changed, 0)
  // With read-ahead: windows of 4 and 8 tasks, the link's stat on its own.
  assert.is(convergedOff.commands, 11, "without: one read per check ('key mode' finds 'key''s stat cached)")
  assert.ok(convergedOn.commands <= 4, `converged with read-ahead: ${convergedOn.commands} commands`)
  assert.is(firstOn.commands, firstOff.commands, "first run: after a write the window is 1, so no more commands than without read-ahead")
})

test('a value read ahead never outlives a write: apply, condition or params with the writable context', async () => {
  const root = `${base}/writes`
  const f = `${root}/f`
  await local.exec(sh`mkdir -p ${root} && printf old > ${f} && printf x > ${root}/other`)
  const pb = playbook('pb', [play('p', {
    hosts: 'all',
    items: [
      // Unchanged: nothing clears the facts read ahead with it (f is "old" then).
      task('read f first', copy, { path: `${root}/other`, content: 'x' }),
      task('write f in a condition', copy, { path: f, content: 'new1' }, {
        when: async (h) => { await h.run(sh`printf new1 > ${f}`); return true },
      }),
      task('write f in params', copy, async (h) => { await h.run(sh`printf new2 > ${f}`); return { path: f, content: 'new2' } }),
      task('write f by apply', shell, { cmd: sh`printf new3 > ${f}` }),
      task('f as the apply left it', copy, { path: f, content: 'new3' }),
    ],
  })])
  const { conn } = counting()
  const r = await runPlaybook(pb, { inventory: stubInventory({ g: ['h1'] }), connector: async () => conn })
  assert.equal(r.results.map((x) => `${x.task}: ${x.status}`), [
    'read f first: ok',
    'write f in a condition: ok',
    'write f in params: ok',
    'write f by apply: changed',
    'f as the apply left it: ok',
  ])
})

test('params that need the host are not predicted, and still run once when the task runs', async () => {
  const root = `${base}/params`
  await local.exec(sh`mkdir -p ${root}`)
  let evaluated = 0
  const pb = playbook('pb', [play('p', {
    hosts: 'all',
    items: [
      task('a', copy, { path: `${root}/a`, content: 'a' }),
      task('b', copy, async (h) => { evaluated++; await h.run(sh`true`); return { path: `${root}/b`, content: 'b' } }),
      task('c', copy, () => { throw new Error('bad params') }),
    ],
  })])
  const r = await runPlaybook(pb, { inventory: stubInventory({ g: ['h1'] }), connector: async () => counting().conn })
  assert.equal(r.results.map((x) => `${x.task}: ${x.status}`), ['a: changed', 'b: changed', 'c: failed'])
  assert.match(r.results[2]!.reason, 'bad params')
  assert.is(evaluated, 2, 'once ahead (stopped at h.run), once for real')
})

test('facts that need root are read ahead as root, the others not, each with its own value', async () => {
  const family: FactReadahead = {
    name: 'echo',
    command: (reads) => sh`printf '%s\n' ${reads.map((r) => `${r.fact.name}:${r.arg as string}`)}`,
    parse: (r, reads) => reads.map((_, k) => r.stdout.split('\n')[k]),
  }
  const plain = defineFact<string, string>({ name: 'plain', command: (a) => sh`printf '%s' ${`plain:${a}`}`, parse: (r) => r.stdout, readahead: family })
  const root = defineFact<string, string>({ name: 'root', command: (a) => sh`printf '%s' ${`root:${a}`}`, parse: (r) => r.stdout, readahead: family, become: true })
  const seen: string[] = []
  const probe = defineModule<{ x: string }>({
    name: 'probe',
    reads: (p) => [{ fact: plain, arg: p.x }, { fact: root, arg: p.x }],
    async check(h, p) {
      seen.push(await h.fact(plain, p.x), await h.fact(root, p.x))
      return noChange('read')
    },
    apply: async () => undefined,
  })
  const sent: { text: string; become: boolean }[] = []
  const conn: Connection = {
    host: 'local',
    exec: (cmd, o) => { sent.push({ text: cmd.text, become: o?.become === true }); return local.exec(cmd, { ...o, become: undefined }) },
    readFile: (p, o) => local.readFile(p, o),
    writeFile: (p, c, o) => local.writeFile(p, c, o),
    close: async () => undefined,
  }
  const pb = playbook('pb', [play('p', { hosts: 'all', items: ['a', 'b'].map((x) => task(`probe ${x}`, probe, { x })) })])
  const r = await runPlaybook(pb, { inventory: stubInventory({ g: ['h1'] }), connector: async () => conn })
  assert.equal(r.failedHosts, [])
  assert.equal(seen, ['plain:a', 'root:a', 'plain:b', 'root:b'])
  assert.equal(sent.map((c) => c.become), [false, true], `two read-ahead commands, nothing read on its own: ${JSON.stringify(sent)}`)
  assert.match(sent[0]!.text, 'plain:b')
  assert.not.match(sent[0]!.text, 'root:')
})

test.run()
