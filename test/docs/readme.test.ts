/** The README's playbook example is examples/web.ts, byte for byte (type-checked by tsc), so it cannot drift. */
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const root = new URL('../../', import.meta.url)

test('README playbook example equals examples/web.ts', () => {
  const readme = readFileSync(new URL('README.md', root), 'utf8')
  const block = /## A playbook\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  assert.ok(block, 'README has the playbook block')
  const example = readFileSync(new URL('examples/web.ts', root), 'utf8')
  assert.is(example, block)
})

test('README set-up commands are the ones .ci/run and package.json use', () => {
  const readme = readFileSync(new URL('README.md', root), 'utf8')
  const ci = readFileSync(new URL('.ci/run', root), 'utf8')
  assert.match(readme, 'npm ci && npm start')
  assert.match(readme, 'npm ci && npm test')
  assert.match(ci, /^npm ci && npm test$/m)
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'))
  assert.is(pkg.scripts.start, 'tsx playbooks/start.ts')
  assert.is(pkg.scripts.test, 'tsx test/run.ts')
})

test.run()
