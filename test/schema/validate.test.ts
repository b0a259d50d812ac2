import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as s from '../../lib/schema/validate.ts'
import { isSecret } from '../../lib/secret.ts'
import { ConfigErrors } from '../../lib/errors.ts'

const problems = (schema: s.Schema<unknown>, value: unknown) =>
  s.validate(schema, value, 'f.yml').errors.map((e) => `${e.key}: expected ${e.expected}, found ${e.found}`)

test('each kind of schema names the key path, the expectation and what was found', () => {
  const table: Array<[s.Schema<unknown>, unknown, string[]]> = [
    [s.string(), 3, ['(top level): expected a string, found 3']],
    [s.int({ min: 1, max: 65535 }), 70000, ['(top level): expected an integer 1..65535, found 70000']],
    [s.number(), Number.NaN, ['(top level): expected a number, found NaN']],
    [s.boolean(), 'yes', ['(top level): expected true or false, found "yes"']],
    [s.enumOf(['ssh', 'local']), 'winrm', ["(top level): expected 'ssh' | 'local', found \"winrm\""]],
    [s.array(s.string()), ['a', 1], ['[1]: expected a string, found 1']],
    [s.record(s.int()), { a: 1, b: 'x' }, ['b: expected an integer, found "x"']],
    [s.object({ port: s.int() }), {}, ['port: expected an integer, found nothing']],
    [s.object({ hosts: s.record(s.object({ port: s.int() })) }), { hosts: { '10.0.0.1': { port: '22' } } },
      ['hosts["10.0.0.1"].port: expected an integer, found "22"']],
    [s.union(s.boolean(), s.string()), 3, ['(top level): expected true or false or a string, found 3']],
    [s.secret(), 1234, ['(top level): expected a string or secret(), found a number']],
    [s.refine(s.string(), 'a version like 1.31.4', (v) => /^\d+\.\d+\.\d+$/.test(v)), '1.31', ['(top level): expected a version like 1.31.4, found "1.31"']],
    [s.custom('an even number', (v) => (v === 2 ? v : { error: 'an even number' })), 3, ['(top level): expected an even number, found 3']],
  ]
  for (const [schema, value, want] of table) assert.equal(problems(schema, value), want, JSON.stringify(value))
})

test('all problems are collected; the valid part is still returned', () => {
  const schema = s.object({ a: s.int(), b: s.string(), c: s.optional(s.boolean()) })
  const r = s.validate(schema, { a: 'x', b: 2, c: true, own: 1 }, 'f')
  assert.is(r.errors.length, 2)
  assert.equal(r.value, { c: true, own: 1 })
})

test('strict objects reject unknown keys and suggest the near one; partial skips missing keys', () => {
  const schema = s.object({ address: s.optional(s.string()), port: s.int() }, { strict: true })
  assert.equal(problems(schema, { adress: 'x', port: 22 }), ["adress: expected a known key (did you mean 'address'?), found an unknown key"])
  assert.equal(s.validate(schema, {}, 'f', { partial: true }).errors, [])
})

test('secret() turns strings into Secret; parse throws ConfigErrors', () => {
  const v = s.parse(s.object({ pw: s.secret() }), { pw: 'hunter2' }, 'f')
  assert.ok(isSecret(v.pw))
  try {
    s.parse(s.int(), 'x', 'f')
    assert.unreachable()
  } catch (e) {
    assert.instance(e, ConfigErrors)
  }
})

test.run()
