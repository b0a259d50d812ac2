import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { DpkgState } from '../../lib/facts/dpkg.ts'
import { aptCommands, describeAptPlan, desiredVersions, planPackages, refreshForUnknown, type AptPackagesParams, type AptPlan } from '../../lib/modules/apt-packages.ts'

function state(s: { installed?: Record<string, string>; holds?: string[]; candidates?: Record<string, string>; age?: number | null } = {}): DpkgState {
  return {
    installed: new Map(Object.entries(s.installed ?? {})),
    holds: new Set(s.holds ?? []),
    candidates: new Map(Object.entries(s.candidates ?? {})),
    cacheAgeSeconds: s.age === undefined ? 100 : s.age,
  }
}
const none = { update: false, install: [], remove: [], hold: [], unhold: [], allowHeld: false, installRecommends: undefined }

const cases: [string, AptPackagesParams, DpkgState, Partial<AptPlan> | null][] = [
  ['installed → no change', { names: ['jq'] }, state({ installed: { jq: '1.6' } }), null],
  ['missing → install', { names: ['jq', 'tree'] }, state({ installed: { jq: '1.6' } }), { install: ['tree'] }],
  ['pinned and matching → no change', { names: { kubeadm: '1.31.4-1.1' } }, state({ installed: { kubeadm: '1.31.4-1.1' } }), null],
  ['pinned, other version → install name=version', { names: { kubeadm: '1.31.4-1.1' } }, state({ installed: { kubeadm: '1.31.3-1.1' } }), { install: ['kubeadm=1.31.4-1.1'] }],
  ['pinned and held, other version → allow held change', { names: { kubeadm: '1.31.4-1.1' }, hold: true },
    state({ installed: { kubeadm: '1.31.3-1.1' }, holds: ['kubeadm'] }), { install: ['kubeadm=1.31.4-1.1'], allowHeld: true }],
  ['hold requested, not held → hold', { names: ['jq'], hold: true }, state({ installed: { jq: '1' } }), { hold: ['jq'] }],
  ['hold requested, held → no change', { names: ['jq'], hold: true }, state({ installed: { jq: '1' }, holds: ['jq'] }), null],
  ['hold false, held → unhold', { names: ['jq'], hold: false }, state({ installed: { jq: '1' }, holds: ['jq'] }), { unhold: ['jq'] }],
  ['install then hold in one plan', { names: ['jq'], hold: true }, state(), { install: ['jq'], hold: ['jq'] }],
  ['latest, older installed → install', { names: ['jq'], state: 'latest' }, state({ installed: { jq: '1' }, candidates: { jq: '2' } }), { install: ['jq'] }],
  ['latest, candidate installed → no change', { names: ['jq'], state: 'latest' }, state({ installed: { jq: '2' }, candidates: { jq: '2' } }), null],
  ['absent, installed → remove', { names: ['jq', 'sl'], state: 'absent' }, state({ installed: { jq: '1' } }), { remove: ['jq'] }],
  ['absent, held → remove allowing held', { names: ['jq'], state: 'absent' }, state({ installed: { jq: '1' }, holds: ['jq'] }), { remove: ['jq'], allowHeld: true }],
  ['absent, not installed → no change', { names: ['jq'], state: 'absent' }, state(), null],
  ['updateCache true with nothing to install → no change', { names: ['jq'], updateCache: true }, state({ installed: { jq: '1' } }), null],
  ['updateCache true with an install → update first', { names: ['jq'], updateCache: true }, state(), { update: true, install: ['jq'] }],
  ['maxAge exceeded → update even with nothing to install', { names: ['jq'], updateCache: { maxAgeSeconds: 50 } }, state({ installed: { jq: '1' }, age: 100 }), { update: true }],
  ['maxAge fresh → no change', { names: ['jq'], updateCache: { maxAgeSeconds: 3600 } }, state({ installed: { jq: '1' }, age: 100 }), null],
  ['never refreshed → update', { names: ['jq'], updateCache: { maxAgeSeconds: 3600 } }, state({ installed: { jq: '1' }, age: null }), { update: true }],
]
for (const [label, p, s, want] of cases) {
  test(`planPackages: ${label}`, () => {
    const plan = planPackages(p, s)
    assert.equal(plan, want === null ? null : { ...none, installRecommends: p.installRecommends, ...want })
  })
}

test('refreshForUnknown: an install the lists know no candidate for refreshes them first, and says why; known ones and updates already planned stay', () => {
  const plan = { ...none, install: ['nfs-ganesha', 'nfs-ganesha-vfs', 'kubeadm=1.31.4-1.1'] }
  const refreshed = refreshForUnknown(plan, new Map([['nfs-ganesha', '4.3'], ['kubeadm', '1.31.4-1.1']]))
  assert.equal(refreshed, { ...plan, update: true, unknown: ['nfs-ganesha-vfs'] })
  assert.is(describeAptPlan(refreshed), 'update lists (they know no nfs-ganesha-vfs); install nfs-ganesha nfs-ganesha-vfs kubeadm=1.31.4-1.1')
  assert.is(refreshForUnknown(plan, new Map([['nfs-ganesha', '1'], ['nfs-ganesha-vfs', '1'], ['kubeadm', '1']])), plan, 'all known: unchanged')
  const updating = { ...plan, update: true }
  assert.is(refreshForUnknown(updating, new Map()), updating, 'an update already planned')
  const hold = { ...none, hold: ['jq'] }
  assert.is(refreshForUnknown(hold, new Map()), hold, 'nothing to install')
})

test('desiredVersions: rejects names and versions that could be read as options or shell', () => {
  assert.throws(() => desiredVersions(['-o=foo']), /names: expected a Debian package name, found '-o=foo'/)
  assert.throws(() => desiredVersions({ jq: '1.6; rm -rf /' }), /names.jq: expected a Debian version/)
  assert.throws(() => desiredVersions([]), /at least one package/)
})

test('aptCommands: noninteractive, lock timeout, confold, pins, held change, then hold', () => {
  const cmds = aptCommands({ ...none, update: true, install: ['kubeadm=1.31.4-1.1', 'kubelet'], allowHeld: true, hold: ['kubeadm'], installRecommends: false })
  assert.equal(cmds.map((c) => c.text.replace(/\s+/g, ' ')), [
    'DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=120 update && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/kubeplay-update-stamp',
    'DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold --allow-downgrades --allow-change-held-packages --no-install-recommends install kubeadm=1.31.4-1.1 kubelet',
    'apt-mark hold kubeadm >/dev/null',
  ])
})

test.run()
