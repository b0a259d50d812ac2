/**
 * Several read-only probes in one round trip: each runs in its own subshell and its stdout and exit
 * code come back as one section, so a module's check costs one exec however much it reads.
 */
import { joinCommands, sh, type ShellCommand } from '../connection/quote.ts'
import { readFileCommand } from '../connection/commands.ts'

const MARK = '__kubeplay_section__'

export interface Section {
  readonly code: number
  readonly out: string
}

/** The commands, run one after the other whatever their exit codes; stderr is dropped. */
export function batchCommand(cmds: readonly ShellCommand[]): ShellCommand {
  return joinCommands(cmds.map((c) => sh`( ${c}
) </dev/null 2>/dev/null; printf '\n%s %d\n' ${MARK} "$?"`))
}

/** Splits batchCommand output back into one section per command. */
export function parseBatch(stdout: string, count: number): Section[] {
  const sections: Section[] = []
  let from = 0
  for (const m of stdout.matchAll(new RegExp(`\\n${MARK} (\\d+)\\n`, 'g'))) {
    sections.push({ code: Number(m[1]), out: stdout.slice(from, m.index) })
    from = m.index! + m[0].length
  }
  if (sections.length !== count) {
    throw new Error(`probe output: expected ${count} sections, found ${sections.length}`)
  }
  return sections
}

/** A file's text for a batch section: `readFileCommand` exits 3 when the file is absent. */
export function fileSection(s: Section, path: string): string | null {
  if (s.code === 3) return null
  if (s.code !== 0) throw new Error(`cannot read ${path} (exit ${s.code})`)
  return s.out
}

export { readFileCommand }
