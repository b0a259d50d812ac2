/**
 * The pipelined-shell protocol without SSH: wrapped commands are written to a local /bin/sh (dash)
 * and the MarkerScanner reads its output, exactly as over an SSH channel.
 */
import { spawn } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { MarkerScanner, markerPrintf, wrapCommand, type WrapInput } from '../../lib/connection/shell-session.ts'
import { HOSTILE } from './hostile.ts'

test('MarkerScanner finds a marker split across chunks of any size and keeps the rest', () => {
  const stream = Buffer.from('hello\x00\xffworld TOK_1:42\nnext')
  for (let size = 1; size <= stream.length; size++) {
    const s = new MarkerScanner()
    s.expect(Buffer.from('TOK_1:'))
    for (let i = 0; i < stream.length; i += size) s.push(stream.subarray(i, i + size))
    const got = s.take()
    assert.ok(got, `chunk size ${size}`)
    assert.equal([...got.body], [...Buffer.from('hello\x00\xffworld ')])
    assert.is(got.trailer, '42')
    s.expect(Buffer.from('next'))
    assert.ok(s.take() === undefined) // found, but its line is not complete yet
  }
})

test('MarkerScanner waits for the newline after the marker', () => {
  const s = new MarkerScanner()
  s.expect(Buffer.from('M:'))
  s.push(Buffer.from('out M:1'))
  assert.is(s.take(), undefined)
  s.push(Buffer.from('27\n'))
  assert.equal(s.take()?.trailer, '127')
})

test('MarkerScanner finds a marker already buffered before expect()', () => {
  const s = new MarkerScanner()
  s.push(Buffer.from('early M:0\n'))
  s.expect(Buffer.from('M:'))
  assert.is(s.take()?.body.toString(), 'early ')
})

test('MarkerScanner handles 5 MB in 16 KiB chunks without rescanning (fast)', () => {
  const s = new MarkerScanner()
  s.expect(Buffer.from('KPabc_1:'))
  const chunk = Buffer.alloc(16384, 0x41)
  const t0 = performance.now()
  for (let i = 0; i < 320; i++) s.push(chunk)
  s.push(Buffer.from('KPabc_1:0\n'))
  const got = s.take()
  assert.is(got?.body.length, 320 * 16384)
  assert.ok(performance.now() - t0 < 500)
})

/** Runs wrapped commands through one local sh, as the SSH shell does. */
async function viaSh(inputs: Array<Omit<WrapInput, 'token'>>): Promise<Array<{ code: number; stdout: string; stderr: string }>> {
  const child = spawn('sh', [], { stdio: ['pipe', 'pipe', 'pipe'] })
  const out = new MarkerScanner()
  const err = new MarkerScanner()
  let wake = (): void => {}
  child.stdout.on('data', (b: Buffer) => { out.push(b); wake() })
  child.stderr.on('data', (b: Buffer) => { err.push(b); wake() })
  const results = []
  for (const [i, input] of inputs.entries()) {
    const token = `KPtest_${i}`
    out.expect(Buffer.from(`${token}:`))
    err.expect(Buffer.from(`${token}:`))
    child.stdin.write(wrapCommand({ ...input, token }))
    let o: ReturnType<MarkerScanner['take']>
    let e: ReturnType<MarkerScanner['take']>
    for (;;) {
      o ??= out.take()
      e ??= err.take()
      if (o && e) break
      await new Promise<void>((r) => { wake = r })
    }
    results.push({ code: Number(o.trailer), stdout: o.body.toString(), stderr: e.body.toString() })
  }
  child.stdin.end()
  return results
}

test('commands keep the shell alive: exit, syntax errors, cd, set -e, reading stdin', async () => {
  const r = await viaSh([
    { command: 'exit 7' },
    { command: 'if then fi (' },
    { command: 'cd /; set -e; false' },
    { command: 'pwd; cat; echo done' },
    { command: 'echo alive' },
  ])
  assert.is(r[0]!.code, 7)
  assert.is(r[1]!.code, 2)
  assert.is(r[2]!.code, 1)
  assert.is(r[3]!.stdout, `${process.cwd()}\ndone\n`) // cd stayed in its subshell; cat read /dev/null
  assert.equal(r[4], { code: 0, stdout: 'alive\n', stderr: '' })
})

test('stdin through the here-document, env and cwd', async () => {
  const content = Buffer.from(HOSTILE.map(([, v]) => v).join('\0'))
  const [a, b, c] = await viaSh([
    { command: 'cat', stdin: content },
    { command: 'printf "%s|%s" "$A" "$B"', env: [['A', "it's $(x)"], ['B', '']] },
    { command: 'pwd', cwd: '/tmp' },
  ])
  assert.is(a!.stdout, content.toString())
  assert.is(b!.stdout, "it's $(x)|")
  assert.is(c!.stdout, '/tmp\n')
})

test('a missing cwd fails the command, not the shell', async () => {
  const [a, b] = await viaSh([{ command: 'echo no', cwd: '/nonexistent/kp' }, { command: 'echo yes' }])
  assert.is(a!.code, 1)
  assert.match(a!.stderr, /nonexistent/)
  assert.is(b!.stdout, 'yes\n')
})

test('timeoutMs wraps in timeout -s KILL: 137 after the limit, the shell carries on', async () => {
  const t0 = Date.now()
  const [a, b] = await viaSh([{ command: 'sleep 5; echo late', timeoutMs: 300 }, { command: 'echo next' }])
  assert.is(a!.code, 137)
  assert.ok(Date.now() - t0 < 3000)
  assert.is(b!.stdout, 'next\n')
})

test('hostile commands run exactly as written', async () => {
  const r = await viaSh(HOSTILE.map(([, v]) => ({ command: `printf %s '${v.replace(/'/g, `'\\''`)}'` })))
  assert.equal(r.map((x) => x.stdout), HOSTILE.map(([, v]) => v))
})

test('markerPrintf prints TOKEN:trailer on stdout and TOKEN: on stderr', () => {
  assert.is(markerPrintf('T_1', '"$?"'), `printf '%s:%s\\n' T_1 "$?"; printf '%s:\\n' T_1 >&2`)
})

test.run()
