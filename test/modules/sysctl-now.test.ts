/** sysctlNow's pure parts: /proc/sys paths, the runtime read, and the plan (what to write, what is read-only, what is missing). The module runs on lab hosts in test/roles/common.lab.test.ts and test/modules/sysctl-now.lab.test.ts. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseSysctlRuntime, procSysPath } from '../../lib/facts/sysctl-runtime.ts'
import { planSysctlNow } from '../../lib/modules/sysctl-now.ts'

test('sysctl names map to /proc/sys paths, dots and slashes swapped', () => {
  assert.is(procSysPath('net.ipv4.ip_forward'), '/proc/sys/net/ipv4/ip_forward')
  assert.is(procSysPath('net.ipv4.conf.eth0/100.rp_filter'), '/proc/sys/net/ipv4/conf/eth0.100/rp_filter')
})

const RUNTIME = parseSysctlRuntime([
  'net.ipv4.ip_forward rw 0',
  'net.bridge.bridge-nf-call-iptables absent',
  'net.netfilter.nf_conntrack_max ro 262144',
  'net.ipv4.ip_local_port_range rw 32768 60999 ',
  'vm.swappiness ro 60',
].join('\n'))

test('runtime sysctl plan: write what is writable and differs; read-only is persisted only; absent is reported', () => {
  assert.equal(planSysctlNow({
    'net.ipv4.ip_forward': 1, 'net.bridge.bridge-nf-call-iptables': 1, 'net.netfilter.nf_conntrack_max': 1000000,
    'net.ipv4.ip_local_port_range': '32768   60999', 'vm.swappiness': 60,
  }, RUNTIME), {
    writes: ['net.ipv4.ip_forward=1'],
    readOnly: [{ name: 'net.netfilter.nf_conntrack_max', runtime: '262144', want: '1000000' }],
    missing: ['net.bridge.bridge-nf-call-iptables'],
  })
})

test.run()
