/**
 * POSIX shell quoting. Every shell string kubeplay sends goes through `sh`, which quotes each
 * interpolated value for /bin/sh (dash): no bash-only `$'…'` syntax. A `ShellCommand` carries two
 * renderings: the real text (sent to the host) and a masked one (for logs, errors, reports) in which
 * every `Secret` (lib/secret.ts) reads `***`.
 */
import { inspect } from 'node:util'
import { MASK, Secret } from '../secret.ts'

/** Quotes one word for POSIX sh: `it's` → `'it'\''s'`. Empty string → `''`. */
export function quote(word: string): string {
  if (word === '') return "''"
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/** A rendered shell command: `text` is sent, `masked` is what anyone may see. */
export class ShellCommand {
  constructor(readonly text: string, readonly masked: string) {}
  toString(): string { return this.masked }
  toJSON(): string { return this.masked }
  [inspect.custom](): string { return `ShellCommand(${this.masked})` }
}

/** An unquoted fragment, spliced as is. Only for literal shell syntax written in our own code. */
export class Raw {
  constructor(readonly text: string) {}
}
export function raw(text: string): Raw {
  return new Raw(text)
}

export type ShellValue = string | number | Secret | ShellCommand | Raw | readonly ShellValue[]

function render(v: ShellValue): [string, string] {
  if (typeof v === 'number') return [String(v), String(v)]
  if (typeof v === 'string') { const q = quote(v); return [q, q] }
  if (v instanceof Secret) return [quote(v.reveal()), MASK]
  if (v instanceof ShellCommand) return [v.text, v.masked]
  if (v instanceof Raw) return [v.text, v.text]
  const parts = v.map(render)
  return [parts.map((p) => p[0]).join(' '), parts.map((p) => p[1]).join(' ')]
}

/**
 * Builds a shell command; every interpolated value is quoted (arrays become quoted words,
 * nested commands and `raw()` are spliced). `sh\`rm -f -- ${path}\``
 */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): ShellCommand {
  let text = strings[0] ?? ''
  let masked = text
  values.forEach((v, i) => {
    const [t, m] = render(v)
    const lit = strings[i + 1] ?? ''
    text += t + lit
    masked += m + lit
  })
  return new ShellCommand(text, masked)
}

/** Joins commands with a separator (`' && '`, `'; '`, `'\n'`). */
export function joinCommands(cmds: readonly ShellCommand[], sep = '\n'): ShellCommand {
  return new ShellCommand(cmds.map((c) => c.text).join(sep), cmds.map((c) => c.masked).join(sep))
}
