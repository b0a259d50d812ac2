import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { JSON_REPORT_SCHEMA, jsonReportText, toJsonReport } from '../../lib/report/json.ts'
import { reportRun, SECRET } from '../helpers/report-run.ts'

const extra = { inventory: 'stub', argv: ['-i', 'stub', '--tags', 'x', '--retry'], kubeplayVersion: '0.1.0', rerun: 'tsx playbooks/site.ts -i stub --retry' }
const result = await reportRun()
const report = toJsonReport(result, extra)

/** Every key path of a value, arrays collapsed to `[]`: the shape consumers depend on. */
function shape(v: unknown, path = ''): string[] {
  if (Array.isArray(v)) return v.length ? [...new Set(v.flatMap((x) => shape(x, `${path}[]`)))] : [`${path}[]`]
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => shape(x, path ? `${path}.${k}` : k))
  return [path]
}

test('the schema is versioned and its key names are stable (v1 only ever adds keys)', () => {
  assert.is(report.schema, 'kubeplay.run/v1')
  assert.is(JSON_REPORT_SCHEMA, 'kubeplay.run/v1')
  const keys = shape(report)
  const v1 = [
    'schema', 'kubeplayVersion',
    'run.id', 'run.playbook', 'run.inventory', 'run.argv[]', 'run.checkMode', 'run.startedAt', 'run.finishedAt', 'run.durationMs', 'run.outcome', 'run.aborted', 'run.merged',
    'totals.hosts', 'totals.tasks', 'totals.ok', 'totals.changed', 'totals.failed', 'totals.skipped', 'totals.unreachable', 'totals.ignored',
    'hosts[].name', 'hosts[].ok', 'hosts[].changed', 'hosts[].failed', 'hosts[].skipped', 'hosts[].unreachable', 'hosts[].ignored', 'hosts[].outcome',
    'failedHosts[]', 'unreachableHosts[]', 'incompleteHosts[]',
    'tasks[].index', 'tasks[].play', 'tasks[].host', 'tasks[].task', 'tasks[].role', 'tasks[].module', 'tasks[].status', 'tasks[].reason',
    'tasks[].handler', 'tasks[].planned', 'tasks[].ignored', 'tasks[].startedAt', 'tasks[].offsetMs', 'tasks[].durationMs',
    'tasks[].diff', 'tasks[].diff.path', 'tasks[].diff.before', 'tasks[].diff.after', 'tasks[].diff.unified',
    'rerun.argv[]', 'rerun.command',
  ]
  for (const k of v1) assert.ok(keys.includes(k), `missing key ${k}`)
  for (const k of keys) assert.ok(v1.includes(k), `key ${k} is not documented in the v1 list (add it here and to docs/json-report.md)`)
})

test('every documented key appears in docs/json-report.md', async () => {
  const { readFileSync } = await import('node:fs')
  const doc = readFileSync(new URL('../../docs/json-report.md', import.meta.url), 'utf8')
  for (const key of shape(report)) {
    const k = key.replace(/\[\]$/, '')
    assert.ok(doc.includes(`| \`${k}\` |`), `docs/json-report.md does not describe \`${k}\``)
  }
})

test('run outcome, per-host recap and failed/unreachable hosts follow the run', () => {
  assert.is(report.run.outcome, 'failed')
  assert.is(report.run.checkMode, false)
  assert.is(report.run.aborted, null)
  assert.equal(report.failedHosts, ['m2'])
  assert.equal(report.unreachableHosts, ['w1'])
  assert.equal(report.hosts.map((h) => [h.name, h.outcome]), [['m1', 'changed'], ['m2', 'failed'], ['w1', 'unreachable'], ['w2', 'changed']])
  assert.is(report.totals.tasks, result.results.length)
  assert.is(report.totals.ignored, 1)
  assert.equal(report.rerun, { argv: ['-i', 'stub', '--tags', 'x', '--retry'], command: extra.rerun })
})

test('tasks carry status, reason, timing and the diff as before/after text', () => {
  const write = report.tasks.find((t) => t.host === 'm1' && t.task === 'Write demo config')!
  assert.is(write.status, 'changed')
  assert.is(write.module, 'contentFile')
  assert.ok(write.durationMs >= 10 && write.offsetMs >= 0)
  assert.match(write.diff!.before!, 'port = 80\n')
  assert.match(write.diff!.after!, 'port = 8080\n')
  assert.match(write.diff!.unified, '\n-port = 80\n')
  assert.match(write.diff!.unified, '\n+port = 8080\n')
  const skipped = report.tasks.find((t) => t.status === 'skipped')!
  assert.is(skipped.reason, 'not a worker')
  assert.is(skipped.diff, null)
  assert.ok(report.tasks.some((t) => t.ignored && t.status === 'failed'))
})

test('no Secret value appears anywhere in the report, not in errors nor in diffs', () => {
  const text = jsonReportText(result, extra)
  assert.not.ok(text.includes(SECRET))
  const failed = report.tasks.find((t) => t.host === 'm2' && t.status === 'failed')!
  assert.match(failed.reason, 'token=***')
  assert.match(report.tasks.find((t) => t.diff)!.diff!.after!, 'password = ***')
})

test('check mode is marked and a clean run has no rerun hint', async () => {
  const planned = toJsonReport(await reportRun({ checkMode: true }), extra)
  assert.is(planned.run.checkMode, true)
  assert.ok(planned.tasks.filter((t) => t.status === 'changed').every((t) => t.planned))
  const clean = toJsonReport({ ...result, results: [], recap: {}, failedHosts: [], unreachableHosts: [] }, extra)
  assert.is(clean.rerun, null)
  assert.is(clean.run.outcome, 'ok')
})

test.run()
