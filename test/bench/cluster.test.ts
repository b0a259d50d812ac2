/** bench/cluster.ts's split of a run's time, on a report of our own making (the bench itself needs a real cluster build). */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { categoryOf, splitTime } from '../../bench/cluster.ts'

test('modules map to what their time is spent in; anything else is kubeplay\'s own', () => {
  assert.equal(['kubeadmInit', 'kubeadmJoin', 'aptPackages', 'containerdImage', 'kubectlWait', 'waitControlPlane', 'kubectl', 'template', null].map(categoryOf),
    ['kubeadm', 'kubeadm', 'apt', 'image import', 'waiting for Kubernetes', 'waiting for Kubernetes', 'kubectl', 'kubeplay', 'kubeplay'])
})

test('summed over hosts and on the busiest host', () => {
  const { busiest, rows } = splitTime([
    { host: 'lab2', module: 'kubeadmInit', durationMs: 40_000 },
    { host: 'lab2', module: 'template', durationMs: 500 },
    { host: 'lab5', module: 'kubeadmJoin', durationMs: 10_000 },
    { host: 'lab5', module: 'containerdImage', durationMs: 3_000 },
    { host: 'lab5', module: 'copy', durationMs: 200 },
  ])
  assert.is(busiest, 'lab2')
  const row = (c: string) => rows.find((r) => r.category === c)!
  assert.equal([row('kubeadm').allHostsMs, row('kubeadm').busiestMs], [50_000, 40_000])
  assert.equal([row('kubeplay').allHostsMs, row('kubeplay').busiestMs], [700, 500])
  assert.equal([row('image import').allHostsMs, row('image import').busiestMs], [3_000, 0])
  assert.is(rows.length, 6)
})

test.run()
