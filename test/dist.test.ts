/**
 * dist/: kubeplay precompiled (scripts/build.ts). A playbook importing `kubeplay` by name loads the
 * bundle, with the same exports as the sources and the same output; an edit to a source makes the
 * stubs load the sources instead; a process that would hold two copies stops with a clear error;
 * templates and package.json are found beside the sources from inside the bundle (package.json at
 * load: a wrong path would fail every import).
 *
 * npm test built dist/ just before and runs the test files with the sources (--conditions=
 * kubeplay-source); the children here drop that condition to run kubeplay as a user does.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DYNAMIC_IMPORT, entries, rewriteImportMeta, routeDynamicImports, withoutSourceCondition, withSourceCondition } from '../scripts/build.ts'
import { builtFromHere, sha1 } from '../scripts/dist-fresh.ts'

const root = new URL('../', import.meta.url).pathname
const work = mkdtempSync(join(tmpdir(), 'kp-dist-'))
test.after(() => rmSync(work, { recursive: true, force: true }))

const userEnv = (): NodeJS.ProcessEnv => ({ ...withoutSourceCondition(), CI: 'true' })
const sourceEnv = (): NodeJS.ProcessEnv => withSourceCondition(userEnv())

/** Runs a module file with tsx in `cwd`; the script is written to a file there (imports resolve from it). */
function runScript(cwd: string, code: string, env: NodeJS.ProcessEnv) {
  const file = join(cwd, `probe-${Math.random().toString(36).slice(2)}.mts`)
  writeFileSync(file, code)
  try {
    return spawnSync(process.execPath, ['--import', 'tsx', file], { cwd, encoding: 'utf8', env })
  } finally { rmSync(file, { force: true }) }
}

const COPY = `console.log(String(globalThis[Symbol.for('kubeplay.copy')]))`

test('built: a stub in dist/ for every entry of package.json exports, and fresh', () => {
  for (const e of entries(root)) assert.ok(existsSync(join(root, e.stub)), `${e.subpath}: ${e.stub}`)
  const r = runScript(root, `import { fresh } from './dist/fresh.js'\nconsole.log(fresh)`, userEnv())
  assert.is(r.stdout.trim(), 'true', r.stderr)
})

test('by name, kubeplay loads the bundle; with the source condition, the sources', () => {
  const probe = `import 'kubeplay'\n${COPY}`
  const dist = runScript(root, probe, userEnv())
  assert.is(dist.stdout.trim(), 'dist/ (the built bundle)', dist.stderr)
  const src = runScript(root, probe, sourceEnv())
  assert.is(src.stdout.trim(), 'lib/ (the TypeScript sources)', src.stderr)
})

test('each entry exports the same values from the bundle as from its sources', () => {
  const code = `const out = {}\nfor (const s of ${JSON.stringify(entries(root).map((e) => e.subpath))}) out[s] = Object.keys(await import(s === '.' ? 'kubeplay' : 'kubeplay/' + s.slice(2))).sort()\nconsole.log(JSON.stringify(out))`
  const dist = runScript(root, code, userEnv())
  const src = runScript(root, code, sourceEnv())
  assert.is(dist.status, 0, dist.stderr)
  assert.is(src.status, 0, src.stderr)
  const d = JSON.parse(dist.stdout) as Record<string, string[]>
  assert.equal(d, JSON.parse(src.stdout))
  assert.ok(d['.']!.includes('runPlaybook') && d['./roles']!.includes('haproxy'), dist.stdout)
})

test('every playbook lists the same tasks (or refuses the same way) from the bundle as from the sources', () => {
  const books = readdirSync(join(root, 'playbooks')).filter((f) => f.endsWith('.ts') && f !== 'start.ts')
  assert.ok(books.length >= 10, books.join(' '))
  for (const book of books) {
    const args = ['--import', 'tsx', `playbooks/${book}`, '-i', 'inventory.ts', '--list-tasks']
    const dist = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: userEnv() })
    const src = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: sourceEnv() })
    assert.is(dist.status, src.status, `${book}: ${dist.stderr}`)
    assert.is(dist.stdout, src.stdout, book)
    assert.is(dist.stderr, src.stderr, book)
    assert.not.match(dist.stderr, /loaded twice|Cannot find|internal error/, book)
  }
  const site = spawnSync(process.execPath, ['--import', 'tsx', 'playbooks/site.ts', '-i', 'inventory.ts', '--list-hosts'], { cwd: root, encoding: 'utf8', env: userEnv() })
  assert.match(site.stdout, /play 'Load balancer' \(1 hosts\): haproxy1/)
})

test('the kubeplay command runs from the bundle, as from the sources', () => {
  const args = [join(root, 'bin/kubeplay.mjs'), 'inventory', '-i', 'inventory.ts', '--list']
  const dist = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: userEnv() })
  const src = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: sourceEnv() })
  assert.is(dist.status, 0, dist.stderr)
  assert.is(dist.stdout, src.stdout)
  assert.ok((JSON.parse(dist.stdout) as { _meta: { hostvars: Record<string, unknown> } })._meta.hostvars.haproxy1, dist.stdout.slice(0, 200))
})

test('every file the bundle reads beside its sources (templates, package.json) is there', () => {
  const codeDir = join(root, 'dist/code')
  let seen = 0
  for (const f of readdirSync(codeDir).filter((n) => n.endsWith('.js'))) {
    const text = readFileSync(join(codeDir, f), 'utf8')
    for (const m of text.matchAll(/new URL\(("[^"]+"|`[^`]+`), new URL\("([^"]+)", import\.meta\.url\)\.href\)/g)) {
      const source = new URL(m[2]!, `file://${codeDir}/`)
      assert.ok(existsSync(source), `${f}: ${source.pathname}`)
      const target = m[1]!.slice(1, -1)
      const dir = target.includes('${') ? target.slice(0, target.indexOf('${')) : target
      assert.ok(existsSync(new URL(dir, source)), `${f}: ${target} beside ${m[2]}`)
      seen++
    }
  }
  assert.ok(seen >= 10, `${seen} file references found in the bundle`)
})

test('a template renders from the bundle (Handlebars required on first use, from beside the sources)', () => {
  const r = runScript(root, `import { renderTemplate } from 'kubeplay/modules'\nconsole.log(renderTemplate('port {{port}} {{join hosts " "}}', { port: 6443, hosts: ['a', 'b'] }, 't.hbs'))\n${COPY}`, userEnv())
  assert.is(r.stdout, 'port 6443 a b\ndist/ (the built bundle)\n', r.stderr)
})

test('a run from the bundle: local host, run record, the JSON report (a chunk loaded on first use)', () => {
  const inv = join(work, 'local.json')
  writeFileSync(inv, JSON.stringify({ hosts: { h1: { connection: 'local' } } }))
  const json = join(work, 'run.json')
  const pb = join(root, `probe-pb-${process.pid}.ts`)
  writeFileSync(pb, `import { main, play, playbook, task } from 'kubeplay'\nimport { command } from 'kubeplay/modules'\nmain(import.meta.url, playbook('p', [play('p', { hosts: 'all', items: [task('say', command, { argv: ['true'] })] })]))\n`)
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', pb, '-i', inv, '--json', json, '--state-dir', join(work, 'state')], { cwd: root, encoding: 'utf8', env: userEnv() })
    assert.is(r.status, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /h1\s+: ok=0 changed=1/)
    const report = JSON.parse(readFileSync(json, 'utf8')) as { totals?: unknown; hosts?: unknown }
    assert.ok(report.hosts, JSON.stringify(report).slice(0, 200))
  } finally { rmSync(pb, { force: true }) }
})

test('dynamic imports go through one small module (tsx rewrites each file holding one, at a cost)', () => {
  assert.is(routeDynamicImports('const a = 1'), 'const a = 1')
  const routed = routeDynamicImports('const m = await import("./chunk-A.js")')
  assert.ok(routed.startsWith(`import { dynamicImport as __kubeplayImport } from './${DYNAMIC_IMPORT}';`), routed)
  assert.ok(routed.endsWith('const m = await __kubeplayImport("./chunk-A.js")'), routed)
  const codeDir = join(root, 'dist/code')
  const holding = readdirSync(codeDir).filter((f) => readFileSync(join(codeDir, f), 'utf8').includes('import('))
  assert.equal(holding, [DYNAMIC_IMPORT])
})

test('two copies in one process (the bundle by name, the sources by path) stop with a clear error', () => {
  const r = runScript(root, `import './lib/secret.ts'\nawait import('kubeplay')\n${COPY}`, userEnv())
  assert.is.not(r.status, 0, r.stdout)
  assert.match(r.stderr, /kubeplay is loaded twice in this process: from lib\/ \(the TypeScript sources\) and from dist\/ \(the built bundle\)/)
  assert.match(r.stderr, /--conditions=kubeplay-source/)
})

test('a source edited since the build: the stubs load the sources, never the old bundle', () => {
  const pkg = join(work, 'pkg')
  for (const d of ['lib', 'roles', 'dist', 'package.json']) cpSync(join(root, d), join(pkg, d), { recursive: true, preserveTimestamps: true })
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'))
  const probe = `import 'kubeplay'\n${COPY}`
  assert.is(runScript(pkg, probe, userEnv()).stdout.trim(), 'dist/ (the built bundle)')
  const errors = join(pkg, 'lib/errors.ts')
  writeFileSync(errors, `${readFileSync(errors, 'utf8')}// edited\n`)
  const r = runScript(pkg, probe, userEnv())
  assert.is(r.stdout.trim(), 'lib/ (the TypeScript sources)', r.stderr)
})

test('fresh: same size and mtime, or same content under a new mtime; else stale', () => {
  const dir = join(work, 'fresh')
  cpSync(join(root, 'scripts/dist-fresh.ts'), join(dir, 'a.ts'))
  const file = join(dir, 'a.ts')
  const data = readFileSync(file)
  const inputs = { 'a.ts': { size: data.length, mtimeMs: statSync(file).mtimeMs, sha1: sha1(data) } }
  const at = new URL(`file://${dir}/`)
  assert.ok(builtFromHere(at, inputs))
  utimesSync(file, new Date(500_000_000_000), new Date(500_000_000_000)) // what npm pack leaves
  assert.ok(builtFromHere(at, inputs), 'same content, new mtime')
  writeFileSync(file, data.toString().replace('export', 'EXPORT'))
  assert.not.ok(builtFromHere(at, inputs), 'same size, other content')
  assert.not.ok(builtFromHere(at, { ...inputs, 'gone.ts': inputs['a.ts'] }), 'a source missing')
})

test('import.meta.url: rewritten to the source file in new URL(…) and fileURLToPath(…), left alone in text', () => {
  const src = [
    "const t = fileURLToPath(new URL('./templates/x.hbs', import.meta.url))",
    'const f = (n) => new URL(`./templates/${n}`, import.meta.url)',
    'if (a === fileURLToPath(import.meta.url)) go()',
    '// main(import.meta.url, pb) in a comment',
  ].join('\n')
  const r = rewriteImportMeta(src, '/pkg/roles/r/render.ts', '/pkg/dist/code')
  assert.is(r.left, 0)
  assert.ok(r.code.includes(`new URL('./templates/x.hbs', new URL("../../roles/r/render.ts", import.meta.url).href)`), r.code)
  assert.ok(r.code.includes('new URL(`./templates/${n}`, new URL("../../roles/r/render.ts", import.meta.url).href)'), r.code)
  assert.ok(r.code.includes('fileURLToPath(new URL("../../roles/r/render.ts", import.meta.url).href)'), r.code)
  const text = rewriteImportMeta('const s = `main(import.meta.url, site)`', '/pkg/lib/x.ts', '/pkg/dist/code')
  assert.is(text.left, 1, 'a use the rewrite does not cover is counted (the build fails on it unless the file only writes it out)')
})

test.run()
