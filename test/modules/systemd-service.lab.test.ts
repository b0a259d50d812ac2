/**
 * systemdUnit + systemdService + waitFor on a lab host: a python3 http.server unit written, started,
 * enabled, awaited on its port and answering; a drop-in changes its port; then it is removed.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { ModuleError } from '../../lib/errors.ts'
import { systemdService } from '../../lib/modules/systemd-service.ts'
import { systemdUnit } from '../../lib/modules/systemd-unit.ts'
import { waitFor } from '../../lib/modules/wait-for.ts'
import { proveIdempotent } from '../helpers/module.ts'
import { labHost } from '../lab/connect.ts'
import { expectError } from './env.ts'

const UNIT = 'kp-web.service'
const DIR = '/srv/kp-web'
let conn: Connection
const out = async (cmd: ReturnType<typeof sh>) => (await conn.exec(cmd)).stdout.trim()
const unit = (port: number) => `[Unit]
Description=kubeplay test web server

[Service]
Environment=PORT=${port}
WorkingDirectory=${DIR}
ExecStart=/bin/sh -c 'exec python3 -m http.server "$PORT" --bind 127.0.0.1'

[Install]
WantedBy=multi-user.target
`

test.before(async () => {
  conn = (await labHost(0)).conn
  await conn.exec(sh`mkdir -p ${DIR} && echo hello-from-kp > ${DIR}/index.html`)
})
test.after(async () => {
  await conn.exec(sh`systemctl disable --now ${UNIT} >/dev/null 2>&1; rm -rf /etc/systemd/system/${UNIT} /etc/systemd/system/${UNIT}.d ${DIR}; systemctl daemon-reload`)
  await conn.close()
})

test('systemdUnit writes the unit and daemon-reloads: systemd knows it', async () => {
  await proveIdempotent(conn, systemdUnit, { name: UNIT, content: unit(18080) }, { paths: [`/etc/systemd/system/${UNIT}`] })
  assert.is(await out(sh`systemctl show -p LoadState --value ${UNIT}`), 'loaded')
})

test('systemdService starts and enables it; waitFor sees the port; curl gets the page', async () => {
  await proveIdempotent(conn, systemdService, { name: UNIT, state: 'started', enabled: true })
  assert.is(await out(sh`systemctl is-active ${UNIT}; systemctl is-enabled ${UNIT}`), 'active\nenabled')
  await runModule(conn, waitFor, { port: 18080, timeoutMs: 10_000, intervalMs: 100 })
  assert.is((await runModule(conn, waitFor, { http: { url: 'http://127.0.0.1:18080/' }, timeoutMs: 10_000 })).plan.changed, false)
  assert.is(await out(sh`curl -fsS http://127.0.0.1:18080/`), 'hello-from-kp')
})

test('a drop-in changes the port; restarted always acts; waitFor polls until the new port answers', async () => {
  const dropIn = { name: UNIT, dropIn: '10-port', content: '[Service]\nEnvironment=PORT=18081\n' }
  await proveIdempotent(conn, systemdUnit, dropIn, { paths: [`/etc/systemd/system/${UNIT}.d`] })
  const restart = await runModule(conn, systemdService, { name: UNIT, state: 'restarted' })
  assert.ok(restart.applied)
  assert.ok((await runModule(conn, systemdService, { name: UNIT, state: 'restarted' })).applied, 'restarted changes every time')
  const waited = await runModule(conn, waitFor, { http: { url: 'http://127.0.0.1:18081/', status: 200 }, timeoutMs: 10_000, intervalMs: 100 })
  assert.equal(waited.outcome ?? { changed: false }, { changed: false })
  assert.is(await out(sh`curl -fsS http://127.0.0.1:18081/`), 'hello-from-kp')
})

test('stop and disable; a port nobody listens on times out naming it', async () => {
  await proveIdempotent(conn, systemdService, { name: UNIT, state: 'stopped', enabled: false })
  assert.is(await out(sh`systemctl is-active ${UNIT}; systemctl is-enabled ${UNIT}`), 'inactive\ndisabled')
  await expectError(runModule(conn, waitFor, { port: 18081, timeoutMs: 1000, intervalMs: 200 }), Error, /timed out after 1000 ms: waiting for port 127\.0\.0\.1:18081/)
})

test('starting a unit that does not exist is a clear error', async () => {
  await expectError(runModule(conn, systemdService, { name: 'kp-nosuch.service', state: 'started' }), ModuleError, /kp-nosuch\.service: expected an installed unit, found none/)
  // In check mode the unit is usually shipped by a package an earlier (unapplied) task installs.
  const dry = await runModule(conn, systemdService, { name: 'kp-nosuch.service', state: 'started', enabled: true }, { checkMode: true })
  assert.ok(dry.plan.changed && !dry.applied)
  assert.match(dry.plan.changed ? dry.plan.summary : '', 'kp-nosuch.service (unit not installed yet')
})

test('a unit that fails to start brings its status into the error', async () => {
  await runModule(conn, systemdUnit, { name: 'kp-fail.service', content: '[Service]\nType=oneshot\nExecStart=/bin/false\n' })
  try {
    await expectError(runModule(conn, systemdService, { name: 'kp-fail.service', state: 'started' }), ModuleError, /kp-fail\.service: start failed \(exit \d+\)\n.*kp-fail\.service/s)
  } finally {
    await runModule(conn, systemdUnit, { name: 'kp-fail.service', content: '', state: 'absent' })
    await conn.exec(sh`systemctl reset-failed kp-fail.service 2>/dev/null`)
  }
})

test('systemdUnit absent removes the drop-in', async () => {
  const r = await runModule(conn, systemdUnit, { name: UNIT, dropIn: '10-port', content: '', state: 'absent' })
  assert.ok(r.applied)
  assert.is(await out(sh`ls /etc/systemd/system/${UNIT}.d`), '')
})

test.run()
