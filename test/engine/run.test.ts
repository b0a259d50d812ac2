import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { secret } from '../../lib/secret.ts'
import { ConfigError, ConfigErrors } from '../../lib/errors.ts'
import { change, defineModule, hostValue } from '../../lib/engine/module.ts'
import { planPlaybook, runPlaybook } from '../../lib/engine/run.ts'
import { flushHandlers, handler, play, playbook, role, task } from '../../lib/engine/task.ts'
import { Recorder, recordingModule, stubInventory, type StepParams } from '../helpers/stub.ts'

const inv = stubInventory({ masters: ['m1', 'm2', 'm3'], workers: ['w1', 'w2'] })

function setup() {
  const rec = new Recorder()
  const step = recordingModule(rec)
  const t = (title: string, p: Omit<StepParams, 'title'> = {}, opts = {}) => task(title, step, { title, ...p }, opts)
  return { rec, step, t }
}

test('tasks run in order within a host, and every selected host runs them', async () => {
  const { rec, t } = setup()
  const pb = playbook('pb', [play('all', { hosts: 'all', items: [t('a'), t('b'), t('c')] })])
  const r = await runPlaybook(pb, { inventory: inv, connector: rec.connector })
  for (const h of ['m1', 'm2', 'm3', 'w1', 'w2']) assert.equal(rec.titles(h, 'apply'), ['a', 'b', 'c'])
  assert.is(r.recap.m1!.changed, 3)
  assert.equal(r.failedHosts, [])
})

test('hosts run in parallel, bounded by forks', async () => {
  for (const forks of [1, 2, 5]) {
    const { rec, t } = setup()
    const pb = playbook('pb', [play('all', { hosts: 'all', items: [t('slow', { delayMs: 30 })] })])
    await runPlaybook(pb, { inventory: inv, connector: rec.connector, forks })
    assert.is(rec.maxActive, forks, `forks=${forks}`)
  }
})

test('a failed host stops only its own remaining tasks', async () => {
  const { rec, t } = setup()
  const pb = playbook('pb', [
    play('p1', { hosts: 'all', items: [t('a'), t('b', { failOn: ['m2'] }), t('c')] }),
    play('p2', { hosts: 'all', items: [t('d')] }),
  ])
  const r = await runPlaybook(pb, { inventory: inv, connector: rec.connector })
  assert.equal(rec.titles('m2', 'apply'), ['a', 'b'])
  assert.equal(rec.titles('m1', 'apply'), ['a', 'b', 'c', 'd'])
  assert.equal(r.failedHosts, ['m2'])
  assert.is(r.recap.m2!.failed, 1)
  assert.match(r.results.find((x) => x.host === 'm2' && x.status === 'failed')!.reason, 'b failed on m2')
})

test('an unreachable host is reported and the others finish', async () => {
  const { rec, t } = setup()
  rec.down.add('w1')
  const r = await runPlaybook(playbook('pb', [play('all', { hosts: 'all', items: [t('a')] })]), { inventory: inv, connector: rec.connector })
  assert.equal(r.unreachableHosts, ['w1'])
  assert.is(r.recap.w1!.unreachable, 1)
  assert.equal(Object.keys(r.recap), ['m1', 'm2', 'm3', 'w1', 'w2'], 'recap in inventory order, whoever finished first')
  assert.equal(rec.calledOn('a').sort(), ['m1', 'm2', 'm3', 'w2'])
})

test('check mode runs checks, never apply, and check cannot write', async () => {
  const { rec, t } = setup()
  const pb = playbook('pb', [play('all', { hosts: 'masters', items: [t('a'), t('b', { change: false })] })])
  const r = await runPlaybook(pb, { inventory: inv, connector: rec.connector, checkMode: true })
  assert.is(rec.calls.filter((c) => c.phase === 'apply').length, 0)
  assert.is(r.recap.m1!.changed, 1)
  assert.is(r.recap.m1!.ok, 1)
  assert.ok(r.results.every((x) => x.status !== 'changed' || x.planned))
  const w = await runPlaybook(playbook('pb', [play('w', { hosts: 'm1', items: [t('w', { writeInCheck: true })] })]),
    { inventory: inv, connector: rec.connector })
  assert.is(w.results[0]!.status, 'failed')
  assert.match(w.results[0]!.reason, 'check must be read-only')
})

test('handlers run once per host at the end of the play, only when notified', async () => {
  const { rec, step, t } = setup()
  const restart = handler('restart x', step, { title: 'restart x' })
  const never = handler('never notified', step, { title: 'never notified' })
  const pb = playbook('pb', [play('p', { hosts: 'masters', items: [
    t('conf1', { change: ['m1', 'm2'] }, { notify: [restart] }),
    t('conf2', { change: ['m1'] }, { notify: [restart, never].slice(0, 1) }),
    t('last'),
  ] })])
  const r = await runPlaybook(pb, { inventory: inv, connector: rec.connector })
  assert.equal(rec.calledOn('restart x').sort(), ['m1', 'm2'])
  assert.equal(rec.titles('m1', 'apply'), ['conf1', 'conf2', 'last', 'restart x'])
  assert.equal(rec.calledOn('never notified'), [])
  assert.ok(r.results.find((x) => x.task === 'restart x')!.handler)
})

test('flushHandlers runs notified handlers at that point; check mode reports them as would run', async () => {
  const { rec, step, t } = setup()
  const restart = handler('restart x', step, { title: 'restart x' })
  const items = [t('conf', {}, { notify: [restart] }), flushHandlers(), t('after')]
  await runPlaybook(playbook('pb', [play('p', { hosts: 'm1', items })]), { inventory: inv, connector: rec.connector })
  assert.equal(rec.titles('m1', 'apply'), ['conf', 'restart x', 'after'])
  const { rec: rec2 } = setup()
  const dry = await runPlaybook(playbook('pb', [play('p', { hosts: 'm1', items })]), { inventory: inv, connector: rec2.connector, checkMode: true })
  const h = dry.results.find((x) => x.task === 'restart x')!
  assert.is(h.status, 'changed')
  assert.match(h.reason, 'would run')
  assert.is(rec.calls.filter((c) => c.title === 'restart x' && c.phase === 'check').length, 1)
})

test('tags: --tags, --skip-tags, role names, always and never', async () => {
  const { rec, t } = setup()
  const pb = playbook('pb', [play('p', { hosts: 'm1', items: [
    role('haproxy', [t('h1'), t('h2', {}, { tags: ['cfg'] })]),
    role('metallb', [t('l1')]),
    t('facts', {}, { tags: ['always'] }),
    t('debug', {}, { tags: ['never', 'debug'] }),
  ] })])
  const run = async (o: { tags?: string[]; skipTags?: string[] }) => {
    rec.calls.length = 0
    await runPlaybook(pb, { inventory: inv, connector: rec.connector, ...o })
    return rec.titles('m1')
  }
  assert.equal(await run({}), ['h1', 'h2', 'l1', 'facts'])
  assert.equal(await run({ tags: ['metallb'] }), ['l1', 'facts'])
  assert.equal(await run({ tags: ['cfg'] }), ['h2', 'facts'])
  assert.equal(await run({ skipTags: ['haproxy'] }), ['l1', 'facts'])
  assert.equal(await run({ tags: ['debug'] }), ['facts', 'debug'])
  assert.equal(await run({ tags: ['metallb'], skipTags: ['always'] }), ['l1'])
  try {
    await runPlaybook(pb, { inventory: inv, connector: rec.connector, tags: ['metalb'] })
    assert.unreachable('unknown tag must be rejected')
  } catch (e) {
    assert.instance(e, ConfigError)
    assert.match((e as Error).message, "unknown tag 'metalb'")
  }
})

test('withRole tasks run with their role, not with other roles; a flush alone contacts nobody', async () => {
  const { rec, t } = setup()
  const pb = playbook('pb', [
    play('lb', { hosts: 'm1', items: [role('haproxy', [t('cfg')])] }),
    play('k8s', { hosts: 'workers', items: [role('k8s', [t('check k8s', {}, { withRole: true }), t('join', {}, { tags: ['join'] })]), flushHandlers()] }),
  ])
  const run = async (o: { tags?: string[]; skipTags?: string[] }) => {
    rec.calls.length = 0
    rec.connected.length = 0
    await runPlaybook(pb, { inventory: inv, connector: rec.connector, ...o })
    return { titles: [...new Set(rec.calls.map((c) => c.title))], connected: [...rec.connected].sort() }
  }
  assert.equal(await run({ tags: ['haproxy'] }), { titles: ['cfg'], connected: ['m1'] })
  assert.equal(await run({ tags: ['join'] }), { titles: ['check k8s', 'join'], connected: ['w1', 'w2'] })
  assert.equal((await run({})).titles, ['cfg', 'check k8s', 'join'])
  assert.equal((await run({ tags: ['k8s'], skipTags: ['k8s'] })).titles, [])
})

test('--limit intersects every play and unknown names are rejected before connecting', async () => {
  const { rec, t } = setup()
  const pb = playbook('pb', [play('p', { hosts: 'all', items: [t('a')] })])
  await runPlaybook(pb, { inventory: inv, connector: rec.connector, limit: 'workers:!w2' })
  assert.equal(rec.calledOn('a'), ['w1'])
  rec.connected.length = 0
  try {
    await runPlaybook(pb, { inventory: inv, connector: rec.connector, limit: 'nope' })
    assert.unreachable()
  } catch (e) {
    assert.instance(e, ConfigError)
  }
  assert.equal(rec.connected, [])
})

test('host patterns: groups, intersection, exclusion, first host of a group', async () => {
  const { rec, t } = setup()
  const pb = playbook('pb', [
    play('first', { hosts: 'masters[0]', items: [t('init')] }),
    play('rest', { hosts: 'masters[1:]', items: [t('join')] }),
    play('mix', { hosts: 'all:!masters', items: [t('worker')] }),
  ])
  await runPlaybook(pb, { inventory: inv, connector: rec.connector })
  assert.equal(rec.calledOn('init'), ['m1'])
  assert.equal(rec.calledOn('join').sort(), ['m2', 'm3'])
  assert.equal(rec.calledOn('worker').sort(), ['w1', 'w2'])
})

test('serial batches run one after another; a failed batch over maxFailPercentage aborts the run', async () => {
  const { rec, t } = setup()
  const pb = playbook('pb', [play('roll', { hosts: 'all', serial: 2, items: [t('a', { delayMs: 5 }), t('b')] })])
  await runPlaybook(pb, { inventory: inv, connector: rec.connector })
  const at = (h: string, title: string) => rec.calls.find((c) => c.host === h && c.title === title && c.phase === 'apply')!.at
  assert.ok(at('m1', 'b') <= at('m3', 'a') && at('m2', 'b') <= at('m3', 'a'), 'batch 1 finishes before batch 2 starts')
  const { rec: r2, t: t2 } = setup()
  const failing = playbook('pb', [
    play('roll', { hosts: 'all', serial: [1, '50%'], maxFailPercentage: 0, items: [t2('a', { failOn: ['m2'] })] }),
    play('next', { hosts: 'all', items: [t2('z')] }),
  ])
  const res = await runPlaybook(failing, { inventory: inv, connector: r2.connector })
  assert.equal(r2.calledOn('a').sort(), ['m1', 'm2', 'm3'])
  assert.equal(r2.calledOn('z'), [])
  assert.match(res.aborted ?? '', 'maxFailPercentage')
})

test('anyErrorsFatal stops every host before its next task; ignoreErrors lets a host go on', async () => {
  const { rec, t } = setup()
  const pb = playbook('pb', [play('p', { hosts: 'masters', anyErrorsFatal: true, items: [t('a', { failOn: ['m1'] }), t('b')] })])
  const r = await runPlaybook(pb, { inventory: inv, connector: rec.connector, forks: 1 })
  assert.equal(rec.calledOn('b'), [])
  assert.match(r.aborted ?? '', 'anyErrorsFatal')
  const { rec: r2, t: t2 } = setup()
  const ig = await runPlaybook(playbook('pb', [play('p', { hosts: 'm1', items: [t2('a', { failOn: ['m1'] }, { ignoreErrors: true }), t2('b')] })]),
    { inventory: inv, connector: r2.connector })
  assert.equal(r2.calledOn('b'), ['m1'])
  assert.is(ig.recap.m1!.ignored, 1)
  assert.equal(ig.failedHosts, [])
})

test('runOnce executes on one host of the batch; the others wait and skip', async () => {
  const { rec, t } = setup()
  const pb = playbook('pb', [play('p', { hosts: 'masters', items: [t('init', { delayMs: 10 }, { runOnce: true }), t('after')] })])
  const r = await runPlaybook(pb, { inventory: inv, connector: rec.connector })
  assert.is(rec.calledOn('init').length, 1)
  const initAt = rec.calls.find((c) => c.title === 'init' && c.phase === 'apply')!.at
  assert.ok(rec.calls.filter((c) => c.title === 'after').every((c) => c.at >= initAt), 'others wait for the run-once task')
  assert.is(r.results.filter((x) => x.task === 'init' && x.status === 'skipped').length, 2)
})

test('cross-host values are read once, on the source host, even when it is outside --limit', async () => {
  const { rec } = setup()
  const reads: string[] = []
  const joinCommand = hostValue('join command', 'masters[0]', async (src) => {
    reads.push(src.name)
    return secret(`kubeadm join --token abc.${src.name}`)
  })
  const seen: string[] = []
  const join = defineModule<Record<string, never>>({
    name: 'join',
    async check(host) { seen.push(`${host.name}:${(await host.from(joinCommand)).reveal()}`); return change('join') },
    async apply() {},
  })
  const r = await runPlaybook(playbook('pb', [play('w', { hosts: 'workers', items: [task('join', join, {})] })]),
    { inventory: inv, connector: rec.connector, limit: 'workers' })
  assert.equal(reads, ['m1'])
  assert.equal(seen.sort(), ['w1:kubeadm join --token abc.m1', 'w2:kubeadm join --token abc.m1'])
  assert.ok(rec.connected.includes('m1'))
  assert.is(r.failedHosts.length, 0)
})

test('a play naming a group the inventory lacks is skipped with a warning (Ansible), --limit stays strict', async () => {
  const { rec, t } = setup()
  const warnings: string[] = []
  const pb = playbook('pb', [play('nfs', { hosts: 'nfs_server', items: [t('export')] }), play('m', { hosts: 'masters', items: [t('a')] })])
  const r = await runPlaybook(pb, { inventory: inv, connector: rec.connector, reporter: { message: (l, _h, text) => { if (l === 'warn') warnings.push(text) } } })
  assert.equal(rec.calledOn('export'), [])
  assert.equal(rec.calledOn('a').sort(), ['m1', 'm2', 'm3'])
  assert.equal(r.failedHosts, [])
  assert.match(warnings.join('\n'), "play 'nfs': no host or group 'nfs_server' in stub; skipped")
})

test('playbook and role preflight checks stop the run before any connection', async () => {
  const { rec, t } = setup()
  const seen: string[][] = []
  const checked = role('needs-lb', [t('a')], { preflight: (inventory, hosts) => {
    seen.push([...hosts])
    return inventory.groups.has('haproxy') ? [] : [new ConfigError('inventory', 'groups.haproxy', 'a load balancer host', 'no haproxy group')]
  } })
  const pb = playbook('pb', [play('p', { hosts: 'masters', items: [checked] })],
    { preflight: (inventory) => inventory.hosts.size > 100 ? [new ConfigError('inventory', 'hosts', 'at most 100', 'more')] : [] })
  try {
    await runPlaybook(pb, { inventory: inv, connector: rec.connector, limit: 'm2' })
    assert.unreachable()
  } catch (e) {
    assert.instance(e, ConfigErrors)
    assert.match((e as Error).message, 'inventory: groups.haproxy: expected a load balancer host, found no haproxy group')
  }
  assert.equal(seen, [['m1', 'm2', 'm3']], 'role preflight sees the play hosts, whatever --limit says')
  assert.equal(rec.connected, [])
})

test('planning (list hosts/tasks) contacts nothing', () => {
  const { rec, t } = setup()
  const pb = playbook('pb', [play('p', { hosts: 'workers', items: [role('r', [t('a'), t('b')])] })])
  const plans = planPlaybook(pb, { inventory: inv, tags: ['r'] })
  assert.equal(plans[0]!.hosts, ['w1', 'w2'])
  assert.equal(plans[0]!.tasks.map((x) => x.item.title), ['a', 'b'])
  assert.equal(rec.connected, [])
})

test('task timeouts fail the task with a clear error', async () => {
  const { rec, t } = setup()
  const r = await runPlaybook(playbook('pb', [play('p', { hosts: 'm1', items: [t('slow', { delayMs: 300 }, { timeoutMs: 50 })] })]),
    { inventory: inv, connector: rec.connector })
  assert.is(r.results[0]!.status, 'failed')
  assert.match(r.results[0]!.reason, "m1: timed out after 50 ms: task 'slow'")
})

test('secrets never reach results', async () => {
  const pw = secret('hunter2-very-secret')
  const leaky = defineModule<Record<string, never>>({
    name: 'leaky',
    async check() { return change('set password', { diff: { path: '/etc/x', before: null, after: `pw=${pw.reveal()}\n` } }) },
    async apply() { throw new Error(`auth failed with ${pw.reveal()}`) },
  })
  const rec = new Recorder()
  const r = await runPlaybook(playbook('pb', [play('p', { hosts: 'm1', items: [task('leak', leaky, {})] })]), { inventory: inv, connector: rec.connector })
  const text = JSON.stringify(r)
  assert.not.match(text, 'hunter2')
  assert.match(text, 'auth failed with ***')
})

test('nothing to target is refused before connecting, like ansible-playbook: a --limit selecting none, a missing group, an empty inventory', async () => {
  const { t } = setup()
  const pb = playbook('pb', [play('web', { hosts: 'web', items: [t('a')] }), play('masters', { hosts: 'masters', items: [t('b')] })])
  const refused = (o: Parameters<typeof planPlaybook>[1]): string => {
    try { planPlaybook(pb, o); return 'accepted' } catch (e) { return (e as ConfigError).message }
  }
  assert.is(refused({ inventory: inv, limit: 'w1' }), '--limit: w1: expected a pattern selecting hosts of the plays (m1, m2, m3), found none of them')
  assert.is(refused({ inventory: inv }), 'accepted', 'one play has hosts')
  const onlyWeb = playbook('pb', [play('web', { hosts: 'web', items: [t('a')] })])
  assert.throws(() => planPlaybook(onlyWeb, { inventory: inv }), /stub: hosts: expected hosts for the plays \('web': web\), found no host or group named 'web'/)
  assert.throws(() => planPlaybook(onlyWeb, { inventory: stubInventory({}) }), /found an empty inventory/)
})

test('a play none of whose tasks is selected is not shown: no PLAY header, no unknown-group warning', async () => {
  const { rec, t } = setup()
  const pb = playbook('pb', [play('web', { hosts: 'web', items: [t('a', {}, { tags: ['web'] })] }), play('masters', { hosts: 'masters', items: [t('b', {}, { tags: ['k8s'] })] })])
  const plays: string[] = []
  const warnings: string[] = []
  await runPlaybook(pb, { inventory: inv, connector: rec.connector, skipTags: ['web'],
    reporter: { playStart: (p) => plays.push(p), message: (level, _h, text) => { if (level === 'warn') warnings.push(text) } } })
  assert.equal(plays, ['masters'])
  assert.equal(warnings, [])
})

test.run()
