/**
 * The scale bench as a smoke test: a whole `npx tsx bench/scale.ts` process with two small points
 * runs to the end, stops its sshd daemons and prints a row per point and the three targets. No
 * timing is asserted: the figures mean something only from a real run on a quiet machine.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseScaleArgs } from '../../bench/scale.ts'

const root = new URL('../..', import.meta.url).pathname

test('options: the issue\'s points by default, HOSTS:FORKS pairs, errors naming the flag', () => {
  assert.equal(parseScaleArgs([]), { points: [{ hosts: 50, forks: 50 }, { hosts: 200, forks: 100 }, { hosts: 500, forks: 200 }], runs: 3, write: false })
  assert.equal(parseScaleArgs(['--points', '4:2,8:4', '--runs', '1']).points, [{ hosts: 4, forks: 2 }, { hosts: 8, forks: 4 }])
  assert.throws(() => parseScaleArgs(['--points', '4']), /--points: expected HOSTS:FORKS,… \(hosts 1–2000\), found '4'/)
  assert.throws(() => parseScaleArgs(['--runs', '0']), /--runs: expected a positive integer, found '0'/)
})

test('a whole process with two points: a row each, the targets, every daemon gone', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/scale.ts', '--points', '3:2,6:3', '--runs', '1'], { cwd: root, encoding: 'utf8', timeout: 240_000 })
  assert.is(r.status, 0, r.stderr)
  assert.match(r.stdout, /^\|\s+3 \|\s+2 \|/m)
  assert.match(r.stdout, /^\|\s+6 \|\s+3 \|/m)
  for (const t of ['controller CPU per task·host, 3 → 6 hosts', 'controller peak RSS at 6 hosts', 'hosts left unreachable']) assert.match(r.stdout, t)
  const dir = /daemons' configs in (\S+)\)/.exec(r.stderr)?.[1]
  assert.ok(dir, r.stderr)
  const left = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir!) } catch { return false }
  })
  assert.equal(left, [], 'no sshd of the bench left running')
  assert.match(r.stdout, /\| +0 \| +0 \|$/m, 'no host unreachable or failed')
})

test.run()
