/**
 * `../shared/reference` beside the clone (upstream manifests and CRDs, never committed here). Tests
 * that read it run when it is there and are registered as skipped, with the reason printed, on a
 * clone of the repository alone.
 */
import { existsSync, readFileSync } from 'node:fs'
import type { Callback, Test } from 'uvu'

export const REFERENCE = new URL('../../../shared/reference/', import.meta.url)
export const haveReference = existsSync(REFERENCE)

/** A reference file's text (only call it from a `withReference` test or after checking `haveReference`). */
export const reference = (path: string): string => readFileSync(new URL(path, REFERENCE), 'utf8')

export function withReference(test: Test, name: string, fn: Callback): void {
  if (haveReference) { test(name, fn); return }
  test.skip(name, fn)
  console.log(`  skipped: "${name}": ../shared/reference is not beside this clone`)
}
