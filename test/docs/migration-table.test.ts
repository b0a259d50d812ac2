/**
 * docs/migrating-from-ansible.md's table "Ansible command → kubeplay command" runs as written: every
 * `npx kubeplay …` of its rows is run, in a project laid out as the table assumes
 * (inventories/hosts.ini, here with local-connection hosts in masters and workers, plus a small
 * Ansible group_vars and playbook for `import ansible .`), and must reach its hosts: exit 0, or 2
 * where the command itself fails on this machine (`systemctl` without systemd), never 3
 * (unreachable) or 4 (invalid input). `kubeplay playbook` rows are the same as `npx tsx`, checked by
 * commands.test.ts; running them here would run the site playbook.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT } from '../../lib/cli/args.ts'
import { kubeplayCli } from '../../lib/cli/kubeplay.ts'
import { shellSplit } from '../../lib/inventory/ansible-vars.ts'
import { site } from '../../playbooks/site.ts'

const root = new URL('../../', import.meta.url).pathname
const doc = readFileSync(join(root, 'docs/migrating-from-ansible.md'), 'utf8')

/** Every `npx kubeplay …` code span of a table row. */
const rows = doc.split('\n').filter((l) => l.startsWith('|')).flatMap((l) => [...l.matchAll(/`(npx kubeplay [^`]+)`/g)].map((m) => m[1]!))
// `vault encrypt/decrypt/…` names several commands in one span: test/cli/vault.test.ts runs them.
const runnable = rows.filter((r) => !/ playbook | vault /.test(` ${r} `))

test('the table has kubeplay commands for ping, shell, module, inventory, facts and import', () => {
  for (const sub of ['ping', 'shell', 'module', 'inventory', 'facts', 'import']) assert.ok(runnable.some((r) => r.startsWith(`npx kubeplay ${sub} `)), `${sub}: ${runnable.join('\n')}`)
})

test('every kubeplay command of the table runs as written in a project laid out as the table says', async () => {
  const project = mkdtempSync(join(tmpdir(), 'kp-table-'))
  const files: Record<string, string> = {
    'inventories/hosts.ini': '[masters]\nm1 ansible_connection=local\n\n[workers]\nw1 ansible_connection=local\n\n[k8s-cluster:children]\nmasters\nworkers\n',
    'group_vars/all.yml': 'kube_version: "1.31.4"\n',
    'playbooks/site.yml': '- hosts: all\n  roles: [common]\n',
  }
  for (const [f, text] of Object.entries(files)) { mkdirSync(dirname(join(project, f)), { recursive: true }); writeFileSync(join(project, f), text) }
  const cwd = process.cwd()
  const results: string[] = []
  try {
    process.chdir(project)
    for (const row of runnable) {
      const words = shellSplit(row)
      assert.ok(Array.isArray(words), row)
      const lines: string[] = []
      const code = await kubeplayCli((words as string[]).slice(2), { out: (l) => lines.push(l), err: (l) => lines.push(l) }, { site: async () => site })
      results.push(`${code} ${row}`)
      const allowed: number[] = row.includes(' shell ') ? [EXIT.ok, EXIT.failed] : [EXIT.ok]
      assert.ok(allowed.includes(code), `${row}: exit ${code}\n${lines.join('\n')}`)
    }
  } finally {
    process.chdir(cwd)
    rmSync(project, { recursive: true, force: true })
  }
  console.log(`  ${results.join('\n  ')}`)
})

test.run()
