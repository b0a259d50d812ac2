/** ANSI colour for the console and the live progress, and when to use it (no-color.org, FORCE_COLOR). */

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const
export type Colour = keyof typeof CODES

export type Paint = (c: Colour, s: string) => string

export function paintWith(color: boolean): Paint {
  return color ? (c, s) => `\x1b[${CODES[c]}m${s}\x1b[0m` : (_c, s) => s
}

/**
 * Colour when the stream is a terminal, unless `NO_COLOR` is set to anything non-empty or
 * `TERM=dumb`. `FORCE_COLOR` wins over both either way (`0`/`false` off, anything else on), as in
 * Node itself, so CI systems that render ANSI can ask for it.
 */
export function useColor(stream: { readonly isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR
  if (force !== undefined) return force !== '0' && force !== 'false'
  if (env.NO_COLOR) return false
  return !!stream.isTTY && env.TERM !== 'dumb'
}

/** Colours a unified diff line by line: headers bold, hunks cyan, removals red, additions green. */
export function paintDiffLine(line: string, paint: Paint): string {
  if (line.startsWith('--- ') || line.startsWith('+++ ')) return paint('bold', line)
  if (line.startsWith('@@')) return paint('cyan', line)
  if (line.startsWith('+')) return paint('green', line)
  if (line.startsWith('-')) return paint('red', line)
  return line
}
