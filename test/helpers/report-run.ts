/**
 * A small real run for report tests: the engine with stub hosts, on which tasks are ok, change
 * (one with a file diff), fail (m2), get skipped, and one host is unreachable (w1). Task titles,
 * reasons and file contents carry HTML and a Secret, so reports must escape and mask them.
 */
import { secret } from '../../lib/secret.ts'
import { change, defineModule, noChange } from '../../lib/engine/module.ts'
import type { RunResult } from '../../lib/engine/results.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import { play, playbook, task } from '../../lib/engine/task.ts'
import { Recorder, recordingModule, stubInventory } from './stub.ts'

export const SECRET = 's3cr3t-t0ken'
export const DIFF_PATH = '/etc/demo <app>.conf'
export const HOSTILE_TITLE = 'Render <script>alert("x")</script> & friends'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export async function reportRun(opts: { checkMode?: boolean } = {}): Promise<RunResult> {
  const token = secret(SECRET)
  const rec = new Recorder()
  rec.down.add('w1')
  const step = recordingModule(rec)
  const file = defineModule<{ after: string }>({
    name: 'contentFile',
    async check(_h, p) {
      await sleep(15)
      const before = `port = 80\nmode = "old"\nkeep = 1\n<b>bold</b>\n`
      return before === p.after ? noChange('up to date') : change(`write ${DIFF_PATH}`, { diff: { path: DIFF_PATH, before, after: p.after } })
    },
    async apply() { await sleep(25) },
  })
  const leaky = defineModule<{ n: number }>({
    name: 'command',
    async check() { return change('run the installer') },
    async apply(h) {
      await sleep(20)
      if (h.name === 'm2') throw new Error(`installer exited 1\nstderr: auth failed for token=${token.reveal()}\n<script>alert(1)</script>`)
    },
  })
  const inventory = stubInventory({ masters: ['m1', 'm2'], workers: ['w1', 'w2'] })
  const pb = playbook('site', [
    play('prepare nodes', { hosts: 'all', items: [
      task('Install base packages', step, { title: 'pkgs', change: ['m1', 'w2'], delayMs: 40 }),
      task('Write demo config', file, { after: `port = 8080\nmode = "new <script>evil()</script>"\nkeep = 1\n<b>bold</b>\npassword = ${SECRET}\n` }),
      task('Run the installer', leaky, { n: 1 }),
      task(HOSTILE_TITLE, step, { title: 'hostile', change: false }),
      task('Probe optional feature', step, { title: 'probe', failOn: ['w2'], delayMs: 10 }, { ignoreErrors: true }),
      task('Only on workers', step, { title: 'skip' }, { when: async (h) => h.groups.includes('workers'), whenReason: 'not a worker' }),
    ] }),
  ])
  return runPlaybook(pb, { inventory, connector: rec.connector, checkMode: opts.checkMode, runId: 'test-run-1' })
}
