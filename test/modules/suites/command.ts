/** command on a host: argv quoting, guards, failures. Shared run logic (chdir, env, when) is proven in shell's suite. */
import type { Test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../../lib/connection/quote.ts'
import { secret } from '../../../lib/secret.ts'
import { runModule } from '../../../lib/engine/adhoc.ts'
import { CommandError } from '../../../lib/errors.ts'
import { command } from '../../../lib/modules/command.ts'
import { shell } from '../../../lib/modules/shell.ts'
import { proveIdempotent } from '../../helpers/module.ts'
import { HOSTILE } from '../../connection/hostile.ts'
import { expectError, pathIn, type EnvRef } from '../env.ts'

export function commandSuite(test: Test, env: EnvRef): void {
  test('command: argv words reach the program exactly, never as shell syntax', async () => {
    const e = env()
    const values = HOSTILE.map(([, v]) => v)
    const r = await runModule(e.conn, command, { argv: ['printf', '%s\\0', ...values] })
    assert.ok(r.plan.changed && r.plan.summary.startsWith('run exec printf'))
    assert.equal(r.outcome?.output?.split('\0').slice(0, -1), values)
    assert.is((await e.conn.exec(sh`test -e /tmp/kp-pwned`)).code, 1, 'a hostile value was executed')
  })

  test('command: creates makes it idempotent; check mode runs nothing', async () => {
    const e = env()
    const path = pathIn(e, 'made by command')
    await proveIdempotent(e.conn, command, { argv: ['touch', path], creates: path }, { paths: [path] })
  })

  test('a non-zero exit throws CommandError with the masked command and stderr', async () => {
    const e = env()
    const token = secret('cmd-secret-123')
    const err = await expectError(runModule(e.conn, command, { argv: ['sh', '-c', 'echo boom >&2; exit 7', token] }), CommandError, /exit 7/)
    assert.match(err.message, /boom/)
    assert.not.ok(err.message.includes('cmd-secret-123'))
    await expectError(runModule(e.conn, shell, { cmd: 'false' }), CommandError, /command failed \(exit 1\): false/)
  })
}
