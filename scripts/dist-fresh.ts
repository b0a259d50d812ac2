/**
 * dist/fresh.js, compiled by scripts/build.ts: whether dist/ was built from the sources beside it.
 * Every entry stub in dist/ asks it once and loads the bundle when it is fresh, the TypeScript
 * sources (lib/, roles/) when one of them changed since the build, so an edit is never shadowed
 * by an old bundle. A file counts as unchanged when its size and mtime are the build's, or, when
 * only its mtime differs (a git checkout, a package extracted by npm), when its content hash is.
 */
import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'

/** dist/inputs.json: every source file the bundle was built from, relative to the package root. */
export interface BuildInputs {
  readonly [file: string]: { readonly size: number; readonly mtimeMs: number; readonly sha1: string }
}

export function sha1(data: Buffer): string {
  return createHash('sha1').update(data).digest('hex')
}

/** True when every input still has the content it had at build time (root: the package's URL). */
export function builtFromHere(root: URL, inputs: BuildInputs): boolean {
  for (const [file, want] of Object.entries(inputs)) {
    const url = new URL(file, root)
    let size: number, mtimeMs: number
    try { ({ size, mtimeMs } = statSync(url)) } catch { return false }
    if (size !== want.size) return false
    if (mtimeMs !== want.mtimeMs && sha1(readFileSync(url)) !== want.sha1) return false
  }
  return true
}

function readInputs(): BuildInputs | null {
  try { return JSON.parse(readFileSync(new URL('./inputs.json', import.meta.url), 'utf8')) as BuildInputs } catch { return null }
}

const inputs = readInputs()
export const fresh = inputs !== null && builtFromHere(new URL('../', import.meta.url), inputs)
