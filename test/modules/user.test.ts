import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseUserEntry, planUser, type UserEntry, type UserParams } from '../../lib/modules/user.ts'

const alice: UserEntry = { uid: 1001, home: '/home/alice', shell: '/bin/sh', group: 'alice', groups: ['docker'] }
const cases: [string, UserParams, UserEntry | null, string | null][] = [
  ['create with everything', { name: 'alice', uid: 1001, groups: ['sudo', 'docker'], shell: '/bin/bash' }, null,
    'useradd -u 1001 -G docker,sudo -s /bin/bash -m alice'],
  ['create a system user: no home', { name: 'etcd', system: true, shell: '/usr/sbin/nologin' }, null, 'useradd -s /usr/sbin/nologin -r etcd'],
  ['as asked → nothing', { name: 'alice', uid: 1001, groups: ['docker'], shell: '/bin/sh' }, alice, null],
  ['shell differs', { name: 'alice', shell: '/bin/bash' }, alice, 'usermod -s /bin/bash alice'],
  ['groups are exact by default', { name: 'alice', groups: ['sudo'] }, alice, 'usermod -G sudo alice'],
  ['append adds only the missing', { name: 'alice', groups: ['sudo', 'docker'], append: true }, alice, 'usermod -a -G sudo alice'],
  ['append with nothing missing → nothing', { name: 'alice', groups: ['docker'], append: true }, alice, null],
  ['uid and primary group', { name: 'alice', uid: 2000, group: 'users' }, alice, 'usermod -u 2000 -g users alice'],
  ['absent', { name: 'alice', state: 'absent', remove: true }, alice, 'userdel -r alice'],
  ['absent already', { name: 'alice', state: 'absent' }, null, null],
]
for (const [label, p, cur, want] of cases) {
  test(`planUser: ${label}`, () => assert.is(planUser(p, cur)?.text.replace(/\s+/g, ' ').trim() ?? null, want))
}

test('parseUserEntry: supplementary groups exclude the primary one', () => {
  assert.equal(parseUserEntry('alice:x:1001:1001::/home/alice:/bin/sh\n', 'alice\n', 'alice docker sudo\n'),
    { uid: 1001, home: '/home/alice', shell: '/bin/sh', group: 'alice', groups: ['docker', 'sudo'] })
  assert.is(parseUserEntry('', '', ''), null)
})

test.run()
