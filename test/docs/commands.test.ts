/**
 * The commands the README and docs/ show cannot drift from the code: every `npx tsx FILE` names a
 * file of this repository (docs/writing-roles.md excepted: its playbooks live in the reader's own
 * project), every `npm run X` a script of package.json, every playbook command line parses with the
 * CLI's own argument parser, and the commands that contact nothing (`--list-hosts`, `--list-tasks`,
 * `--list-tags` on the example inventory) run, here, with the exit code the docs promise.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT, parseArgs } from '../../lib/cli/args.ts'
import { runCli } from '../../lib/cli/main.ts'
import { kubeplayCli, parseReportArgs } from '../../lib/cli/kubeplay.ts'
import { parseAdhocArgs } from '../../lib/cli/adhoc.ts'
import { adhocModulePlaybook, parseModuleCommand } from '../../lib/cli/module.ts'
import { parseVaultArgs } from '../../lib/cli/vault.ts'
import { shellSplit } from '../../lib/inventory/ansible-vars.ts'
import type { Playbook } from '../../lib/engine/task.ts'

const root = new URL('../../', import.meta.url).pathname

function markdown(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? markdown(p) : p.endsWith('.md') ? [p] : []
  })
}

interface Command { readonly doc: string; readonly line: string; readonly words: string[]; readonly exit?: number }

/** Every command of the ```sh / ```bash blocks, with the exit code its comment promises (`# exit 5`). */
function commands(): Command[] {
  const out: Command[] = []
  for (const file of [join(root, 'README.md'), ...markdown(join(root, 'docs'))]) {
    const doc = relative(root, file)
    for (const block of readFileSync(file, 'utf8').matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) {
      for (const raw of block[1]!.split('\n')) {
        const line = raw.replace(/^\s*\$\s+/, '').trim()
        if (!line || line.startsWith('#')) continue
        // Each command of a `a && b || c` line; the comment belongs to the line.
        const [cmd, comment = ''] = line.split(/\s+#\s/, 2) as [string, string?]
        // `# exit 5: …` promises an exit code; `# exit 4 on a bad inventory` describes another case.
        const exit = /^exit (\d+)(:|$)/.exec(comment.trim())?.[1]
        for (const part of cmd.split(/\s*(?:&&|\|\||;|\|)\s*/)) {
          const words = shellSplit(part)
          if (!Array.isArray(words) || !words.length) continue
          // A usage synopsis (`[-i INVENTORY]`) is not a command; redirections are the shell's.
          if (words.some((w) => w.startsWith('['))) continue
          const kept = words.filter((w, i) => !/^\d?>/.test(w) && !/^\d?>/.test(words[i - 1] ?? ''))
          out.push({ doc, line, words: kept, ...(exit !== undefined ? { exit: Number(exit) } : {}) })
        }
      }
    }
  }
  return out
}

const all = commands()
const tsx = all.filter((c) => c.words[0] === 'npx' && c.words[1] === 'tsx')

test('the docs show commands at all (the extraction works)', () => {
  assert.ok(tsx.length >= 20, `${tsx.length} npx tsx commands found`)
  assert.ok(all.some((c) => c.words[0] === 'npm' && c.words[1] === 'run'))
})

test('every `npx tsx FILE` names a file of this repository', () => {
  const missing = tsx.filter((c) => c.doc !== 'docs/writing-roles.md' && !existsSync(join(root, c.words[2]!)))
  assert.equal(missing.map((c) => `${c.doc}: ${c.line}`), [])
})

test('every `npm run X` is a script of package.json', () => {
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
  const missing = all.filter((c) => c.words[0] === 'npm' && c.words[1] === 'run' && !(c.words[2]! in scripts))
  assert.equal(missing.map((c) => `${c.doc}: ${c.line}`), [])
})

test('every playbook command line parses with the CLI\'s own parser', () => {
  const bad: string[] = []
  for (const c of tsx.filter((x) => /^(playbooks|examples)\//.test(x.words[2] ?? ''))) {
    // Placeholders the reader fills in (`-e node=<host>`, `…`) are not flags.
    const args = c.words.slice(3).filter((w) => !/[…<>]/.test(w))
    try { parseArgs(args) } catch (e) { bad.push(`${c.doc}: ${c.line}: ${(e as Error).message}`) }
  }
  assert.equal(bad, [])
})

test('the commands that contact nothing run as the docs say (--list-* on the example inventory)', async () => {
  const offline = tsx.filter((c) => c.words[2]?.startsWith('playbooks/') && c.words.includes('inventory.ts')
    && c.words.some((w) => /^--list-(hosts|tasks|tags)$/.test(w)) && existsSync(join(root, c.words[2]!)))
  assert.ok(offline.length >= 2, `${offline.length} offline commands`)
  for (const c of offline) {
    const mod = await import(join(root, c.words[2]!)) as Record<string, unknown>
    const pb = Object.values(mod).find((v): v is Playbook => !!v && typeof v === 'object' && 'plays' in v)
      ?? (Object.values(mod).find((v) => typeof v === 'function') as (() => Playbook) | undefined)?.()
    assert.ok(pb, `${c.words[2]} exports a playbook`)
    const lines: string[] = []
    const code = await runCli(pb!, c.words.slice(3), { out: (l) => lines.push(l), err: (l) => lines.push(l) })
    assert.is(code, c.exit ?? EXIT.ok, `${c.doc}: ${c.line}\n${lines.join('\n')}`)
  }
})

test('every `npx kubeplay` command names a subcommand and parses; `inventory` ones (they contact nothing) run', async () => {
  const cmds = all.filter((c) => c.words[0] === 'npx' && c.words[1] === 'kubeplay')
  assert.ok(cmds.length >= 4, `${cmds.length} kubeplay commands`)
  for (const c of cmds) {
    const [sub, ...rest] = c.words.slice(2)
    assert.ok(['ping', 'shell', 'module', 'facts', 'inventory', 'report', 'vault', 'import', 'playbook', 'lab', '--help'].includes(sub ?? ''), `${c.doc}: ${c.line}`)
    if (sub === 'ping' || sub === 'shell' || sub === 'facts' || sub === 'inventory') parseAdhocArgs(rest.filter((w) => !/[…<>]/.test(w)))
    if (sub === 'report') parseReportArgs(rest)
    if (sub === 'vault') parseVaultArgs(rest)
    // Parsed and built (module name and parameters checked); never run: it would connect.
    if (sub === 'module') await adhocModulePlaybook(parseModuleCommand(rest))
    if (sub === 'playbook') parseArgs(rest.slice(1))
    if (sub === 'inventory' && rest.includes('inventory.ts')) {
      const lines: string[] = []
      const code = await kubeplayCli(c.words.slice(2), { out: (l) => lines.push(l), err: (l) => lines.push(l) })
      assert.is(code, c.exit ?? EXIT.ok, `${c.doc}: ${c.line}\n${lines.join('\n')}`)
    }
  }
})

/**
 * Pure: how a documented command is proven, or why it is never run by a test. Every command falls
 * under one rule; a new command no rule covers fails the test below until it is given one.
 */
function provenBy(c: Command): string | undefined {
  const w = c.words
  const line = w.join(' ')
  if (/\[-|^\[/.test(c.line)) return 'a usage synopsis: each flag is parsed by the tests of its command'
  if (c.line.startsWith('jq ')) return 'never run: jq is not a dependency; the fields it reads are held by test/report/json.test.ts'
  if (c.doc === 'docs/quickstart.md') return 'run on the real lab: test/playbooks/cluster.lab.test.ts (npm start and lab down named as not run)'
  if (c.doc === 'docs/writing-roles.md' && !line.includes('inventory.ts') && !line.includes('example.com')) return 'run on the lab: test/docs/writing-roles.lab.test.ts'
  if (w.some((x) => /^--list-(hosts|tasks|tags)$/.test(x)) || (w[1] === 'kubeplay' && w[2] === 'inventory')) return 'run here: contacts nothing'
  if (/(^| )(-i )?(inventory\.ts|inventories\/hosts\.ini)( |$)/.test(line) || line.includes('example.com')) return 'never run: the example inventory\'s hosts (10.110.190.x) or a placeholder URL; parsed here'
  if (w[1] === 'kubeplay' && w[2] === 'vault') return 'test/cli/vault.test.ts runs each action (against ansible-vault); parsed here'
  if (w[1] === 'kubeplay' && w[2] === 'import') return 'test/cli/import-ansible.test.ts runs the import'
  if (w[1] === 'kubeplay' && w[2] === 'report') return 'test/cli/kubeplay.test.ts and test/cli/shard.test.ts run reports (one run, merged)'
  if (w[1] === 'kubeplay' && (w[2] === 'lab' || w[2] === 'completion')) return 'test/cli/kubeplay.test.ts (completion) and the lab tests (lab)'
  if (w[0] === 'eval') return 'test/cli/kubeplay.test.ts completes words with the script in bash'
  if (w[0] === 'npm' && w[1] === 'run' && w[2] === 'bench') return 'test/bench/bench.test.ts runs the --quick smoke test'
  if (w[0] === 'npm' && w[1] === 'run' && w[2] === 'bundle') return 'not run as written (a bundle build, up to 30 min): npm test builds the cluster test\'s bundles through the same code (test/run.ts)'
  if (w[0] === 'npm' && (w[1] === 'ci' || w[1] === 'start' || w[1] === 'test')) return '.ci/run (npm ci && npm test); npm start\'s build is the cluster test\'s'
  if (w[0] === 'npm' && w[1] === 'run' && w[2] === 'lab') return 'the lab tests (up, status, down, poweroff/poweron in the cluster test)'
  if (w[0] === 'ssh') return 'the quickstart\'s copy of it runs on the real lab'
  return undefined
}

test('every documented command is proven somewhere, or says why not (no command left unaccounted)', () => {
  const unaccounted = all.filter((c) => !provenBy(c)).map((c) => `${c.doc}: ${c.line}`)
  assert.equal(unaccounted, [], 'give each command a rule in provenBy()')
  const counts = new Map<string, number>()
  for (const c of all) counts.set(provenBy(c)!, (counts.get(provenBy(c)!) ?? 0) + 1)
  console.log(`  ${all.length} documented commands:\n${[...counts].map(([k, n]) => `    ${String(n).padStart(3)}  ${k}`).join('\n')}`)
})

test('every relative link in the README and docs/ points at a file of this repository', () => {
  const broken: string[] = []
  for (const file of [join(root, 'README.md'), ...markdown(join(root, 'docs'))]) {
    const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '')
    for (const m of text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
      const target = m[1]!
      if (/^[a-z]+:/.test(target)) continue
      if (!existsSync(join(file, '..', target))) broken.push(`${relative(root, file)}: ${target}`)
    }
  }
  assert.equal(broken, [])
})

test.run()
