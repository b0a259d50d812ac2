import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { secret } from '../../lib/secret.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { ModuleError } from '../../lib/errors.ts'
import { renderTemplate, template } from '../../lib/modules/template.ts'
import { expectError, localEnv, pathIn } from './env.ts'
import { templateSuite } from './suites/template.ts'

type Case = [name: string, source: string, context: Record<string, unknown>, expected: string]

const cases: Case[] = [
  ['substitutes variables', 'port {{port}}\n', { port: 6443 }, 'port 6443\n'],
  ['does not HTML-escape', 'x={{v}}', { v: `<a href="b">&'` }, `x=<a href="b">&'`],
  ['nested keys', '{{k8s.version}}', { k8s: { version: '1.31.2' } }, '1.31.2'],
  ['join', 'servers {{join hosts " "}}', { hosts: ['a', 'b', 'c'] }, 'servers a b c'],
  ['join defaults to commas', '{{join hosts}}', { hosts: ['a', 'b'] }, 'a,b'],
  ['eq in a condition', '{{#if (eq role "master")}}M{{else}}W{{/if}}', { role: 'master' }, 'M'],
  ['indent every line but the first', 'key:\n  {{indent cert 2}}\n', { cert: 'L1\nL2\nL3' }, 'key:\n  L1\n  L2\n  L3\n'],
  ['default for an unset value', '{{default proxy "none"}}', { proxy: null }, 'none'],
  ['if on a missing optional variable is false, not an error', '{{#if extra}}E{{/if}}x', {}, 'x'],
  ['each over a list', '{{#each hosts}}server {{this.name}} {{this.ip}}\n{{/each}}', { hosts: [{ name: 'a', ip: '10.0.0.1' }, { name: 'b', ip: '10.0.0.2' }] }, 'server a 10.0.0.1\nserver b 10.0.0.2\n'],
  ['json', '{{{json v}}}', { v: { a: [1, 'x'] } }, '{"a":[1,"x"]}'],
  ['secrets render as their value', 'token: {{t}}', { t: secret('tpl-secret-value') }, 'token: tpl-secret-value'],
  ['hostile values are just text', '{{v}}', { v: "$(rm -rf /) `x` '\"\n" }, "$(rm -rf /) `x` '\"\n"],
]

for (const [name, source, context, expected] of cases) {
  test(`renderTemplate: ${name}`, () => {
    assert.is(renderTemplate(source, context, 'test.hbs'), expected)
  })
}

test('renderTemplate: a missing variable names the variable, the template and the line', () => {
  const cases: [string, RegExp][] = [
    ['a\nport {{port}}\n', /^template: haproxy\.cfg\.hbs:2: variable 'port' is not defined/],
    ['{{k8s.version}}', /haproxy\.cfg\.hbs:1: variable 'k8s\.version' is not defined/],
    ['{{#each hosts}}{{this.ip}}{{/each}}', /variable 'this\.ip' is not defined/],
  ]
  for (const [source, re] of cases) {
    assert.throws(() => renderTemplate(source, { k8s: {}, hosts: [{ name: 'a' }] }, 'haproxy.cfg.hbs'),
      (e: unknown) => e instanceof ModuleError && re.test(e.message))
  }
})

test('renderTemplate: a syntax error names the template', () => {
  assert.throws(() => renderTemplate('{{#if x}}', { x: 1 }, 'broken.hbs'), (e: unknown) => e instanceof ModuleError && /^template: broken\.hbs: /.test(e.message))
})

const ctl = localEnv(test)

test('template: src is re-read when its mtime changes, and not otherwise', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kp-tpl-'))
  try {
    const src = join(dir, 'a.conf.hbs')
    const path = pathIn(ctl())
    writeFileSync(src, 'v1 {{x}}\n')
    utimesSync(src, 1000, 1000)
    await runModule(ctl().conn, template, { path, src, vars: { x: 1 } })
    writeFileSync(src, 'v2 {{x}}\n')
    utimesSync(src, 1000, 1000)
    assert.is((await runModule(ctl().conn, template, { path, src, vars: { x: 1 } })).plan.changed, false, 'same mtime: cached text')
    utimesSync(src, 2000, 2000)
    await runModule(ctl().conn, template, { path, src, vars: { x: 1 } })
    assert.is((await ctl().conn.readFile(path))?.toString(), 'v2 1\n')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('template: params are checked', async () => {
  const path = pathIn(ctl())
  await expectError(runModule(ctl().conn, template, { path }), ModuleError, /expected exactly one of src \(a \.hbs file\) or source \(template text\), found neither/)
  await expectError(runModule(ctl().conn, template, { path, src: '/x.hbs', source: 'x' }), ModuleError, /found both/)
  await expectError(runModule(ctl().conn, template, { path, src: '/nonexistent/x.hbs' }), ModuleError, /src: expected a readable template file, found none at '\/nonexistent\/x\.hbs'/)
})

templateSuite(test, ctl)

test.run()
