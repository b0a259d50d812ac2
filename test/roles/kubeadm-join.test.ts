import { execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseEndpointHealth, parseMemberList, quorumAfterRemoval, type EtcdMember } from '../../roles/kubernetes/etcd.ts'
import { JOIN_PROBE, joinState, joinStateOf, parseJoinProbe, type JoinProbe } from '../../roles/kubernetes/join.ts'
import type { HostContext } from '../../lib/engine/module.ts'

const MEMBERS = `8e9e05c52164694d, started, lab2, https://10.0.0.2:2380, https://10.0.0.2:2379, false
91bc3c398fb3c146, started, lab3, https://10.0.0.3:2380, https://10.0.0.3:2379, false
fd422379fda50e48, unstarted, , https://10.0.0.4:2380, , false
`

test('parseMemberList: etcdctl member list -w simple, ids kept as hex text, unstarted members without a name', () => {
  const m = parseMemberList(MEMBERS)
  assert.equal(m.map((x) => [x.id, x.started, x.name, x.peerUrls[0], x.clientUrls.length]), [
    ['8e9e05c52164694d', true, 'lab2', 'https://10.0.0.2:2380', 1],
    ['91bc3c398fb3c146', true, 'lab3', 'https://10.0.0.3:2380', 1],
    ['fd422379fda50e48', false, '', 'https://10.0.0.4:2380', 0],
  ])
  assert.equal(parseMemberList('Error: context deadline exceeded\n'), [])
})

test('parseJoinProbe: each line the probe prints', () => {
  assert.equal(parseJoinProbe('fresh\n'), { kind: 'fresh' })
  assert.equal(parseJoinProbe('leftover /etc/kubernetes/pki/ca.crt\n'), { kind: 'leftover', path: '/etc/kubernetes/pki/ca.crt' })
  assert.equal(parseJoinProbe('refused error: You must be logged in to the server (Unauthorized)\n'), { kind: 'refused', message: 'error: You must be logged in to the server (Unauthorized)' })
  assert.equal(parseJoinProbe('unreachable The connection to the server 10.0.0.1:6443 was refused\n'), { kind: 'unreachable', message: 'The connection to the server 10.0.0.1:6443 was refused' })
  assert.equal(parseJoinProbe('node lab3\ncontrol-plane-manifests\ncontrol-plane-label\nregistered\n'),
    { kind: 'node', node: 'lab3', registered: true, controlPlaneLabel: true, controlPlaneManifests: true })
  assert.equal(parseJoinProbe('node lab5\nunregistered\n'), { kind: 'node', node: 'lab5', registered: false, controlPlaneLabel: false, controlPlaneManifests: false })
  assert.equal(parseJoinProbe('node lab5\nunreachable context deadline exceeded\n'), { kind: 'unreachable', message: 'context deadline exceeded' })
  assert.is(parseJoinProbe('').kind, 'unreachable')
})

const node = (o: Partial<Extract<JoinProbe, { kind: 'node' }>>): JoinProbe => ({ kind: 'node', node: 'lab3', registered: true, controlPlaneLabel: true, controlPlaneManifests: true, ...o })
const members = (text: string): EtcdMember[] => parseMemberList(text)

test('joinStateOf: joined only when the API knows the node (and etcd has it started, for a control plane)', () => {
  assert.equal(joinStateOf('lab5', { kind: 'fresh' }, false), { kind: 'fresh' })
  assert.equal(joinStateOf('lab5', node({ node: 'lab5', controlPlaneLabel: false, controlPlaneManifests: false }), false), { kind: 'joined', node: 'lab5' })
  assert.equal(joinStateOf('lab3', node({}), true, members(MEMBERS)), { kind: 'joined', node: 'lab3' })
})

test('joinStateOf: what a failed or interrupted join leaves is redone, with the reason', () => {
  const why = (s: ReturnType<typeof joinStateOf>): string => (s.kind === 'redo' ? s.why : `not redo: ${s.kind}`)
  assert.match(why(joinStateOf('lab5', { kind: 'leftover', path: '/etc/kubernetes/bootstrap-kubelet.conf' }, false)), /left \/etc\/kubernetes\/bootstrap-kubelet\.conf behind/)
  assert.match(why(joinStateOf('lab5', { kind: 'refused', message: 'Unauthorized' }, false)), /refuses this node's kubelet credentials/)
  assert.match(why(joinStateOf('lab5', node({ node: 'lab5', registered: false }), false)), /no Node lab5 is registered/)
  assert.match(why(joinStateOf('lab3', node({ controlPlaneLabel: false }), true)), /stopped before its last phase/)
  assert.match(why(joinStateOf('lab4', node({ node: 'lab4' }), true, members(MEMBERS))), /etcd has no member named lab4/)
  assert.match(why(joinStateOf('lab3', node({}), true, members(MEMBERS.replace('started, lab3', 'unstarted, lab3')))), /etcd member lab3 is not started/)
})

test('joinStateOf: never resets on a guess (API unreachable, etcd silent, a worker in the masters group)', () => {
  assert.throws(() => joinStateOf('lab5', { kind: 'unreachable', message: 'i/o timeout' }, false), /cannot say whether this node has joined \(i\/o timeout\); not touching it/)
  assert.throws(() => joinStateOf('lab3', node({}), true, null), /etcd does not answer.*not touching it/)
  assert.throws(() => joinStateOf('lab5', node({ node: 'lab5', controlPlaneLabel: false, controlPlaneManifests: false }), true), /registered as a worker, but the host is in the masters group/)
})

test('JOIN_PROBE without kubelet.conf: fresh, or the first leftover of an attempt (run by sh on a scratch root)', () => {
  const root = mkdtempSync(join(tmpdir(), 'kp-join-'))
  try {
    const script = JOIN_PROBE.text.replaceAll('/etc/kubernetes', `${root}/etc/kubernetes`).replaceAll('/var/lib/etcd', `${root}/var/lib/etcd`)
    const probe = (): JoinProbe => parseJoinProbe(execFileSync('sh', ['-c', script], { encoding: 'utf8' }))
    assert.equal(probe(), { kind: 'fresh' })
    mkdirSync(join(root, 'etc/kubernetes/manifests'), { recursive: true })
    assert.equal(probe(), { kind: 'fresh' }, 'an empty manifests directory (the kubelet package makes it) is no leftover')
    writeFileSync(join(root, 'etc/kubernetes/manifests/etcd.yaml'), '')
    assert.equal(probe(), { kind: 'leftover', path: `${root}/etc/kubernetes/manifests/etcd.yaml` })
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('the join guard asks again while the API cannot say (a control plane that just joined behind the load balancer), then answers', async () => {
  const answers = ['unreachable error: the selfsubjectreviews API is not enabled in the cluster', 'unreachable error: EOF', 'node lab6\nregistered']
  let asked = 0
  const h = { name: 'lab6', run: async () => ({ stdout: answers[Math.min(asked++, answers.length - 1)]!, stderr: '', code: 0 }), from: async () => null } as unknown as HostContext
  assert.equal(await joinState(h, false, 'masters', { delayMs: 1 }), { kind: 'joined', node: 'lab6' })
  assert.is(asked, 3)
  // Still unsure after every attempt: "cannot say" is the answer, and nothing is touched.
  const never = { name: 'lab6', run: async () => ({ stdout: 'unreachable error: EOF', stderr: '', code: 0 }), from: async () => null } as unknown as HostContext
  await joinState(never, false, 'masters', { attempts: 3, delayMs: 1 }).then(() => assert.unreachable('should throw'), (e: Error) => assert.match(e.message, 'the API cannot say whether this node has joined (error: EOF); not touching it'))
})

test('remove-node quorum: the members left must keep a majority answering (etcdctl endpoint health --cluster -w json)', () => {
  const members = parseMemberList([
    'a1, started, lab2, https://10.0.0.2:2380, https://10.0.0.2:2379, false',
    'b2, started, lab3, https://10.0.0.3:2380, https://10.0.0.3:2379, false',
    'c3, started, lab4, https://10.0.0.4:2380, https://10.0.0.4:2379, false',
  ].join('\n'))
  // etcdctl exits 1 and still prints every endpoint when one is down.
  const text = 'ignored line\n[{"endpoint":"https://10.0.0.2:2379","health":true,"took":"9ms"},{"endpoint":"https://10.0.0.3:2379","health":false,"error":"context deadline exceeded"},{"endpoint":"https://10.0.0.4:2379","health":true}]\n'
  const health = parseEndpointHealth(text)
  assert.equal([...health], [['https://10.0.0.2:2379', true], ['https://10.0.0.3:2379', false], ['https://10.0.0.4:2379', true]])
  const allUp = new Map([...health].map(([k]) => [k, true]))
  assert.equal(quorumAfterRemoval(members, allUp, (m) => m.name === 'lab4'), { ok: true, remaining: 2, healthy: 2, needed: 2, down: [] })
  // lab3 down: removing lab4 leaves lab2 + lab3 with one answering — refused; removing the dead lab3 is fine.
  assert.equal(quorumAfterRemoval(members, health, (m) => m.name === 'lab4'), { ok: false, remaining: 2, healthy: 1, needed: 2, down: ['lab3'] })
  assert.equal(quorumAfterRemoval(members, health, (m) => m.name === 'lab3').ok, true)
  // Nothing known (etcdctl said nothing parsable): refused rather than guessed.
  assert.is(quorumAfterRemoval(members, parseEndpointHealth('Error: context deadline exceeded'), (m) => m.name === 'lab4').ok, false)
  assert.is(quorumAfterRemoval(members.slice(0, 1), allUp, () => true).ok, false, 'the last member is never removed')
})

test.run()
