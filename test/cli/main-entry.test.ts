/**
 * `main(import.meta.url, playbook)` runs the playbook only when its file is the script node was
 * started with — also when started through a symlink (a linked checkout or project directory), which
 * once exited 0 having run nothing; and never when the file is imported.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const root = new URL('../../', import.meta.url).pathname
const work = mkdtempSync(join(tmpdir(), 'kp-main-'))
test.after(() => rmSync(work, { recursive: true, force: true }))

const real = join(work, 'real')
mkdirSync(real)
writeFileSync(join(real, 'pb.ts'), `import { main, play, playbook, task } from '${root}lib/index.ts'
import { command } from '${root}lib/modules/command.ts'
export const pb = playbook('entry', [play('p', { hosts: 'all', items: [task('say', command, { argv: ['true'] })] })])
main(import.meta.url, pb)
`)
writeFileSync(join(real, 'importer.ts'), `import { pb } from './pb.ts'\nconsole.log('imported', pb.name)\n`)
writeFileSync(join(work, 'inventory.json'), JSON.stringify({ hosts: { h1: { connection: 'local' } } }))
symlinkSync(real, join(work, 'linked'))

const node = (script: string) => spawnSync(process.execPath, ['--import', 'tsx', script, '-i', join(work, 'inventory.json'), '--state-dir', join(work, 'state')],
  { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } })

test('started directly or through a symlinked directory, the playbook runs', () => {
  for (const script of [join(real, 'pb.ts'), join(work, 'linked', 'pb.ts')]) {
    const r = node(script)
    assert.is(r.status, 0, r.stderr)
    assert.match(r.stdout, /PLAY RECAP[\s\S]*h1\s+: ok=0 changed=1/, `${script}:\n${r.stdout}${r.stderr}`)
  }
})

test('imported, it does not run', () => {
  const r = node(join(real, 'importer.ts'))
  assert.is(r.status, 0, r.stderr)
  assert.is(r.stdout.trim(), 'imported entry')
})

test.run()
