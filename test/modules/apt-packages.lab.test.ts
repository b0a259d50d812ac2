/** aptPackages on a lab host: a real install from the Debian mirror at a pinned version, held, then removed. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { aptPackages } from '../../lib/modules/apt-packages.ts'
import { proveIdempotent } from '../helpers/module.ts'
import { labHost } from '../lab/connect.ts'

let conn: Connection
const out = async (cmd: ReturnType<typeof sh>) => (await conn.exec(cmd)).stdout.trim()

test.before(async () => {
  conn = (await labHost(0)).conn
  await conn.exec(sh`apt-mark unhold sl >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get -y -q remove sl >/dev/null 2>&1`)
})
test.after(async () => {
  await conn.exec(sh`apt-mark unhold sl >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get -y -q remove sl >/dev/null 2>&1`)
  await conn.close()
})

test('installs sl at the version apt-cache madison lists, and holds it', async () => {
  // one refresh for the whole file: the base's lists may be stale
  const params = { names: { sl: '' }, hold: true, updateCache: { maxAgeSeconds: 600 }, installRecommends: false }
  await conn.exec(sh`DEBIAN_FRONTEND=noninteractive apt-get -q update >/dev/null 2>&1`)
  const version = (await out(sh`apt-cache madison sl | head -1 | cut -d'|' -f2`)).trim()
  assert.match(version, /^\d/, 'madison lists a version of sl')
  params.names.sl = version
  await proveIdempotent(conn, aptPackages, params, { paths: ['/var/lib/dpkg/status'] })
  assert.is(await out(sh`dpkg-query -W -f '\${Version} \${db:Status-Abbrev}' sl`), `${version} hi`)
  assert.match(await out(sh`apt-mark showhold`), /^sl$/m)
})

test('a held package is removed (allowing the held change); a rerun is a no-op', async () => {
  const first = await runModule(conn, aptPackages, { names: ['sl'], state: 'absent' })
  assert.ok(first.applied)
  assert.not.match(await out(sh`dpkg-query -W -f '\${db:Status-Abbrev}' sl 2>/dev/null`), /^.i/, 'sl is no longer installed')
  assert.not.match(await out(sh`apt-mark showhold`), /^sl$/m)
  assert.is((await runModule(conn, aptPackages, { names: ['sl'], state: 'absent' })).plan.changed, false)
})

test('a version apt does not know fails with apt-get naming it', async () => {
  try {
    await runModule(conn, aptPackages, { names: { sl: '0.0-nosuch' } })
    assert.unreachable()
  } catch (e) {
    assert.match((e as Error).message, /Version '0.0-nosuch' for 'sl' was not found/)
  }
})

test('lists that do not know a package to install are refreshed first (no update asked); a name unknown after the refresh fails with apt\'s message', async () => {
  // Lists from before the package existed, as on a fresh image: here, none at all.
  await conn.exec(sh`find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -delete`)
  assert.is(await out(sh`LC_ALL=C apt-cache policy sl | grep -c Candidate || true`), '0', 'the lists know no sl')
  const dry = await runModule(conn, aptPackages, { names: ['sl'] }, { checkMode: true })
  assert.ok(dry.plan.changed && dry.plan.summary === 'update lists (they know no sl); install sl', JSON.stringify(dry.plan))
  await proveIdempotent(conn, aptPackages, { names: ['sl'], installRecommends: false }, { paths: ['/var/lib/dpkg/status'] })
  assert.match(await out(sh`dpkg-query -W -f '\${db:Status-Abbrev}' sl`), /^ii/)
  await runModule(conn, aptPackages, { names: ['sl'], state: 'absent' })
  try {
    await runModule(conn, aptPackages, { names: ['kp-no-such-package'] })
    assert.unreachable()
  } catch (e) {
    assert.match((e as Error).message, /Unable to locate package kp-no-such-package/)
  }
})

test.run()
