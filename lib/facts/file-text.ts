/** A text file's content (following links, as `cat` does), or null when the path does not exist. */
import { isAbsent, readFileCommand } from '../connection/commands.ts'
import { CommandError } from '../errors.ts'
import { defineFact } from '../engine/module.ts'

export const fileText = defineFact<string, string | null>({
  name: 'fileText',
  command: (path) => readFileCommand(path),
  parse(r, path) {
    if (isAbsent(r)) return null
    if (r.code !== 0) throw new CommandError('fileText', `cat ${path}`, r.code, '', r.stderr)
    return r.stdout
  },
})
