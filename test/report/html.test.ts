import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { esc, formatMs, renderHtmlReport, writeHtmlReport } from '../../lib/report/html.ts'
import { dumpDom, screenshot } from '../helpers/chromium.ts'
import { DIFF_PATH, HOSTILE_TITLE, reportRun, SECRET } from '../helpers/report-run.ts'

const root = new URL('../..', import.meta.url).pathname
const outDir = join(root, 'test/output')
const tmp = mkdtempSync(join(tmpdir(), 'kubeplay-report-'))
const result = await reportRun()
const opts = { inventory: 'stub', argv: ['-i', 'stub', '--diff'], kubeplayVersion: '0.1.0', rerun: 'tsx playbooks/site.ts -i stub --retry' }
const page = renderHtmlReport(result, opts)
const file = join(tmp, 'report.html')
writeHtmlReport(result, file, opts)

/** The inner HTML of each element whose opening tag contains `marker`, for elements that do not nest themselves. */
function elements(html: string, marker: string, tag = 'div'): string[] {
  const out: string[] = []
  for (let i = html.indexOf(marker); i >= 0; i = html.indexOf(marker, i + 1)) {
    const start = html.indexOf('>', i) + 1
    out.push(html.slice(start, html.indexOf(`</${tag}>`, start)))
  }
  return out
}

test('escapes text as element content and as attribute value', () => {
  assert.is(esc(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;')
  assert.is(formatMs(950), '950 ms')
  assert.is(formatMs(1234), '1.2 s')
  assert.is(formatMs(75_000), '1 m 15 s')
})

test('the page is self-contained: no external URL, one script (ours), run values escaped', () => {
  assert.not.match(page, /(?:src|href)=["']?(?:https?:)?\/\//i)
  assert.not.match(page, /@import|url\(/i)
  assert.is(page.match(/<script/g)?.length, 1)
  assert.ok(page.includes(esc(HOSTILE_TITLE)))
  assert.not.ok(page.includes(HOSTILE_TITLE))
  assert.not.ok(page.includes('<script>alert'))
  assert.not.ok(page.includes(SECRET), 'a Secret value reached the page')
  assert.ok(page.includes('***'))
})

test('writeHtmlReport writes atomically and leaves no temp file', () => {
  assert.is(readFileSync(file, 'utf8'), page)
  assert.equal(readdirSync(tmp), ['report.html'])
})

test('check mode is marked in the header and planned bars are hatched', async () => {
  const planned = renderHtmlReport(await reportRun({ checkMode: true }), opts)
  assert.match(planned, 'badge check')
  assert.match(planned, /class="bar s-changed planned"/)
  assert.match(planned, 'Planned changes')
})

test('in headless Chromium: one timeline bar per task per host, the diff and the failure are rendered', () => {
  const dom = dumpDom(file)
  assert.match(dom, /<html[^>]*data-ready="true"/, 'the inline script did not run')
  for (const host of ['m1', 'm2', 'w1', 'w2']) {
    const track = elements(dom, `class="track" data-host="${host}"`)
    assert.is(track.length, 1, `one timeline row for ${host}`)
    const bars = track[0]!.match(/class="bar /g)?.length ?? 0
    assert.is(bars, result.results.filter((r) => r.host === host).length, `bars of ${host}`)
  }
  assert.match(elements(dom, 'class="track" data-host="w1"')[0]!, 'data-status="unreachable"')
  const diffs = elements(dom, 'class="diff"', 'pre')
  assert.is(diffs.length, 3, 'one diff per host that wrote the config (m1, m2, w2)')
  const d = diffs[0]!
  assert.ok(d.includes(`<span class="hdr">--- before: ${esc(DIFF_PATH)}</span>`), d)
  assert.ok(d.includes('<span class="del">-port = 80</span>'), d)
  assert.ok(d.includes('<span class="add">+port = 8080</span>'), d)
  assert.ok(d.includes('<span class="add">+mode = "new &lt;script&gt;evil()&lt;/script&gt;"</span>'), d)
  assert.ok(d.includes('<span class="add">+password = ***</span>'), d)
  assert.ok(d.includes('<span class="ctx"> keep = 1</span>'), d)
  const failure = elements(dom, 'class="err"', 'pre').join('\n')
  assert.match(failure, 'installer exited 1')
  assert.match(failure, 'token=***')
  assert.not.match(dom, SECRET)
  // the page's own script is the only one that made it into the DOM
  assert.is(dom.match(/<script/g)?.length, 1)
})

test('in headless Chromium: a screenshot of the page is a real 1280×900 PNG', () => {
  mkdirSync(outDir, { recursive: true })
  const png = join(outDir, 'report.png')
  rmSync(png, { force: true })
  screenshot(file, png, 1280, 900)
  const buf = readFileSync(png)
  assert.equal([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  assert.is(buf.readUInt32BE(16), 1280)
  assert.is(buf.readUInt32BE(20), 900)
  // a blank or error page compresses to a few KB; a rendered report does not
  assert.ok(statSync(png).size > 30_000, `screenshot is only ${statSync(png).size} bytes`)
  // the whole page too, for a human to look at
  screenshot(file, join(outDir, "report-full.png"), 1280, 2900)
  assert.ok(existsSync(join(outDir, 'report-full.png')))
})

test.after(() => rmSync(tmp, { recursive: true, force: true }))
test.run()
