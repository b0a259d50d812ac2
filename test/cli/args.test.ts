import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseArgs } from '../../lib/cli/args.ts'
import { ConfigError } from '../../lib/errors.ts'

test('ansible-playbook style flags', () => {
  const o = parseArgs(['-i', 'inventory.ts', '--tags', 'metallb,haproxy', '-t', 'x', '--skip-tags=debug', '-l', 'masters[0]',
    '-C', '-D', '-f', '50', '-vv', '-e', 'a=1', '--extra-vars', '@vars.yml', '--start-at-task', 'Install haproxy'])
  assert.is(o.inventory, 'inventory.ts')
  assert.equal(o.tags, ['metallb', 'haproxy', 'x'])
  assert.equal(o.skipTags, ['debug'])
  assert.is(o.limit, 'masters[0]')
  assert.ok(o.check && o.diff)
  assert.is(o.forks, 50)
  assert.is(o.verbose, 2)
  assert.equal(o.extraVars, ['a=1', '@vars.yml'])
  assert.is(o.startAtTask, 'Install haproxy')
  assert.is(o.stateDir, '.kubeplay')
  assert.is(o.hostKeyPolicy, 'strict')
})

const bad: Array<[string[], string]> = [
  [['--forks', '0'], "command line: --forks: expected an integer from 1 to 1000, found '0'"],
  [['-f', 'many'], "command line: -f: expected an integer from 1 to 1000, found 'many'"],
  [['--tags'], 'command line: --tags: expected a value, found nothing'],
  [['--host-key-policy', 'yolo'], "command line: --host-key-policy: expected 'strict' or 'accept-new', found 'yolo'"],
  [['--frobnicate'], "command line: --frobnicate: expected an option from --help, found unknown argument '--frobnicate'"],
  [['--detailed-exitcode'], 'command line: --detailed-exitcode: expected --check with it, found no --check'],
]
for (const [argv, message] of bad) {
  test(`rejects ${argv.join(' ')}`, () => {
    try {
      parseArgs(argv)
      assert.unreachable()
    } catch (e) {
      assert.instance(e, ConfigError)
      assert.is((e as Error).message, message)
    }
  })
}

test.run()
