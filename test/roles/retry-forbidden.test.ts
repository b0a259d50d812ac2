/** retryForbidden: asked again only while the API says "is forbidden"; other failures are final, output kept. */
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { raw, sh } from '../../lib/connection/quote.ts'
import { retryForbidden } from '../../roles/kubernetes/lifecycle.ts'

const run = (script: string): [number | null, string, string] => {
  const r = spawnSync('sh', ['-c', retryForbidden(sh`${raw(script)}`).text.replace('sleep 10', 'sleep 0')], { encoding: 'utf8' })
  return [r.status, r.stdout, r.stderr]
}

test('success passes through; another failure is final at once, its code and output kept', () => {
  assert.equal(run('echo ok'), [0, 'ok\n', ''])
  assert.equal(run('echo bad >&2; exit 3'), [3, '', 'bad\n'])
})

test('"is forbidden" is asked again until it passes, at most 12 times', () => {
  const f = join(mkdtempSync(join(tmpdir(), 'kp-rf-')), 'n')
  assert.equal(run(`n=$(cat ${f} 2>/dev/null || echo 0); echo $((n + 1)) > ${f}; [ $n -ge 2 ] && echo done || { echo 'nodes "lab5" is forbidden' >&2; exit 1; }`), [0, 'done\n', ''])
  const g = join(mkdtempSync(join(tmpdir(), 'kp-rf-')), 'n')
  assert.equal(run(`n=$(cat ${g} 2>/dev/null || echo 0); echo $((n + 1)) > ${g}; echo 'x is forbidden' >&2; exit 1`), [1, '', 'x is forbidden\n'])
  assert.is(spawnSync('cat', [g], { encoding: 'utf8' }).stdout.trim(), '12')
})

test.run()
