/**
 * The public API is what docs/concepts.md lists: `import … from 'kubeplay'` (lib/index.ts) exports
 * exactly the values and types of its table, no more, no less.
 */
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as api from '../lib/index.ts'

const root = new URL('../', import.meta.url).pathname
const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort()

/** The table of the section "The public API": column 2 values, column 3 types. */
function documented(): { values: string[]; types: string[] } {
  const doc = readFileSync(`${root}docs/concepts.md`, 'utf8')
  const section = doc.slice(doc.indexOf('## The public API'))
  const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| for') && !l.startsWith('| ---'))
  const names = (cell: string | undefined): string[] => [...(cell ?? '').matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]!)
  return {
    values: sorted(rows.flatMap((r) => names(r.split('|')[2]))),
    types: sorted(rows.flatMap((r) => names(r.split('|')[3]))),
  }
}

/** lib/index.ts's export lists, read as text: `type X` entries and `export type { … }` are types. */
function exported(): { values: string[]; types: string[] } {
  const text = readFileSync(`${root}lib/index.ts`, 'utf8')
  const values: string[] = []
  const types: string[] = []
  for (const m of text.matchAll(/export (type )?\{([^}]*)\}/g)) {
    for (const raw of m[2]!.split(',').map((s) => s.trim()).filter(Boolean)) {
      const isType = Boolean(m[1]) || raw.startsWith('type ')
      ;(isType ? types : values).push(raw.replace(/^type\s+/, ''))
    }
  }
  assert.not.match(text, /export \*/, 'lib/index.ts re-exports a whole module')
  return { values: sorted(values), types: sorted(types) }
}

test('the documented table lists 40+ names (the reader found the section)', () => {
  const d = documented()
  assert.ok(d.values.length >= 40 && d.types.length >= 30, `${d.values.length} values, ${d.types.length} types`)
})

test('lib/index.ts exports exactly the documented values and types', () => {
  const d = documented()
  const e = exported()
  assert.equal(e.values, d.values)
  assert.equal(e.types, d.types)
})

test('at run time the module has exactly the documented values', () => {
  assert.equal(sorted(Object.keys(api)), documented().values)
})

test.run()
