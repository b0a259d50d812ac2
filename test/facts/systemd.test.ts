import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseUnitState } from '../../lib/facts/systemd.ts'

test('parseUnitState: systemctl show properties', () => {
  assert.equal(parseUnitState('LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nNeedDaemonReload=no\n'),
    { loadState: 'loaded', activeState: 'active', subState: 'running', unitFileState: 'enabled', needDaemonReload: false })
})

test('parseUnitState: unknown unit', () => {
  const s = parseUnitState('LoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\nNeedDaemonReload=no\n')
  assert.is(s.loadState, 'not-found')
  assert.is(s.unitFileState, '')
})

test.run()
