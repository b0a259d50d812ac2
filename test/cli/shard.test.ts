/**
 * `--shard I/N` and merged reports, through the real CLI on local-connection hosts: the shards of a
 * run cover every host exactly once (the same slice in every play), each shard is a run of its own
 * (own state dir, as in its own CI job), and `kubeplay report` merges their records into the report
 * one unsharded run gives.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT, parseShard } from '../../lib/cli/args.ts'
import { runCli } from '../../lib/cli/main.ts'
import { kubeplayCli } from '../../lib/cli/kubeplay.ts'
import { shardOf } from '../../lib/engine/plan.ts'
import { play, playbook, task } from '../../lib/engine/task.ts'
import { copy } from '../../lib/modules/copy.ts'
import { shell } from '../../lib/modules/shell.ts'
import { mergeRuns, withoutShard } from '../../lib/report/merge.ts'

const work = mkdtempSync(join(tmpdir(), 'kp-shard-'))
test.after(() => rmSync(work, { recursive: true, force: true }))

const NAMES = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7']
const inv = join(work, 'inventory.json')
writeFileSync(inv, JSON.stringify({
  hosts: Object.fromEntries(NAMES.map((n) => [n, { connection: 'local' }])),
  groups: { odd: { hosts: ['h1', 'h3', 'h5', 'h7'] } },
}))

/** Two plays: every host writes its file; the odd group appends to a log (and fails where told to). */
function site(root: string, name = 'shards') {
  return playbook(name, [
    play('all hosts', { hosts: 'all', items: [
      task('Write the host file', copy, (h) => ({ path: join(root, h.name), content: `${h.name}\n` })),
    ] }),
    play('odd hosts', { hosts: 'odd', items: [
      task('Log the host', shell, (h) => ({ cmd: `test ! -e '${join(root, `fail-${h.name}`)}' && echo ${h.name} >> '${join(root, 'odd.log')}'` })),
    ] }),
  ])
}

async function cli(root: string, state: string, ...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = []
  const code = await runCli(site(root), ['-i', inv, '--state-dir', state, ...args], { out: (l) => lines.push(l), err: (l) => lines.push(l) })
  return { code, out: lines.join('\n') }
}

async function kubeplay(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = []
  const code = await kubeplayCli(argv, { out: (l) => lines.push(l), err: (l) => lines.push(l) })
  return { code, out: lines.join('\n') }
}

const recordOf = (state: string): string => (JSON.parse(readFileSync(join(state, 'last-run.json'), 'utf8')) as { record: string }).record
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as {
  run: { id: string; argv: string[]; merged: Array<{ id: string; argv: string[] }> | null; outcome: string }
  totals: Record<string, number>; hosts: Array<{ name: string; changed: number; failed: number }>
  tasks: Array<{ play: string; host: string; task: string; status: string }>; failedHosts: string[]
  rerun: { argv: string[]; command: string | null } | null
}
const rows = (tasks: Array<{ play: string; host: string; task: string; status: string }>): string[] => tasks.map((t) => `${t.play}|${t.host}|${t.task}|${t.status}`).sort()

test('--shard I/N: parsed strictly; the slices deal the inventory round-robin, each host in exactly one', async () => {
  assert.equal(parseShard('2/4'), { index: 2, count: 4 })
  for (const bad of ['0/3', '4/3', '3', 'a/b', '1/0', '-1/2']) {
    assert.throws(() => parseShard(bad), (e: Error) => e.message === `command line: --shard: expected I/N with 1 ≤ I ≤ N ≤ 1000 (the I-th of N slices of the hosts, e.g. 2/4), found '${bad}'`)
  }
  const r = await cli(work, join(work, 'bad-state'), '--shard', '4/3')
  assert.is(r.code, EXIT.invalidInput, r.out)
  assert.match(r.out, /nothing was contacted[\s\S]*--shard: expected I\/N/)
  const slices = [1, 2, 3].map((index) => [...shardOf(NAMES, { index, count: 3 })])
  assert.equal(slices, [['h1', 'h4', 'h7'], ['h2', 'h5'], ['h3', 'h6']])
  assert.equal(slices.flat().sort(), NAMES)
  assert.equal([...shardOf(NAMES, { index: 2, count: 3 })], slices[1], 'the same slice every time')
  assert.equal(withoutShard(['-i', 'x', '--shard', '2/3', '--check', '--shard=1/2']), ['-i', 'x', '--check'])
})

test('--list-hosts --shard: a host is in the same slice in every play; more shards than hosts is an empty run, not an error', async () => {
  const list = await cli(work, join(work, 'list-state'), '--list-hosts', '--shard', '1/3')
  assert.is(list.code, EXIT.ok, list.out)
  assert.match(list.out, "play 'all hosts' (3 hosts): h1, h4, h7")
  assert.match(list.out, "play 'odd hosts' (2 hosts): h1, h7")
  const root = mkdtempSync(join(work, 'empty-'))
  const empty = await cli(root, join(work, 'empty-state'), '--shard', '9/9')
  assert.is(empty.code, EXIT.ok, empty.out)
  assert.not.ok(NAMES.some((n) => existsSync(join(root, n))), 'no host worked on')
})

test('three shards, each its own run and state dir, touch every host once; merged, they report what one run reports', async () => {
  const sharded = mkdtempSync(join(work, 'sharded-'))
  const whole = mkdtempSync(join(work, 'whole-'))
  for (const root of [sharded, whole]) writeFileSync(join(root, 'fail-h5'), '')
  const records: string[] = []
  for (const i of [1, 2, 3]) {
    const state = join(work, `state-${i}`)
    const r = await cli(sharded, state, '--shard', `${i}/3`)
    assert.is(r.code, i === 2 ? EXIT.failed : EXIT.ok, r.out) // h5, in slice 2, fails
    records.push(recordOf(state))
  }
  assert.equal(NAMES.filter((n) => existsSync(join(sharded, n))), NAMES, 'every host file written')
  assert.equal(readFileSync(join(sharded, 'odd.log'), 'utf8').split('\n').filter(Boolean).sort(), ['h1', 'h3', 'h7'], 'each odd host logged once; h5 failed')
  const one = await cli(whole, join(work, 'state-whole'))
  assert.is(one.code, EXIT.failed, one.out)

  const merged = await kubeplay('report', ...records, '--json', join(work, 'merged.json'), '--html', join(work, 'merged.html'))
  assert.is(merged.code, EXIT.ok, merged.out)
  assert.match(merged.out, 'merged 3 runs: 7 hosts, 11 task results')
  const single = await kubeplay('report', '--state-dir', join(work, 'state-whole'), '--json', join(work, 'single.json'))
  assert.is(single.code, EXIT.ok, single.out)
  const m = json(join(work, 'merged.json'))
  const s = json(join(work, 'single.json'))
  assert.equal(m.totals, s.totals)
  assert.equal(m.hosts, s.hosts)
  assert.equal(rows(m.tasks), rows(s.tasks))
  assert.equal([m.run.outcome, m.failedHosts], ['failed', ['h5']])
  assert.equal(m.run.merged?.map((x) => x.argv.slice(-2)), [['--shard', '1/3'], ['--shard', '2/3'], ['--shard', '3/3']])
  assert.equal(m.run.id.split('+').length, 3)
  assert.not.ok(m.run.argv.includes('--shard'), 'the merged command line is the unsharded one')
  assert.equal(m.rerun, { argv: [...m.run.argv, '--limit', 'h5'], command: null }, 'a rerun names the failed hosts instead of one state dir\'s --retry')
  assert.match(readFileSync(join(work, 'merged.html'), 'utf8'), /<b>merged<\/b>3 runs/)

  // --retry in the failed shard's own state dir replays its slice, and finishes h5.
  rmSync(join(sharded, 'fail-h5'))
  const retry = await cli(sharded, join(work, 'state-2'), '--retry')
  assert.is(retry.code, EXIT.ok, retry.out)
  assert.match(retry.out, /--retry: as run \S+: --shard 2\/3/)
  assert.match(readFileSync(join(sharded, 'odd.log'), 'utf8'), /h5/)
})

test('merging refuses a host in two records, another playbook, or check mode mixed with a run, naming the file', async () => {
  const root = mkdtempSync(join(work, 'refuse-'))
  const state = join(work, 'refuse-state')
  await cli(root, state, '--shard', '1/2')
  const a = recordOf(state)
  const twice = await kubeplay('report', a, a, '--json', join(work, 'x.json'))
  assert.is(twice.code, EXIT.invalidInput, twice.out)
  assert.match(twice.out, `${a}: hosts: expected hosts no other merged run has (each host in one shard), found 'h1', also in ${a}`)
  await cli(root, state, '--shard', '2/2', '--check')
  const check = await kubeplay('report', a, recordOf(state), '--json', join(work, 'x.json'))
  assert.is(check.code, EXIT.invalidInput)
  assert.match(check.out, /checkMode: expected false, as in .*, found true/)
  const read = (file: string) => ({ file, result: { runId: file, playbook: file, checkMode: false, startedAt: 0, durationMs: 1, results: [], recap: {}, failedHosts: [], unreachableHosts: [] }, extra: { inventory: 'i', argv: [], kubeplayVersion: 't' } })
  assert.throws(() => mergeRuns([read('a'), read('b')]), (e: Error) => e.message === "b: playbook: expected 'a', as in a (merged runs are the shards of one playbook's run), found 'b'")
  assert.is(mergeRuns([read('a')]).result.runId, 'a', 'one run is itself')
})

test.run()
