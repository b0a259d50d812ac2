/**
 * A guide's shell commands, in order, to run as written against a lab: the ```sh blocks of a
 * Markdown file, a trailing `\` joining lines as the shell does. Commands that must not run in a
 * test are listed here with the reason (the test logs it), never dropped in silence.
 */
import { mkdtempSync, readdirSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface DocCommand { readonly line: string; readonly notRun?: string }

const NOT_RUN: ReadonlyArray<readonly [RegExp, string]> = [
  [/^npm ci && npm start\b/, 'builds the bundle and the lab and runs the site playbook: what this test did to get here'],
  [/^npm run lab -- down\b/, 'tears the lab down: the test does that when it ends'],
]

/** Pure: the commands of the ```sh / ```bash blocks of `markdown`, in order. */
export function docCommands(markdown: string): DocCommand[] {
  const out: DocCommand[] = []
  for (const block of markdown.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)) {
    const text = block[1]!.replace(/\\\n\s*/g, '')
    for (const raw of text.split('\n')) {
      const line = raw.trim()
      if (!line || line.startsWith('#')) continue
      const notRun = NOT_RUN.find(([re]) => re.test(line))?.[1]
      out.push(notRun ? { line, notRun } : { line })
    }
  }
  return out
}

/**
 * Pure: a command written for the default lab (`kubeplay`) pointed at the lab `name` the way
 * docs/lab.md says for a lab of another name: `-i lab:NAME` for playbooks, `--name NAME` for the lab
 * command, that lab's ssh_config.
 */
export function forLab(line: string, name: string, stateDir: string): string {
  return line
    .replace(/(npx tsx playbooks\/[\w-]+\.ts)(?! -i )/g, `$1 -i lab:${name}`)
    .replace(/ -i lab(?=\s|$)/g, ` -i lab:${name}`)
    .replace(/(npm run lab -- (?:status|poweroff \S+|poweron \S+))/g, `$1 --name ${name}`)
    .replaceAll('/var/lib/kubeplay-lab/kubeplay/', `${stateDir}/`)
}

/**
 * A throwaway project directory whose entries link to the repository's (all but .kubeplay), so
 * commands run as in the repository while their run records and last-run.json stay out of it.
 */
export function linkedProject(root: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kp-docs-'))
  for (const e of readdirSync(root)) if (e !== '.kubeplay' && e !== '.git') symlinkSync(join(root, e), join(dir, e))
  return dir
}

/**
 * Pure: the files a guide asks the reader to write — its ```ts / ```handlebars blocks whose first
 * line names the path (`// playbooks/login.ts`, `{{! roles/login/templates/x.hbs }}`), except those
 * marked "(in this repository)".
 */
export function docFiles(markdown: string): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = []
  for (const block of markdown.matchAll(/```(?:ts|handlebars)\n([\s\S]*?)```/g)) {
    const text = block[1]!
    const m = /^(?:\/\/ (\S+)(.*)|\{\{! (\S+) \}\})\n/.exec(text)
    const path = m?.[1] ?? m?.[3]
    if (!path || /in this repository/.test(m?.[2] ?? '')) continue
    out.push({ path, text })
  }
  return out
}
