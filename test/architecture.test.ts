/**
 * The layers of docs/concepts.md, read from the code: every static and dynamic import between
 * kubeplay's own files points down (or stays in its layer), no import cycles, and no file in lib/ over
 * 250 lines.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const root = new URL('../', import.meta.url).pathname

/** Lowest first. A file may import its own layer or any layer listed before it. */
export const LAYERS: readonly (readonly [string, RegExp])[] = [
  ['secret values', /^lib\/secret\.ts$/],
  ['errors', /^lib\/errors\.ts$/],
  ['schema', /^lib\/schema\//],
  ['connection', /^lib\/connection\//],
  ['secret sources and vault', /^lib\/(secrets|vault)\.ts$/],
  ['inventory', /^lib\/inventory\//],
  ['engine', /^lib\/engine\//],
  ['facts', /^lib\/facts\//],
  ['modules', /^lib\/modules\//],
  ['lab', /^lib\/lab\//],
  ['k8s', /^lib\/k8s\//],
  ['bundle', /^lib\/bundle\//],
  ['report', /^lib\/report\//],
  ['cli', /^lib\/cli\//],
  ['public API', /^lib\/index\.ts$/],
  ['roles', /^roles\//],
  ['project (playbooks, group_vars, inventory)', /^(playbooks\/|group_vars\/|inventory\.ts$|examples\/)/],
]

const layerOf = (file: string): number => LAYERS.findIndex(([, re]) => re.test(file))

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : []
  })
}

const files = ['lib', 'roles', 'playbooks', 'group_vars', 'examples'].flatMap((d) => walk(join(root, d)))
  .concat(join(root, 'inventory.ts')).map((f) => relative(root, f))

/** Relative imports of one file: `import … from`, `export … from`, `import('…')`. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8')
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g), ...text.matchAll(/\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)]
    .map((m) => m[1]!)
  return specs.map((s) => relative(root, resolve(dirname(join(root, file)), s)))
}

test('every file belongs to a layer', () => {
  assert.equal(files.filter((f) => layerOf(f) < 0), [])
})

test('imports point down: no file imports a layer above its own', () => {
  const upward = files.flatMap((f) => importsOf(f).filter((t) => layerOf(t) > layerOf(f))
    .map((t) => `${f} (${LAYERS[layerOf(f)]![0]}) imports ${t} (${LAYERS[layerOf(t)]![0]})`))
  assert.equal(upward, [])
})

test('the import reader sees static, re-export and dynamic imports', () => {
  // A known edge of each kind, so a reader that finds nothing cannot pass the test above.
  assert.ok(importsOf('lib/connection/quote.ts').includes('lib/secret.ts'))
  assert.ok(importsOf('lib/index.ts').includes('lib/engine/task.ts'))
  assert.ok(importsOf('lib/cli/kubeplay.ts').includes('lib/cli/import-ansible.ts'))
})

test('no import cycles between the files of lib/ (type-only imports included)', () => {
  const graph = new Map(files.filter((f) => f.startsWith('lib/')).map((f) => [f, importsOf(f).filter((t) => t.startsWith('lib/'))]))
  const cycles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const visit = (f: string, path: string[]): void => {
    if (state.get(f) === 'done') return
    if (state.get(f) === 'open') { cycles.push([...path.slice(path.indexOf(f)), f].join(' → ')); return }
    state.set(f, 'open')
    for (const t of graph.get(f) ?? []) visit(t, [...path, f])
    state.set(f, 'done')
  }
  for (const f of graph.keys()) visit(f, [])
  assert.equal(cycles, [])
})

test('no file in lib/ over 250 lines', () => {
  const lines = (f: string): number => readFileSync(join(root, f), 'utf8').split('\n').length - 1
  assert.equal(files.filter((f) => f.startsWith('lib/') && lines(f) > 250).map((f) => `${f}: ${lines(f)} lines`), [])
})

test.run()
