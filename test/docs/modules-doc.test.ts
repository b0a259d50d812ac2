/**
 * docs/modules.md is generated from the modules' source: the committed file must be exactly what
 * the generator writes now, so the reference cannot drift from the code.
 */
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as modules from '../../lib/modules/index.ts'
import { collectModules, MODULES_DOC, renderModulesDoc } from '../../scripts/gen-module-docs.ts'

const root = new URL('../..', import.meta.url).pathname
const mods = collectModules(root)

/** Every value export of lib/modules/index.ts that is a module (has check and apply). */
const exported = Object.entries(modules)
  .filter(([, v]) => typeof v === 'object' && v !== null && 'check' in v && 'apply' in v)
  .map(([k]) => k)

test('the committed docs/modules.md is what `npm run docs` generates', () => {
  const committed = readFileSync(new URL(`../../${MODULES_DOC}`, import.meta.url), 'utf8')
  assert.fixture(committed, renderModulesDoc(mods), `${MODULES_DOC} is stale: run \`npm run docs\``)
})

test('every module of lib/modules/index.ts is documented, in index order', () => {
  assert.equal([...mods.map((m) => m.name)].sort(), [...exported].sort())
  const index = readFileSync(new URL('../../lib/modules/index.ts', import.meta.url), 'utf8')
  const order = index.split('\n').filter((l) => l.startsWith('export {'))
    .flatMap((l) => l.slice(l.indexOf('{') + 1, l.indexOf('}')).split(',').map((w) => w.trim()))
    .filter((w) => exported.includes(w))
  assert.equal(mods.map((m) => m.name), order, 'modules appear in the order of index.ts')
})

test('every module has a description and a non-empty params table in the document', () => {
  const doc = renderModulesDoc(mods)
  for (const m of mods) {
    assert.ok(m.description, `${m.name}: expected a description (JSDoc), found none`)
    assert.ok(m.params.length > 0, `${m.name}: expected params, found none`)
    const section = doc.split(`\n## ${m.name}\n`)[1]?.split('\n## ')[0] ?? ''
    assert.ok(section, `${m.name}: expected a section, found none`)
    const rows = section.split('\n').filter((l) => /^\| `[^`]+` \|/.test(l))
    assert.is(rows.length, m.params.length, `${m.name}: one table row per param`)
    for (const p of m.params) assert.ok(rows.some((r) => r.startsWith(`| \`${p.name}\` |`)), `${m.name}.${p.name}: expected a row`)
  }
})

test('a field reads its type as written, optionality, @default and JSDoc', () => {
  const apt = mods.find((m) => m.name === 'aptPackages')
  const state = apt?.params.find((p) => p.name === 'state')
  assert.equal(state, {
    name: 'state', type: "'present' | 'absent' | 'latest'", required: false, default: "'present'", description: '',
    declaredIn: 'AptPackagesParams', file: 'lib/modules/apt-packages.ts',
  })
  const names = apt?.params.find((p) => p.name === 'names')
  assert.is(names?.required, true)
  assert.is(names?.type, 'readonly string[] | Readonly<Record<string, string>>')
})

test('an alias and inherited fields resolve to where they are declared', () => {
  const copy = mods.find((m) => m.name === 'copy')!
  assert.is(copy.paramsType, 'CopyParams')
  assert.equal(copy.paramsTarget, { name: 'ContentFileParams', file: 'lib/modules/content-file.ts' })
  assert.is(copy.params.find((p) => p.name === 'mode')?.declaredIn, 'FileAttrs')
  assert.is(copy.file, 'lib/modules/copy.ts')
})

test.run()
