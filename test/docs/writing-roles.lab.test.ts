/**
 * docs/writing-roles.md followed as written by a new user, on the lab: a project of their own
 * (`npm init`, kubeplay installed with `--install-links` from this checkout), the guide's files
 * written from its code blocks, its `login` playbook commands run against the lab (by its name) with
 * the outcomes their comments promise, its project-side lab test run with uvu, and the project
 * type-checked with the tsconfig and type packages the guide names. The hosts are put back as
 * found (banner drop-in removed, time zone restored) for the files that share the lab.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import type { LabInfo } from '../../lib/lab/index.ts'
import { docCommands, docFiles, forLab } from '../helpers/doc-commands.ts'
import { labConnect } from '../lab/connect.ts'
import { testLab } from '../lab/harness.ts'
import { withoutSourceCondition } from '../../scripts/build.ts'

const root = new URL('../../', import.meta.url).pathname
const guide = readFileSync(join(root, 'docs/writing-roles.md'), 'utf8')
const work = mkdtempSync(join(tmpdir(), 'kp-guide-'))
const project = join(work, 'my-infra')
let lab: LabInfo
let conns: Connection[] = []
const zones = new Map<string, string>()

function shell(cmd: string, cwd: string, env: NodeJS.ProcessEnv = {}): { code: number | null; out: string } {
  const r = spawnSync('bash', ['-c', cmd], { cwd, input: '', encoding: 'utf8', timeout: 600_000, env: { ...withoutSourceCondition(), ...env } })
  return { code: r.status, out: `${r.stdout}${r.stderr}` }
}

/** The guide's commands of the block that contains `marker`, in order. */
const commandsWith = (marker: string) => docCommands(guide).filter((c) => c.line.includes(marker))

test.before(async () => {
  lab = await testLab()
  conns = await Promise.all(lab.hosts.map((_, i) => labConnect(lab, i)))
  for (const [i, c] of conns.entries()) zones.set(lab.hosts[i]!.name, (await c.exec(sh`readlink /etc/localtime || true`)).stdout.trim())
})

test.after(async () => {
  for (const [i, c] of conns.entries()) {
    const zone = zones.get(lab.hosts[i]!.name) || '/usr/share/zoneinfo/Etc/UTC'
    await c.exec(sh`rm -f /etc/ssh/sshd_config.d/kubeplay-banner.conf && systemctl reload ssh; ln -sfn ${zone} /etc/localtime && echo ${zone.replace('/usr/share/zoneinfo/', '')} > /etc/timezone`)
    await c.close()
  }
  rmSync(work, { recursive: true, force: true })
})

test('a project of your own: npm init, kubeplay installed from this checkout with --install-links (npx tsx then works)', () => {
  for (const c of commandsWith('npm init')) {
    const r = shell(c.line, work)
    assert.is(r.code, 0, `${c.line}\n${r.out}`)
  }
  const install = commandsWith('--install-links')
  assert.is(install.length, 1, 'the guide installs a checkout with --install-links')
  const r = shell(install[0]!.line.replace('/path/to/kubeplay', root), project)
  assert.is(r.code, 0, r.out)
  assert.is(shell('npx tsx --version', project).code, 0, 'tsx came with kubeplay')
  for (const f of docFiles(guide)) {
    mkdirSync(dirname(join(project, f.path)), { recursive: true })
    writeFileSync(join(project, f.path), f.text)
  }
})

test('the login playbook on the lab: check exits 5, the run changes the banner and reloads sshd once per host, the rerun 0, -e sets one setting', () => {
  const cmds = commandsWith('playbooks/login.ts')
  assert.is(cmds.length, 5, cmds.map((c) => c.line).join('\n'))
  // The guide's comment says what tz.json holds.
  writeFileSync(join(project, 'tz.json'), /tz\.json: (\{.*\})/.exec(cmds[4]!.line)![1]!)
  const outs = cmds.map((c) => {
    const cmd = forLab(c.line, lab.name, dirname(lab.inventoryPath))
    const r = shell(cmd, project)
    console.log(`  ${cmd.replace(/\s+#.*$/, '')} → exit ${r.code}`)
    const exit = Number(/#\s*exit (\d+)/.exec(c.line)?.[1] ?? 0)
    assert.is(r.code, exit, `${cmd}\n${r.out}`)
    return r.out
  })
  const hosts = lab.hosts.map((h) => h.name)
  assert.match(outs[0]!, /would run/, 'check mode shows the handler as would run')
  for (const h of hosts) {
    assert.match(outs[1]!, new RegExp(`${h}\\s+: ok=\\d+ changed=3 `), outs[1]!)
    assert.is(outs[1]!.split('\n').filter((l) => new RegExp(`^${h}\\s+changed\\s+handler: Reload sshd`).test(l)).length, 1, outs[1]!)
    assert.match(outs[2]!, new RegExp(`${h}\\s+: ok=\\d+ changed=0 `), outs[2]!)
    assert.match(outs[3]!, new RegExp(`${h}\\s+changed\\s+Set the time zone .*→ Europe/Berlin`), outs[3]!)
    assert.match(outs[4]!, new RegExp(`${h}\\s+: ok=\\d+ changed=0 `), outs[4]!)
  }
})

test('the guide\'s own lab test, in the project with uvu; the project type-checks with the guide\'s tsconfig and type packages', () => {
  assert.is(shell('npm install -D uvu', project).code, 0)
  const t = shell('npx tsx test/timezone.lab.test.ts', project, { LAB: lab.name })
  assert.is(t.code, 0, t.out)
  assert.match(t.out, /Passed:\s+1/)
  const tsconfig = /```jsonc\n([\s\S]*?)```/.exec(guide)?.[1]
  assert.ok(tsconfig, 'the guide shows a tsconfig.json')
  writeFileSync(join(project, 'tsconfig.json'), tsconfig!)
  const types = commandsWith('npm install -D typescript')
  assert.is(types.length, 1)
  assert.is(shell(types[0]!.line, project).code, 0)
  const tsc = shell('npx tsc -p .', project)
  assert.is(tsc.code, 0, tsc.out)
})

test.run()
