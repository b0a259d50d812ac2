/** template on a host: rendered from host vars + task vars, managed like copy, secrets masked. */
import type { Test } from 'uvu'
import * as assert from 'uvu/assert'
import { secret } from '../../../lib/secret.ts'
import { runModule } from '../../../lib/engine/adhoc.ts'
import { ModuleError } from '../../../lib/errors.ts'
import { template } from '../../../lib/modules/template.ts'
import { proveIdempotent, snapshot } from '../../helpers/module.ts'
import { attrsOf, expectError, pathIn, type EnvRef } from '../env.ts'

const SOURCE = `global
  maxconn {{maxconn}}
backend apiserver
{{#each masters}}
  server {{this.name}} {{this.ip}}:6443 check
{{/each}}
`

export function templateSuite(test: Test, env: EnvRef): void {
  test('renders host vars merged with task vars, then reports no change', async () => {
    const e = env()
    const path = pathIn(e, 'haproxy.cfg')
    const vars = { maxconn: 100, masters: [{ name: 'm1', ip: '10.0.0.1' }] }
    await proveIdempotent(e.conn, template, { path, source: SOURCE, vars: { maxconn: 4000 }, mode: '0640' }, { paths: [path], vars })
    assert.is((await e.conn.readFile(path))?.toString(), 'global\n  maxconn 4000\nbackend apiserver\n  server m1 10.0.0.1:6443 check\n')
    assert.is((await attrsOf(e, path)).mode, '0640')
  })

  test('a missing variable fails check and leaves the host untouched', async () => {
    const e = env()
    const path = pathIn(e)
    await e.conn.writeFile(path, 'old\n')
    const before = await snapshot(e.conn, [path])
    await expectError(runModule(e.conn, template, { path, source: SOURCE, vars: { masters: [] } }), ModuleError, /variable 'maxconn' is not defined/)
    assert.is(await snapshot(e.conn, [path]), before)
  })

  test('secret vars reach the file; the diff masks them', async () => {
    const e = env()
    const path = pathIn(e, 'token.conf')
    await e.conn.writeFile(path, 'token: old-value\n')
    const token = secret(`tpl-${Math.random()}`)
    const { first } = await proveIdempotent(e.conn, template, { path, source: 'token: {{token}}\n', vars: { token }, mode: '0600' }, { paths: [path] })
    assert.ok(first.plan.changed)
    if (first.plan.changed) {
      assert.is(first.plan.diff?.after, 'token: ***\n')
      assert.not.ok(first.plan.diff?.before?.includes('old-value'), 'old content of a file with secrets in plan')
    }
    assert.not.ok(JSON.stringify(first.plan).includes(token.reveal()))
    assert.is((await e.conn.readFile(path))?.toString(), `token: ${token.reveal()}\n`)
  })

  test('validate runs on the rendered temp file', async () => {
    const e = env()
    const path = pathIn(e)
    await expectError(runModule(e.conn, template, { path, source: 'x={{x}}\n', vars: { x: 'bad' }, validate: 'grep -q x=good %s' }), Error, /validation failed/)
    assert.is(await e.conn.readFile(path), null)
    await proveIdempotent(e.conn, template, { path, source: 'x={{x}}\n', vars: { x: 'good' }, validate: 'grep -q x=good %s' }, { paths: [path] })
  })
}
