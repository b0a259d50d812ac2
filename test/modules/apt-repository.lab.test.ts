/**
 * aptRepository on a lab host, against a flat repository served from the host's own loopback
 * (python3 http.server): the key is fetched over HTTP and pinned, apt sees the repo's package.
 */
import { createHash } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { ModuleError } from '../../lib/errors.ts'
import { aptRepository, type AptRepositoryParams } from '../../lib/modules/apt-repository.ts'
import { proveIdempotent } from '../helpers/module.ts'
import { labHost } from '../lab/connect.ts'
import { expectError } from './env.ts'

const REPO = '/srv/kp-repo'
const PORT = 18765
const KEY = 'not a real key: the repo is trusted=yes, this only proves fetch + pin\n'
let conn: Connection
const run = async (cmd: ReturnType<typeof sh>) => {
  const r = await conn.exec(cmd)
  if (r.code !== 0) throw new Error(`${cmd.masked}: exit ${r.code}: ${r.stderr}`)
  return r.stdout.trim()
}
const params: AptRepositoryParams = {
  name: 'kp-test', uris: `http://127.0.0.1:${PORT}/`, suites: './', trusted: true,
  signedBy: { url: `http://127.0.0.1:${PORT}/kp.asc`, sha256: createHash('sha256').update(KEY).digest('hex') },
}

test.before(async () => {
  conn = (await labHost(0)).conn
  // a one-package flat repository built with dpkg-deb alone (no dpkg-dev on the host)
  await run(sh`set -e
rm -rf ${REPO} && mkdir -p ${REPO}/pkg/DEBIAN && cd ${REPO}
printf 'Package: kp-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: kp <kp@example.invalid>\nDescription: kubeplay test package\n' > pkg/DEBIAN/control
dpkg-deb --build pkg kp-hello_1.0_all.deb >/dev/null
rm -rf pkg
deb=kp-hello_1.0_all.deb
{ printf 'Package: kp-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: kp <kp@example.invalid>\n'
  printf 'Filename: ./%s\nSize: %s\nSHA256: %s\n' "$deb" "$(stat -c %s "$deb")" "$(sha256sum "$deb" | cut -d' ' -f1)"
  printf 'Description: kubeplay test package\n\n'; } > Packages
printf '%s' ${KEY} > kp.asc
systemd-run --unit=kp-repo-http --collect -p WorkingDirectory=${REPO} python3 -m http.server ${String(PORT)} --bind 127.0.0.1 >/dev/null 2>&1
for i in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:${String(PORT)}/Packages && exit 0; sleep 0.1; done; exit 1`)
})

test.after(async () => {
  await conn.exec(sh`systemctl stop kp-repo-http; rm -rf ${REPO} /etc/apt/sources.list.d/kp-test.* /etc/apt/sources.list.d/kp-bad.* /etc/apt/keyrings/kp-test.asc /etc/apt/keyrings/kp-bad.asc
rm -f /var/lib/apt/lists/127.0.0.1*`)
  await conn.close()
})

test('writes the deb822 source and the pinned key, updates lists: apt sees the package', async () => {
  const proof = await proveIdempotent(conn, aptRepository, params, { paths: ['/etc/apt/sources.list.d/kp-test.sources', '/etc/apt/keyrings/kp-test.asc'] })
  assert.equal(proof.first.outcome, { output: 'package lists updated' })
  assert.is(await run(sh`cat /etc/apt/keyrings/kp-test.asc`), KEY.trim())
  assert.match(await run(sh`cat /etc/apt/sources.list.d/kp-test.sources`), 'Signed-By: /etc/apt/keyrings/kp-test.asc')
  assert.match(await run(sh`LC_ALL=C apt-cache policy kp-hello`), /Candidate: 1\.0/)
})

test('switching to the one-line format replaces the .sources file', async () => {
  const r = await runModule(conn, aptRepository, { ...params, format: 'list', update: false })
  assert.ok(r.applied)
  assert.is(await run(sh`ls /etc/apt/sources.list.d/ | grep kp-test`), 'kp-test.list')
  assert.match(await run(sh`cat /etc/apt/sources.list.d/kp-test.list`), `deb [signed-by=/etc/apt/keyrings/kp-test.asc trusted=yes] http://127.0.0.1:${PORT}/ ./`)
  assert.is((await runModule(conn, aptRepository, { ...params, format: 'list', update: false })).plan.changed, false)
})

test('a key whose sha256 differs from the pin is refused and nothing is written', async () => {
  const bad = { ...params, name: 'kp-bad', signedBy: { url: `http://127.0.0.1:${PORT}/kp.asc`, sha256: '0'.repeat(64) } }
  await expectError(runModule(conn, aptRepository, bad), ModuleError, /kp\.asc: sha256 expected 0{64}, found [0-9a-f]{64}; \/etc\/apt\/keyrings\/kp-bad\.asc left untouched/)
  assert.is(await run(sh`ls /etc/apt/sources.list.d/ /etc/apt/keyrings/ | grep -c kp-bad || true`), '0')
})

test('absent removes the source and the fetched key', async () => {
  const r = await runModule(conn, aptRepository, { ...params, format: 'list', state: 'absent', update: false })
  assert.ok(r.applied)
  assert.is(await run(sh`ls /etc/apt/sources.list.d/ /etc/apt/keyrings/ | grep -c kp-test || true`), '0')
  assert.is((await runModule(conn, aptRepository, { ...params, state: 'absent', update: false })).plan.changed, false)
})

test.run()
