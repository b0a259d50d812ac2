/** shell on a host: removes guard, changedWhen/failedWhen, chdir/env/stdin, param checks. */
import type { Test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../../lib/connection/quote.ts'
import { secret } from '../../../lib/secret.ts'
import { runModule } from '../../../lib/engine/adhoc.ts'
import { CommandError, ModuleError } from '../../../lib/errors.ts'
import { command } from '../../../lib/modules/command.ts'
import { shell } from '../../../lib/modules/shell.ts'
import { proveIdempotent } from '../../helpers/module.ts'
import { expectError, pathIn, type EnvRef } from '../env.ts'

export function shellSuite(test: Test, env: EnvRef): void {
  test('shell: removes makes it idempotent', async () => {
    const e = env()
    const path = pathIn(e, "it's $(here)")
    await e.conn.writeFile(path, 'x')
    const { second } = await proveIdempotent(e.conn, shell, { cmd: sh`rm -f -- ${path}`, removes: path }, { paths: [path] })
    assert.is(second.plan.changed ? '' : second.plan.reason, `${path} does not exist`)
  })

  test('failedWhen and changedWhen decide from the result', async () => {
    const e = env()
    const grep = { cmd: 'grep -q needle /dev/null', failedWhen: (r: { code: number }) => r.code > 1, changedWhen: () => false }
    const r = await runModule(e.conn, shell, grep)
    assert.equal(r.outcome, { changed: false, output: '' })
    const c = await runModule(e.conn, shell, { cmd: 'echo changed', changedWhen: (x) => x.stdout.includes('changed') })
    assert.is(c.outcome?.changed, true)
    await expectError(runModule(e.conn, shell, { cmd: 'echo ERROR', failedWhen: (x) => x.stdout.includes('ERROR') }), CommandError, /exit 0/)
  })

  test('chdir, env (secrets too) and stdin', async () => {
    const e = env()
    const dir = pathIn(e, 'work dir $(x)')
    await e.conn.exec(sh`mkdir -- ${dir}`)
    const r = await runModule(e.conn, shell, {
      cmd: 'pwd; printf "%s|%s\\n" "$GREETING" "$TOKEN"; cat',
      chdir: dir,
      env: { GREETING: "hello 'world' $(nope)", TOKEN: secret('env-secret-456') },
      stdin: 'from stdin\n',
    })
    assert.is(r.outcome?.output, `${dir}\nhello 'world' $(nope)|env-secret-456\nfrom stdin\n`)
    assert.ok(r.plan.changed && !JSON.stringify(r.plan).includes('env-secret-456'))
    await expectError(runModule(e.conn, command, { argv: ['true'], chdir: `${dir}/missing` }), CommandError, /exit 1/)
  })

  test('rejects bad params naming the key', async () => {
    const e = env()
    await expectError(runModule(e.conn, command, { argv: [] }), ModuleError, /argv: expected a non-empty array \(program first\), found \[\]/)
    await expectError(runModule(e.conn, shell, { cmd: ' ' }), ModuleError, /cmd: expected a non-empty script, found " "/)
    await expectError(runModule(e.conn, shell, { cmd: 'true', env: { 'BAD-NAME': 'x' } }), ModuleError, /env: expected variable names like FOO_BAR, found "BAD-NAME"/)
    await expectError(runModule(e.conn, shell, { cmd: 'true', creates: '' }), ModuleError, /creates: expected a path, found ""/)
  })
}
