/**
 * `site.ts | head -1`: the reader goes away after the first line. The run must not die on EPIPE:
 * every task still runs, the run record and last-run.json are written, the host's lock released.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const root = resolve(import.meta.dirname, '../..')
const work = mkdtempSync(join(tmpdir(), 'kp-pipe-'))
test.after(() => rmSync(work, { recursive: true, force: true }))

test('a closed stdout drops the output, the run goes on to its end and exits with its own code', async () => {
  const marker = join(work, 'last-task-ran')
  writeFileSync(join(work, 'pb.ts'), `import { main } from '${root}/lib/cli/main.ts'
import { play, playbook, task } from '${root}/lib/engine/task.ts'
import { shell } from '${root}/lib/modules/shell.ts'
const steps = Array.from({ length: 40 }, (_, i) => task(\`step \${i} \${'x'.repeat(4000)}\`, shell, { cmd: 'true' }))
main(import.meta.url, playbook('pipe', [play('p', { hosts: 'all', items: [...steps, task('last', shell, { cmd: 'touch ${marker}' })] })]))
`)
  writeFileSync(join(work, 'inv.json'), JSON.stringify({ hosts: { n1: { connection: 'local' } } }))
  const child = spawn(join(root, 'node_modules/.bin/tsx'), [join(work, 'pb.ts'), '-i', join(work, 'inv.json'), '--state-dir', join(work, 'st')], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => { stderr += String(d) })
  // Like `head -1`: read the first chunk, then close the pipe.
  await new Promise<void>((r) => child.stdout.once('data', () => { child.stdout.destroy(); r() }))
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)))
  assert.is(code, 0, stderr)
  assert.not.match(stderr, 'EPIPE')
  assert.ok(existsSync(marker), 'the last task ran')
  const last = JSON.parse(readFileSync(join(work, 'st/last-run.json'), 'utf8')) as { failedHosts: string[] }
  assert.equal(last.failedHosts, [])
  assert.equal(readdirSync(join(work, 'st/locks')).filter((f) => f.endsWith('.lock')), [], 'lock released')
})

test.run()
