/** group and user on a lab host, read back with getent and id. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { group } from '../../lib/modules/group.ts'
import { user } from '../../lib/modules/user.ts'
import { proveIdempotent } from '../helpers/module.ts'
import { labHost } from '../lab/connect.ts'

let conn: Connection
const out = async (cmd: ReturnType<typeof sh>) => (await conn.exec(cmd)).stdout.trim()
const cleanup = () => conn.exec(sh`userdel -r kp-user 2>/dev/null; groupdel kp-grp 2>/dev/null; groupdel kp-grp2 2>/dev/null; true`)

test.before(async () => { conn = (await labHost(0)).conn; await cleanup() })
test.after(async () => { await cleanup(); await conn.close() })

test('group with a fixed gid; a gid change is a groupmod', async () => {
  await proveIdempotent(conn, group, { name: 'kp-grp', gid: 4242 })
  assert.is(await out(sh`getent group kp-grp`), 'kp-grp:x:4242:')
  await proveIdempotent(conn, group, { name: 'kp-grp', gid: 4243 })
  assert.is(await out(sh`getent group kp-grp | cut -d: -f3`), '4243')
  await proveIdempotent(conn, group, { name: 'kp-grp2', system: true })
})

test('user with uid, shell and supplementary groups; home created', async () => {
  await proveIdempotent(conn, user, { name: 'kp-user', uid: 4300, shell: '/bin/sh', groups: ['kp-grp'] })
  assert.is(await out(sh`getent passwd kp-user`), 'kp-user:x:4300:4300::/home/kp-user:/bin/sh')
  assert.is(await out(sh`id -Gn kp-user`), 'kp-user kp-grp')
  assert.is(await out(sh`stat -c %U /home/kp-user`), 'kp-user')
})

test('groups are exact unless append; shell change is a usermod', async () => {
  await proveIdempotent(conn, user, { name: 'kp-user', groups: ['kp-grp2'], append: true, shell: '/bin/bash' })
  assert.is(await out(sh`id -Gn kp-user`), 'kp-user kp-grp kp-grp2')
  await proveIdempotent(conn, user, { name: 'kp-user', groups: ['kp-grp2'] })
  assert.is(await out(sh`id -Gn kp-user`), 'kp-user kp-grp2')
})

test('absent user (with home) and group', async () => {
  await proveIdempotent(conn, user, { name: 'kp-user', state: 'absent', remove: true })
  assert.is((await conn.exec(sh`getent passwd kp-user`)).code, 2)
  assert.is((await conn.exec(sh`test -e /home/kp-user`)).code, 1)
  await proveIdempotent(conn, group, { name: 'kp-grp', state: 'absent' })
  assert.is((await conn.exec(sh`getent group kp-grp`)).code, 2)
})

test.run()
