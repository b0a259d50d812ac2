import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { diffLines, unifiedDiff } from '../../lib/engine/diff.ts'

test('diffLines finds the shortest edit script', () => {
  const ops = diffLines(['a', 'b', 'c', 'a', 'b', 'b', 'a'], ['c', 'b', 'a', 'b', 'a', 'c'])
  assert.is(ops.filter((o) => o.kind !== ' ').length, 5)
  assert.equal(ops.filter((o) => o.kind !== '+').map((o) => o.line), ['a', 'b', 'c', 'a', 'b', 'b', 'a'])
  assert.equal(ops.filter((o) => o.kind !== '-').map((o) => o.line), ['c', 'b', 'a', 'b', 'a', 'c'])
})

test('unifiedDiff: one changed line in the middle, with context', () => {
  const before = 'l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n'
  const after = 'l1\nl2\nl3\nl4\nL5\nl6\nl7\nl8\n'
  assert.is(unifiedDiff(before, after, '/etc/x'), [
    '--- before: /etc/x', '+++ after: /etc/x', '@@ -2,7 +2,7 @@', ' l2', ' l3', ' l4', '-l5', '+L5', ' l6', ' l7', ' l8',
  ].join('\n'))
})

test('unifiedDiff: new file, deleted file, equal content', () => {
  assert.is(unifiedDiff(null, 'a\nb\n', '/f'), '--- /dev/null\n+++ after: /f\n@@ -1,0 +1,2 @@\n+a\n+b')
  assert.is(unifiedDiff('a\n', null, '/f'), '--- before: /f\n+++ /dev/null\n@@ -1,1 +1,0 @@\n-a')
  assert.is(unifiedDiff('same\n', 'same\n', '/f'), '')
})

test('unifiedDiff: distant changes make two hunks', () => {
  const lines = Array.from({ length: 30 }, (_, i) => `line${i}`)
  const changed = [...lines]
  changed[2] = 'X'
  changed[25] = 'Y'
  const d = unifiedDiff(lines.join('\n'), changed.join('\n'), '/f')
  assert.is(d.split('\n').filter((l) => l.startsWith('@@')).length, 2)
  assert.ok(d.includes('-line2\n+X') && d.includes('-line25\n+Y'))
})

test.run()
