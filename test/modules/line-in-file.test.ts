import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ModuleError } from '../../lib/errors.ts'
import { editLines, type LineInFileParams } from '../../lib/modules/line-in-file.ts'
import { localEnv } from './env.ts'
import { lineInFileSuite } from './suites/line-in-file.ts'

const P = '/etc/x'
type Case = [name: string, text: string, params: Omit<LineInFileParams, 'path'>, expected: string]

const cases: Case[] = [
  ['appends a missing line at the end', 'a\nb\n', { line: 'c' }, 'a\nb\nc\n'],
  ['leaves an exact line alone', 'a\nc\nb\n', { line: 'c' }, 'a\nc\nb\n'],
  ['adds a newline before appending to a file without one', 'a\nb', { line: 'c' }, 'a\nb\nc\n'],
  ['creates the first line of an empty file', '', { line: 'c' }, 'c\n'],
  ['replaces the last matching line only', 'x=1\ny\nx=2\n', { line: 'x=3', match: /^x=/ }, 'x=1\ny\nx=3\n'],
  ['a matching line that already equals the line is no change', 'x=1\nx=3\n', { line: 'x=3', match: /^x=/ }, 'x=1\nx=3\n'],
  ['no match but the exact line exists: no change', 'a\nx=3\n', { line: 'x=3', match: /^nomatch/ }, 'a\nx=3\n'],
  ['no match: inserts at the end', 'a\n', { line: 'x=3', match: /^x=/ }, 'a\nx=3\n'],
  ['global regexps behave the same on every line', 'x=1\ny\nx=2\n', { line: 'x=3', match: /^x=/g }, 'x=1\ny\nx=3\n'],
  ['replacing keeps a missing trailing newline', 'a\nx=1', { line: 'x=2', match: /^x=/ }, 'a\nx=2'],
  ['insertAfter: after the last match', 'a\n[s]\nb\n[s]\nc\n', { line: 'n', insertAfter: /^\[s\]/ }, 'a\n[s]\nb\n[s]\nn\nc\n'],
  ['insertAfter without a match: end of file', 'a\nb\n', { line: 'n', insertAfter: /^zz/ }, 'a\nb\nn\n'],
  ['insertAfter BOF', 'a\n', { line: 'n', insertAfter: 'BOF' }, 'n\na\n'],
  ['insertBefore: before the last match', 'a\n#end\nb\n#end\n', { line: 'n', insertBefore: /^#end/ }, 'a\n#end\nb\nn\n#end\n'],
  ['insertBefore BOF', 'a\nb\n', { line: 'n', insertBefore: 'BOF' }, 'n\na\nb\n'],
  ['insertBefore BOF keeps a missing trailing newline', 'a', { line: 'n', insertBefore: 'BOF' }, 'n\na'],
  ['insertBefore EOF', 'a\n', { line: 'n', insertBefore: 'EOF' }, 'a\nn\n'],
  ['absent removes every exact copy', 'a\nb\na\nc\n', { line: 'a', state: 'absent' }, 'b\nc\n'],
  ['absent with match removes every matching line', 'x=1\nb\nx=2\n', { match: /^x=/, state: 'absent' }, 'b\n'],
  ['absent of a missing line is no change', 'a\nb', { line: 'z', state: 'absent' }, 'a\nb'],
  ['absent of the last line keeps no trailing newline as found', 'a\nb', { line: 'b', state: 'absent' }, 'a'],
  ['absent of the only line empties the file', 'a\n', { line: 'a', state: 'absent' }, ''],
  ['hostile text is just text', '$(x)\n', { line: "'`$(rm -rf /)`'" }, "$(x)\n'`$(rm -rf /)`'\n"],
  ['blank lines are kept', 'a\n\n\nb\n', { line: 'c' }, 'a\n\n\nb\nc\n'],
]

for (const [name, text, params, expected] of cases) {
  test(`editLines: ${name}`, () => {
    const once = editLines(text, { path: P, ...params })
    assert.is(once, expected)
    assert.is(editLines(once, { path: P, ...params }), once, 'a second edit changes nothing')
  })
}

test('editLines: rejects bad params naming the key', () => {
  const bad: [Omit<LineInFileParams, 'path'>, RegExp][] = [
    [{}, /line: expected the line to put in the file, found nothing/],
    [{ line: 'a\nb' }, /line: expected one line of text \(no newline\)/],
    [{ state: 'absent' }, /expected line or match to say which lines to remove, found neither/],
    [{ line: 'a', state: 'gone' as 'absent' }, /state: expected 'present' or 'absent', found "gone"/],
    [{ line: 'a', insertAfter: /x/, insertBefore: /y/ }, /expected at most one of insertAfter or insertBefore, found both/],
    [{ line: 'a', insertAfter: 'END' as 'EOF' }, /insertAfter: expected a RegExp, 'BOF' or 'EOF', found "END"/],
  ]
  for (const [params, re] of bad) {
    assert.throws(() => editLines('', { path: P, ...params }), (e: unknown) => e instanceof ModuleError && re.test(e.message))
  }
})

lineInFileSuite(test, localEnv(test))

test.run()
