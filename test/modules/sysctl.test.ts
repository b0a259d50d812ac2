import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { editSysctlConf } from '../../lib/modules/sysctl.ts'

const cases: [string, string, string, string | number | null, string][] = [
  ['append to an empty file', '', 'net.ipv4.ip_forward', 1, 'net.ipv4.ip_forward = 1\n'],
  ['append after other keys (tasks compose)', 'net.ipv4.ip_forward = 1\n', 'net.bridge.bridge-nf-call-iptables', 1,
    'net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\n'],
  ['replace in place, comments kept', '# k8s\nnet.ipv4.ip_forward=0\nvm.swappiness = 10\n', 'net.ipv4.ip_forward', 1,
    '# k8s\nnet.ipv4.ip_forward = 1\nvm.swappiness = 10\n'],
  ['duplicates dropped', 'a.b = 1\nc = 2\na.b=3\n', 'a.b', 4, 'a.b = 4\nc = 2\n'],
  ['slash spelling is the same key', 'net/ipv4/ip_forward = 0\n', 'net.ipv4.ip_forward', 1, 'net.ipv4.ip_forward = 1\n'],
  ['ignore-errors prefix is the same key', '-net.ipv4.ip_forward = 0\n', 'net.ipv4.ip_forward', 1, 'net.ipv4.ip_forward = 1\n'],
  ['a commented assignment is not touched', '# net.ipv4.ip_forward = 0\n', 'net.ipv4.ip_forward', 1, '# net.ipv4.ip_forward = 0\nnet.ipv4.ip_forward = 1\n'],
  ['a key that is a prefix of another is distinct', 'net.ipv4.ip_forward_use_pmtu = 0\n', 'net.ipv4.ip_forward', 1,
    'net.ipv4.ip_forward_use_pmtu = 0\nnet.ipv4.ip_forward = 1\n'],
  ['multi-value normalised', '', 'net.ipv4.ip_local_port_range', '1024\t65000', 'net.ipv4.ip_local_port_range = 1024 65000\n'],
  ['remove', 'a = 1\nb = 2\n', 'a', null, 'b = 2\n'],
  ['remove the last line leaves an empty file', 'a = 1\n', 'a', null, ''],
  ['missing final newline is fixed', 'a = 1', 'b', 2, 'a = 1\nb = 2\n'],
]
for (const [label, text, name, value, want] of cases) test(`editSysctlConf: ${label}`, () => assert.is(editSysctlConf(text, name, value), want))

test('editSysctlConf: applying twice is applying once', () => {
  const once = editSysctlConf('x = 1\n', 'net.ipv4.ip_forward', 1)
  assert.is(editSysctlConf(once, 'net.ipv4.ip_forward', 1), once)
})

test.run()
