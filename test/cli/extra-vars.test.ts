/** -e over vars: a secret given again by `-e @file.yml` stays a Secret with the new value; the rest of its mapping is kept. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { withExtraVars } from '../../lib/cli/extra-vars.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import { Secret } from '../../lib/secret.ts'

const inv = (): Inventory => ({
  source: 'inventory.ts',
  hosts: new Map([['h', { name: 'h', groups: ['all'], vars: { haproxy: { statsPassword: new Secret('old-password-1', 'statsPassword'), statsPort: 8404 } },
    connection: { address: 'h', port: 22, user: 'root', become: false, connection: 'local' } }]]),
  groups: new Map([['all', { name: 'all', hosts: ['h'], children: [], vars: {} }]]),
})

test('-e @file.yml replacing a secret: a Secret with the new value, sibling settings kept', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'kp-ev-')), 'ev.yml')
  writeFileSync(file, 'haproxy:\n  statsPassword: new-password-2\n')
  const v = withExtraVars(inv(), [`@${file}`]).hosts.get('h')!.vars.haproxy as Record<string, unknown>
  assert.instance(v.statsPassword, Secret)
  assert.is((v.statsPassword as Secret).reveal(), 'new-password-2')
  assert.is(v.statsPort, 8404)
})

test('-e key=value on a secret setting: a Secret too', () => {
  const v = withExtraVars(inv(), ['haproxy.statsPassword=new-password-3']).hosts.get('h')!.vars.haproxy as Record<string, unknown>
  assert.instance(v.statsPassword, Secret)
  assert.is((v.statsPassword as Secret).reveal(), 'new-password-3')
  assert.is(v.statsPort, 8404)
})

test.run()
