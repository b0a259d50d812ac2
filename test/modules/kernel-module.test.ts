import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseLoadState, planKernelModule, type KernelModuleParams, type LoadState } from '../../lib/modules/kernel-module.ts'

const path = '/etc/modules-load.d/br_netfilter.conf'
const cases: [string, KernelModuleParams, LoadState, string | null, object | null][] = [
  ['unloaded, no file → modprobe and persist', { name: 'br_netfilter' }, 'unloaded', null,
    { file: { path, before: null, after: 'br_netfilter\n' }, load: true, unload: false }],
  ['loaded and persisted → nothing', { name: 'br_netfilter' }, 'loaded', 'br_netfilter\n', null],
  ['built in counts as loaded', { name: 'br_netfilter' }, 'builtin', 'br_netfilter\n', null],
  ['persist: false leaves no file', { name: 'br_netfilter', persist: false }, 'loaded', null, null],
  ['persist: false removes our file', { name: 'br_netfilter', persist: false }, 'loaded', 'br_netfilter\n',
    { file: { path, before: 'br_netfilter\n', after: null }, load: false, unload: false }],
  ['file with other content is rewritten', { name: 'br_netfilter' }, 'loaded', '# x\n',
    { file: { path, before: '# x\n', after: 'br_netfilter\n' }, load: false, unload: false }],
  ['absent: unload a loaded module and drop the file', { name: 'br_netfilter', state: 'absent' }, 'loaded', 'br_netfilter\n',
    { file: { path, before: 'br_netfilter\n', after: null }, load: false, unload: true }],
  ['absent: a built-in cannot be unloaded', { name: 'br_netfilter', state: 'absent' }, 'builtin', null, null],
]
for (const [label, p, s, file, want] of cases) test(`planKernelModule: ${label}`, () => assert.equal(planKernelModule(p, s, file), want))

test('parseLoadState', () => {
  assert.is(parseLoadState('loaded\n'), 'loaded')
  assert.is(parseLoadState('builtin\n'), 'builtin')
  assert.is(parseLoadState(''), 'unloaded')
})

test.run()
