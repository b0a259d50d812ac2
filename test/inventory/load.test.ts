import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { writeTree } from './tmp.ts'

// The lab layer reads its root once, when first imported.
const labRoot = writeTree({
  'kubeplay/inventory.json': JSON.stringify({ hosts: { lab1: { address: '10.250.1.11' } }, groups: { masters: { hosts: ['lab1'] } } }),
  'other/inventory.json': JSON.stringify({ hosts: { lab9: { address: '10.250.2.11' } } }),
})
process.env.KUBEPLAY_LAB_ROOT = labRoot
const { loadInventory } = await import('../../lib/inventory/load.ts')
const env = { USER: 'me' }

test('lab and lab:NAME read the lab’s inventory.json', async () => {
  const inv = await loadInventory('lab', { cwd: labRoot, env })
  assert.is(inv.source, 'lab:kubeplay')
  assert.equal(inv.groups.get('masters')!.hosts, ['lab1'])
  assert.equal([...(await loadInventory('lab:other', { cwd: labRoot, env })).hosts.keys()], ['lab9'])
})

test('a TS inventory module: its default export, typed with defineInventory', async () => {
  const root = writeTree({
    'inventory.ts': "import { defineInventory } from '" + join(process.cwd(), 'lib/inventory/types.ts') + "'\n" +
      "export default defineInventory({ hosts: { m1: { address: '10.0.0.1', become: true } }, groups: { masters: { hosts: ['m1'] } } })\n",
  })
  const inv = await loadInventory(join(root, 'inventory.ts'), { cwd: root, env })
  assert.is(inv.hosts.get('m1')!.connection.become, true)
  assert.is(inv.source, join(root, 'inventory.ts'))
})

test('an INI file without extension (Ansible’s `hosts`); relative key files are relative to cwd, as in Ansible', async () => {
  const root = writeTree({ 'inventories/prod/hosts': '[masters]\nm1 ansible_ssh_private_key_file=keys/id\n', 'keys/id': 'KEY' })
  const inv = await loadInventory(join(root, 'inventories/prod'), { cwd: root, env })
  assert.is(inv.hosts.get('m1')!.connection.keyFile, join(root, 'keys/id'))
})

test('a JSON inventory and a YAML vars file written with a UTF-8 byte order mark load as without one', async () => {
  const root = writeTree({
    'inventory.json': '\uFEFF' + JSON.stringify({ hosts: { m1: { address: '10.0.0.1' } } }),
    'group_vars/all.yml': '\uFEFFx: 1\n',
  })
  const inv = await loadInventory(join(root, 'inventory.json'), { cwd: root })
  assert.equal(inv.hosts.get('m1')!.vars, { x: 1 })
})

test.run()
