/** download on a lab host: curl over HTTP from the host's own loopback, pinned by sha256. */
import { createHash } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { ModuleError } from '../../lib/errors.ts'
import { download } from '../../lib/modules/download.ts'
import { proveIdempotent } from '../helpers/module.ts'
import { labHost } from '../lab/connect.ts'
import { expectError } from './env.ts'

const SRC = '/srv/kp-dl'
const DEST_DIR = '/opt/kp dl'
const BODY = '#!/bin/sh\necho kp-tool\n'
const PORT = 18766
let conn: Connection
const out = async (cmd: ReturnType<typeof sh>) => (await conn.exec(cmd)).stdout.trim()
const params = { url: `http://127.0.0.1:${PORT}/tool`, dest: `${DEST_DIR}/bin/kp-tool`, sha256: createHash('sha256').update(BODY).digest('hex'), mode: '0755' }

test.before(async () => {
  conn = (await labHost(0)).conn
  const r = await conn.exec(sh`mkdir -p ${SRC} && printf '%s' ${BODY} > ${SRC}/tool
systemd-run --unit=kp-dl-http --collect -p WorkingDirectory=${SRC} python3 -m http.server ${String(PORT)} --bind 127.0.0.1 >/dev/null 2>&1
for i in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:${String(PORT)}/tool && exit 0; sleep 0.1; done; exit 1`)
  assert.is(r.code, 0, r.stderr)
})
test.after(async () => {
  await conn.exec(sh`systemctl stop kp-dl-http; rm -rf ${SRC} ${DEST_DIR}`)
  await conn.close()
})

test('downloads into a new directory, verifies, sets the mode; runs', async () => {
  await proveIdempotent(conn, download, params, { paths: [DEST_DIR] })
  assert.is(await out(sh`${params.dest}`), 'kp-tool')
  assert.is(await out(sh`stat -c %a ${params.dest}`), '755')
})

test('a different pin fails naming both digests; the old file stays, no temp file is left', async () => {
  await expectError(runModule(conn, download, { ...params, sha256: 'f'.repeat(64) }), ModuleError, new RegExp(`sha256 expected f{64}, found ${params.sha256}`))
  assert.is(await out(sh`${params.dest}`), 'kp-tool')
  assert.is(await out(sh`ls -A ${`${DEST_DIR}/bin`}`), 'kp-tool')
})

test('a mode change alone does not download again', async () => {
  const r = await runModule(conn, download, { ...params, mode: '0700' })
  assert.is(r.plan.changed && r.plan.summary, `set mode/owner of ${params.dest}`)
  assert.is(await out(sh`stat -c %a ${params.dest}`), '700')
})

test('a 404 is a CommandError naming the URL', async () => {
  await expectError(runModule(conn, download, { ...params, url: `http://127.0.0.1:${PORT}/nosuch`, dest: `${DEST_DIR}/x` }), Error, /download http:\/\/127\.0\.0\.1:18766\/nosuch/)
})

test.run()
