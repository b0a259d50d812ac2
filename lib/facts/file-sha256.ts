/**
 * A file's stat and sha256 in one round trip, for files too large to read back whole (binaries,
 * image archives): the `upload` module compares digests, never bytes.
 */
import { sh } from '../connection/quote.ts'
import { defineFact } from '../engine/module.ts'
import { parseStatOutput, statScript, type FileStat } from './file-stat.ts'

export interface FileDigest {
  readonly stat: FileStat
  /** Hex sha256; null unless the path is a regular file (links are not followed). */
  readonly sha256: string | null
}

export const fileSha256 = defineFact<string, FileDigest | null>({
  name: 'fileSha256',
  command: (path) => statScript(path, sh`if [ -f "$p" ] && ! [ -L "$p" ]; then sha256sum -- "$p" | cut -c1-64 || exit 1; fi`),
  parse(r, path) {
    const s = parseStatOutput(r, path, 'fileSha256')
    if (!s) return null
    const sum = s.rest.toString('utf8').trim()
    return { stat: s.stat, sha256: s.stat.type === 'file' && /^[a-f0-9]{64}$/.test(sum) ? sum : null }
  },
})
