import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ModuleError } from '../../lib/errors.ts'
import { editBlock, type BlockInFileParams } from '../../lib/modules/block-in-file.ts'
import { localEnv } from './env.ts'
import { blockInFileSuite } from './suites/block-in-file.ts'

const P = '/etc/x'
const B = '# BEGIN KUBEPLAY MANAGED BLOCK'
const E = '# END KUBEPLAY MANAGED BLOCK'
type Case = [name: string, text: string, params: Omit<BlockInFileParams, 'path'>, expected: string]

const cases: Case[] = [
  ['appends a new block at the end', 'a\n', { block: 'x\ny' }, `a\n${B}\nx\ny\n${E}\n`],
  ['one trailing newline of the block is ignored', 'a\n', { block: 'x\ny\n' }, `a\n${B}\nx\ny\n${E}\n`],
  ['adds a newline before appending to a file without one', 'a', { block: 'x' }, `a\n${B}\nx\n${E}\n`],
  ['creates the block in an empty file', '', { block: 'x' }, `${B}\nx\n${E}\n`],
  ['replaces an existing block in place', `a\n${B}\nold\nold2\n${E}\nz\n`, { block: 'new' }, `a\n${B}\nnew\n${E}\nz\n`],
  ['the same block is no change', `a\n${B}\nx\n${E}\nz`, { block: 'x' }, `a\n${B}\nx\n${E}\nz`],
  ['markers with trailing blanks are found', `${B}  \nold\n${E}\t\n`, { block: 'new' }, `${B}\nnew\n${E}\n`],
  ['insertAfter: after the last match', 'a\n[s]\nb\n', { block: 'x', insertAfter: /^\[s\]$/ }, `a\n[s]\n${B}\nx\n${E}\nb\n`],
  ['insertBefore BOF', 'a\n', { block: 'x', insertBefore: 'BOF' }, `${B}\nx\n${E}\na\n`],
  ['insertBefore: before the last match', 'a\nexit 0\n', { block: 'x', insertBefore: /^exit/ }, `a\n${B}\nx\n${E}\nexit 0\n`],
  ['absent removes the block and its markers', `a\n${B}\nx\n${E}\nz\n`, { block: '', state: 'absent' }, 'a\nz\n'],
  ['absent without a block is no change', 'a\nz', { block: 'x', state: 'absent' }, 'a\nz'],
  ['an empty block removes the block', `a\n${B}\nx\n${E}\n`, { block: '' }, 'a\n'],
  ['custom markers keep blocks apart', `${B}\nx\n${E}\n`, { block: 'y', marker: '// {mark} other' }, `${B}\nx\n${E}\n// BEGIN other\ny\n// END other\n`],
  ['hostile text is just text', '', { block: "$(rm -rf /)\n`x`\n'\"" }, `${B}\n$(rm -rf /)\n\`x\`\n'"\n${E}\n`],
]

for (const [name, text, params, expected] of cases) {
  test(`editBlock: ${name}`, () => {
    const once = editBlock(text, { path: P, ...params })
    assert.is(once, expected)
    assert.is(editBlock(once, { path: P, ...params }), once, 'a second edit changes nothing')
  })
}

test('editBlock: rejects half a block and bad params naming the key', () => {
  const bad: [string, Omit<BlockInFileParams, 'path'>, RegExp][] = [
    [`${B}\nx\n`, { block: 'y' }, /expected both '# BEGIN KUBEPLAY MANAGED BLOCK' and '# END KUBEPLAY MANAGED BLOCK' in this order, found '# BEGIN KUBEPLAY MANAGED BLOCK' without a later/],
    [`${E}\nx\n${B}\n`, { block: 'y' }, /in this order, found '# BEGIN KUBEPLAY MANAGED BLOCK' without a later/],
    [`x\n${E}\n`, { block: 'y' }, /found only '# END KUBEPLAY MANAGED BLOCK'/],
    ['', { block: 'y', marker: '# managed' }, /marker: expected one line containing '\{mark\}', found "# managed"/],
    ['', { block: 3 as unknown as string }, /block: expected a string, found 3/],
    ['', { block: 'y', insertAfter: /a/, insertBefore: 'BOF' }, /expected at most one of insertAfter or insertBefore/],
  ]
  for (const [text, params, re] of bad) {
    assert.throws(() => editBlock(text, { path: P, ...params }), (e: unknown) => e instanceof ModuleError && re.test(e.message))
  }
})

blockInFileSuite(test, localEnv(test))

test.run()
