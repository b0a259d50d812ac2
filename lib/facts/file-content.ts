/**
 * A file's stat and bytes in one round trip, for modules that manage a file's content and
 * attributes together (copy, template, lineInFile, blockInFile). Binary-safe: the content is
 * taken from the raw output bytes after the stat header.
 */
import { sh } from '../connection/quote.ts'
import { defineFact } from '../engine/module.ts'
import { fileReadahead, parseStatOutput, statScript, type FileStat } from './file-stat.ts'

export interface FileContent {
  readonly stat: FileStat
  /** Null unless the path is a regular file (links are not followed). */
  readonly content: Buffer | null
}

export const fileContent = defineFact<string, FileContent | null>({
  name: 'fileContent',
  readahead: fileReadahead,
  command: (path) => statScript(path, sh`if [ -f "$p" ] && ! [ -L "$p" ]; then cat -- "$p" || exit 1; fi`),
  parse(r, path) {
    const s = parseStatOutput(r, path, 'fileContent')
    return s && { stat: s.stat, content: s.stat.type === 'file' ? s.rest : null }
  },
})
