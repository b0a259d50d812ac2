/** The start-up bench's parts that are not timing: its commands exist and run here, and a --cpu-prof is grouped by package and directory. */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CASES, profileGroups } from '../../bench/startup.ts'

const root = new URL('../../', import.meta.url).pathname

test('every measured command names a file of this repository or a tool on the PATH', () => {
  assert.ok(CASES.length >= 4)
  for (const c of CASES) {
    const file = c.argv.find((a) => /\.(ts|mjs)$/.test(a))
    if (file) assert.ok(existsSync(file.startsWith('/') ? file : join(root, file)), `${c.name}: ${file}`)
  }
})

test('a profile is grouped: packages by name, kubeplay files by directory, node internals together', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kp-prof-test-'))
  const file = join(dir, 'x.cpuprofile')
  writeFileSync(file, JSON.stringify({
    nodes: [
      { id: 1, callFrame: { url: `file://${root}node_modules/yaml/dist/index.js`, functionName: 'parse' } },
      { id: 2, callFrame: { url: `file://${root}lib/engine/run.ts`, functionName: 'runPlaybook' } },
      { id: 3, callFrame: { url: 'node:internal/modules/esm/loader', functionName: 'load' } },
      { id: 4, callFrame: { url: '', functionName: '(idle)' } },
    ],
    samples: [1, 2, 2, 3, 4],
    timeDeltas: [1000, 2000, 3000, 4000, 5000],
  }))
  const g = profileGroups(file)
  assert.is(g.totalMs, 15)
  assert.equal(Object.fromEntries(g.groups), { yaml: 1, 'kubeplay lib/engine': 5, 'node (module loader, built-ins)': 4, '((idle))': 5 })
})

test.run()
