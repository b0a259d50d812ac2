import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseGroupEntry, planGroup, validAccountName, type GroupParams } from '../../lib/modules/group.ts'

const cases: [string, GroupParams, { gid: number } | null, string | null][] = [
  ['create', { name: 'etcd' }, null, 'groupadd etcd'],
  ['create system with gid', { name: 'etcd', gid: 990, system: true }, null, 'groupadd -g 990 -r etcd'],
  ['present → nothing', { name: 'etcd' }, { gid: 1000 }, null],
  ['gid differs → groupmod', { name: 'etcd', gid: 990 }, { gid: 1000 }, 'groupmod -g 990 etcd'],
  ['absent → groupdel', { name: 'etcd', state: 'absent' }, { gid: 1000 }, 'groupdel etcd'],
  ['absent already → nothing', { name: 'etcd', state: 'absent' }, null, null],
]
for (const [label, p, cur, want] of cases) {
  test(`planGroup: ${label}`, () => assert.is(planGroup(p, cur)?.text.replace(/\s+/g, ' ') ?? null, want))
}

test('parseGroupEntry', () => {
  assert.equal(parseGroupEntry('docker:x:998:alice,bob\n'), { name: 'docker', gid: 998 })
  assert.is(parseGroupEntry(''), null)
})

test('validAccountName refuses option-like and shell-like names', () => {
  for (const n of ['-r', 'a b', '$(x)', '', 'x'.repeat(33)]) assert.throws(() => validAccountName('group', 'name', n), /expected a user or group name/)
  validAccountName('group', 'name', 'kube-admin_1')
})

test.run()
