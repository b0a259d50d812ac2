import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { UnitState } from '../../lib/facts/systemd.ts'
import { planService, type SystemdServiceParams } from '../../lib/modules/systemd-service.ts'

const unit = (over: Partial<UnitState> = {}): UnitState =>
  ({ loadState: 'loaded', activeState: 'inactive', subState: 'dead', unitFileState: 'disabled', needDaemonReload: false, ...over })
const running = unit({ activeState: 'active', unitFileState: 'enabled' })

const cases: [string, SystemdServiceParams, UnitState, string[]][] = [
  ['start and enable a stopped disabled unit', { name: 'x', state: 'started', enabled: true }, unit(), ['enable', 'start']],
  ['running and enabled → nothing', { name: 'x', state: 'started', enabled: true }, running, []],
  ['static units count as enabled', { name: 'x', enabled: true }, unit({ unitFileState: 'static' }), []],
  ['stop a running unit', { name: 'x', state: 'stopped' }, running, ['stop']],
  ['stopped already → nothing', { name: 'x', state: 'stopped', enabled: false }, unit(), []],
  ['disable an enabled unit', { name: 'x', enabled: false }, running, ['disable']],
  ['restarted always restarts', { name: 'x', state: 'restarted' }, running, ['restart']],
  ['reloaded reloads a running unit', { name: 'x', state: 'reloaded' }, running, ['reload']],
  ['reloaded starts a stopped unit', { name: 'x', state: 'reloaded' }, unit(), ['start']],
  ['daemonReload only when systemd says the unit changed', { name: 'x', daemonReload: true, state: 'started' }, unit({ needDaemonReload: true }), ['daemon-reload', 'start']],
  ['daemonReload not needed → nothing', { name: 'x', daemonReload: true }, unit(), []],
  ['mask a unit', { name: 'x', masked: true, state: 'stopped' }, running, ['mask', 'stop']],
  ['unmask then start', { name: 'x', masked: false, state: 'started' }, unit({ unitFileState: 'masked', loadState: 'masked' }), ['unmask', 'start']],
  ['masked already → nothing', { name: 'x', masked: true }, unit({ unitFileState: 'masked', loadState: 'masked' }), []],
  ['mask a unit that does not exist', { name: 'x', masked: true }, unit({ loadState: 'not-found', unitFileState: '' }), ['mask']],
  ['stopping a unit that does not exist is fine', { name: 'x', state: 'stopped' }, unit({ loadState: 'not-found', unitFileState: '' }), []],
]
for (const [label, p, s, want] of cases) test(`planService: ${label}`, () => assert.equal(planService(p, s), want))

test('planService: starting a unit that does not exist names it', () => {
  assert.throws(() => planService({ name: 'nosuch', state: 'started' }, unit({ loadState: 'not-found' })), /nosuch: expected an installed unit, found none/)
})

test('planService: starting a masked unit asks for masked: false', () => {
  assert.throws(() => planService({ name: 'x', state: 'started' }, unit({ unitFileState: 'masked', loadState: 'masked' })), /found it masked \(set masked: false\)/)
})

test.run()
