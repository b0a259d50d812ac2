/**
 * Every role settles its settings one way (defineSettings): what a playbook passes to the role is
 * checked when the role is built, before any connection, with the role's own schema — the call, the
 * key, what was expected and what was found — and the role's vars key is what the inventory loader
 * validates.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ConfigErrors } from '../../lib/errors.ts'
import type { Role } from '../../lib/engine/task.ts'
import * as roles from '../../roles/index.ts'

const cases: [string, (p: Record<string, unknown>) => Role, string][] = [
  ['common()', (p) => roles.common(p as never), 'common'],
  ['containerd()', (p) => roles.containerd(p as never), 'containerd'],
  ['haproxy()', (p) => roles.haproxy(p as never), 'haproxy'],
  ['nfsServer()', (p) => roles.nfsServer(p as never), 'nfs'],
  ['nfsClient()', (p) => roles.nfsClient(p as never), 'nfs'],
  ['kubernetesMaster()', (p) => roles.kubernetesMaster(p as never), 'kubernetes'],
  ['kubernetesWorker()', (p) => roles.kubernetesWorker(p as never), 'kubernetes'],
  ['metallb()', (p) => roles.metallb(p as never), 'metallb'],
  ['metricsServer()', (p) => roles.metricsServer(p as never), 'metricsServer'],
  ['ingressNginx()', (p) => roles.ingressNginx(p as never), 'ingressNginx'],
  ['prometheus()', (p) => roles.prometheus(p as never), 'prometheus'],
]

for (const [who, build, key] of cases) {
  test(`${who}: an unknown param is refused when the role is built, naming the call and the key`, () => {
    try {
      build({ noSuchSetting: 1 })
      assert.unreachable('built with an unknown param')
    } catch (e) {
      assert.instance(e, ConfigErrors)
      const msg = (e as Error).message
      assert.match(msg, `${who} params`)
      assert.match(msg, `${key}.noSuchSetting`)
    }
  })

  test(`${who}: built with no params, its vars key is '${key}'`, () => {
    assert.is(build({}).vars?.key, key)
  })
}

test('a param of the wrong type names what was expected and what was found', () => {
  assert.throws(() => roles.common({ minCpus: 'two' } as never), (e: Error) => /common\(\) params: common\.minCpus: expected an integer.*found "two"/.test(e.message))
})

test.run()
