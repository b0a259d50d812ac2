/** Temp directory trees for inventory tests: `{ 'inventories/hosts.ini': '…' }` → a fresh dir. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { ConfigError, ConfigErrors } from '../../lib/errors.ts'

const made: string[] = []
process.once('exit', () => { for (const dir of made) rmSync(dir, { recursive: true, force: true }) })

/** A fresh temp dir with these files; removed when the test process exits. */
export function writeTree(files: Readonly<Record<string, string>>): string {
  const root = mkdtempSync(join(tmpdir(), 'kp-inv-'))
  made.push(root)
  // .ts vars files load as ES modules, like in the project itself.
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n')
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

/** The ConfigErrors thrown by `fn`, or a failure when it does not throw them. */
export async function configErrors(fn: () => unknown): Promise<readonly ConfigError[]> {
  try {
    await fn()
  } catch (e) {
    if (e instanceof ConfigErrors) return e.errors
    if (e instanceof ConfigError) return [e]
    throw e
  }
  throw new Error('expected ConfigErrors, nothing was thrown')
}
