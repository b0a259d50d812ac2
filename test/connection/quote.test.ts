import { existsSync, rmSync } from 'node:fs'
import { inspect } from 'node:util'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LocalConnection } from '../../lib/connection/local.ts'
import { joinCommands, quote, raw, sh } from '../../lib/connection/quote.ts'
import { derivedForms, mask, secret } from '../../lib/secret.ts'
import { HOSTILE } from './hostile.ts'

const local = new LocalConnection()
const PWNED = '/tmp/kp-pwned'

test.before(() => rmSync(PWNED, { force: true }))

for (const [name, value] of HOSTILE) {
  test(`quote round-trips through /bin/sh: ${name}`, async () => {
    const r = await local.exec(sh`printf %s ${value}`)
    assert.is(r.code, 0, r.stderr)
    assert.is(r.stdout, value)
    assert.not.ok(existsSync(PWNED), 'a quoted value was executed')
  })
}

test('an array interpolates as separate quoted words', async () => {
  const words = HOSTILE.map(([, v]) => v)
  const r = await local.exec(sh`for w in ${words}; do printf '[%s]' "$w"; done`)
  assert.is(r.stdout, words.map((w) => `[${w}]`).join(''))
})

test('quote leaves plain words bare and quotes everything else POSIX-style', () => {
  assert.is(quote('/etc/hosts'), '/etc/hosts')
  assert.is(quote('a=b,c:d@e%f+g'), 'a=b,c:d@e%f+g')
  assert.is(quote(''), "''")
  assert.is(quote("it's"), `'it'\\''s'`)
  assert.not.match(quote('a\nb'), /\$'/) // never bash-only $'…'
})

test('numbers, raw fragments and nested commands splice as written', async () => {
  const inner = sh`printf %s ${'a b'}`
  const cmd = sh`${inner}; printf ${raw("'|%s|'")} ${42}`
  assert.is(cmd.text, "printf %s 'a b'; printf '|%s|' 42")
  assert.is((await local.exec(cmd)).stdout, 'a b|42|')
})

test('a secret is sent for real but renders as *** in masked, toString, JSON and inspect', async () => {
  const pw = secret("s3cr'et $(x)")
  const cmd = sh`printf %s ${pw}`
  assert.is((await local.exec(cmd)).stdout, "s3cr'et $(x)")
  assert.is(cmd.masked, 'printf %s ***')
  assert.is(String(cmd), 'printf %s ***')
  assert.is(JSON.stringify({ cmd, pw }), '{"cmd":"printf %s ***","pw":"***"}')
  assert.not.match(inspect({ cmd, pw }), /s3cr/)
  assert.is(`${pw}`, '***')
})

test('mask() scrubs every known secret from any text, longest first', () => {
  secret('hunter2')
  secret('hunter2-longer')
  assert.is(mask('pw=hunter2-longer and hunter2.'), 'pw=*** and ***.')
  assert.is(mask(''), '')
  assert.is(mask('nothing here'), 'nothing here')
})

test('secrets in env reach the command and not the masked text', async () => {
  const token = secret('tok-123')
  const r = await local.exec(sh`printf %s "$TOKEN"`, { env: { TOKEN: token } })
  assert.is(r.stdout, 'tok-123')
})

test('joinCommands joins both renderings', () => {
  const c = joinCommands([sh`echo ${secret('zz-top')}`, sh`true`], ' && ')
  assert.is(c.text, 'echo zz-top && true')
  assert.is(c.masked, 'echo *** && true')
})

test('mask: long secrets everywhere, short secrets only as whole words', () => {
  secret('Sup3r-s3cret-value')
  secret('ab1')
  assert.is(mask('token=Sup3r-s3cret-value;x=prefixSup3r-s3cret-valuesuffix'), 'token=***;x=prefix***suffix')
  assert.is(mask('pw ab1, tab1e stays, cab1n stays, (ab1)'), 'pw ***, tab1e stays, cab1n stays, (***)')
  assert.is(mask('a.b*c literal'), 'a.b*c literal')
})

test('mask (indexed by 3-character prefix) equals a scan of every known string, longest first, on texts built from the secrets', () => {
  const values = ['Zq9-pass', 'ab', 'x*y*z-123456', 'a*', 'pw-n01-2201', 'pw-n01-22010', 'é€-ünïcode-secret', 'line1\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX\nend']
  for (const v of values) secret(v)
  const forms = [...new Set(values.flatMap((v) => [v, ...derivedForms(v)]))]
  const naive = (text: string): string => {
    let out = text
    for (const f of [...forms].sort((a, b) => b.length - a.length)) {
      if (!out.includes(f)) continue
      out = f.length >= 6 ? out.split(f).join('***') : out.replace(new RegExp(`(?<![A-Za-z0-9])${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9])`, 'g'), '***')
    }
    return out
  }
  let seed = 7
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n }
  const pieces = [...forms, ' ', 'ab', '*', '**', 'pw-', 'x*y', 'plain text ', '"', "'", '\n', 'Zq9', 'pass']
  for (let i = 0; i < 500; i++) {
    const text = Array.from({ length: 1 + rnd(6) }, () => pieces[rnd(pieces.length)]!).join('')
    // mask() also knows the earlier tests' secrets: what the scan leaves, it masks the same way.
    assert.is(mask(text), mask(naive(text)), JSON.stringify(text))
  }
})

test('mask by construction: every transformed form of a hostile secret is masked (JSON, Python JSON, shell-quoted, YAML, HTML, URL, base64, key lines)', () => {
  for (const [name, v] of HOSTILE) {
    const value = `Kp-${name.length}-${v}-tail`
    secret(value)
    const py = JSON.stringify(value).slice(1, -1).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    const forms: Record<string, string> = {
      raw: value, json: JSON.stringify(value), python: `"${py}"`, shell: quote(value), yaml: `'${value.replace(/'/g, "''")}'`,
      url: encodeURIComponent(value), base64: Buffer.from(value).toString('base64'), base64nl: Buffer.from(`${value}\n`).toString('base64'),
      html: value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;').replace(/`/g, '&#x60;').replace(/=/g, '&#x3D;'),
    }
    for (const [kind, form] of Object.entries(forms)) {
      const out = mask(`before ${form} after`)
      assert.ok(!out.includes(value) && !out.includes(form.replace(/^["']|["']$/g, '')), `${name} as ${kind}: ${out}`)
    }
  }
})

test('derived forms: lines of key material count, ordinary lines and short forms do not', () => {
  const pem = '-----BEGIN KEY-----\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldY\nshort\napiVersion: v1\n-----END KEY-----'
  const forms = derivedForms(pem)
  assert.ok(forms.includes('QUJDREVGR0hJSktMTU5PUFFSU1RVVldY'))
  assert.not.ok(forms.includes('short'))
  assert.not.ok(forms.includes('apiVersion: v1'), 'a line with blanks is not key material')
  assert.ok(derivedForms('ab').every((f) => f.length >= 6))
})

test.run()
