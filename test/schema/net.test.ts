import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  findOverlaps, formatIPv4, isAddress, isCidr, isHostname, isIPv4, isIPv6, isPort, isRange, parseCidr, parseIPv4,
  parseRange, rangeContains, rangeProblem, rangeSize, rangesOverlap,
} from '../../lib/schema/net.ts'

test('IPv4 addresses: dotted quads 0-255, no leading zeros', () => {
  const table: Array<[string, boolean]> = [
    ['10.110.190.21', true], ['0.0.0.0', true], ['255.255.255.255', true], ['256.1.1.1', false],
    ['10.0.0', false], ['10.0.0.1.2', false], ['010.0.0.1', false], ['10.0.0.-1', false], [' 10.0.0.1', false], ['a.b.c.d', false],
  ]
  for (const [s, ok] of table) assert.is(isIPv4(s), ok, s)
  assert.is(formatIPv4(parseIPv4('10.110.190.21')!), '10.110.190.21')
})

test('host names follow RFC 1123; numeric-only dotted names are address typos', () => {
  const table: Array<[string, boolean]> = [
    ['master1', true], ['k8s-cluster.example.com', true], ['1node', true], ['node.', true], ['-node', false],
    ['node-', false], ['no_de', false], ['a'.repeat(64), false], ['10.0.0.300', false], ['', false], ['a b', false],
  ]
  for (const [s, ok] of table) assert.is(isHostname(s), ok, s)
  assert.ok(isIPv6('fd00::1'))
  assert.ok(isAddress('fd00::1') && isAddress('10.0.0.1') && isAddress('lab1'))
  assert.not.ok(isAddress('10.0.0.300'))
})

test('ports are integers 1..65535', () => {
  for (const [p, ok] of [[1, true], [22, true], [65535, true], [0, false], [70000, false], [22.5, false], ['22', false]] as const) {
    assert.is(isPort(p), ok, String(p))
  }
})

test('CIDRs: range, prefix, canonical form', () => {
  assert.equal(parseCidr('10.244.0.0/16'), { first: parseIPv4('10.244.0.0')!, last: parseIPv4('10.244.255.255')!, prefix: 16, canonical: true })
  assert.is(parseCidr('10.244.1.0/16')!.canonical, false)
  for (const [s, ok] of [['10.96.0.0/12', true], ['0.0.0.0/0', true], ['10.0.0.1/32', true], ['10.0.0.0/33', false],
    ['10.0.0.0', false], ['10.244.1.0/16', false], ['10.0.0.0/', false]] as const) assert.is(isCidr(s), ok, s)
})

test('ranges: a-b with full addresses, or CIDR', () => {
  const table: Array<[string, number]> = [
    ['10.110.190.100-10.110.190.110', 11], ['10.110.190.100 - 10.110.190.110', 11], ['10.0.0.0/30', 4], ['10.0.0.5-10.0.0.5', 1],
  ]
  for (const [s, n] of table) assert.is(rangeSize(s), n, s)
  for (const s of ['10.110.190.100-110', '10.0.0.9-10.0.0.1', '10.0.0.1/24', 'x-y', '']) assert.not.ok(isRange(s), s)
  assert.match(rangeProblem('10.110.190.100-110')!, 'two full addresses')
  assert.match(rangeProblem('10.0.0.1/24')!, 'no host bits set (10.0.0.0/24)')
  assert.is(rangeProblem('10.0.0.0/24'), null)
  assert.equal(parseRange('10.0.0.1-10.0.0.2'), { first: parseIPv4('10.0.0.1'), last: parseIPv4('10.0.0.2') })
})

test('overlap and containment between ranges, CIDRs and addresses', () => {
  const table: Array<[string, string, boolean, boolean]> = [
    // a, b, overlap, a contains b
    ['10.110.190.0/24', '10.110.190.100-10.110.190.110', true, true],
    ['10.244.0.0/16', '10.96.0.0/12', false, false],
    ['10.96.0.0/12', '10.100.0.0/16', true, true],
    ['10.0.0.0-10.0.0.10', '10.0.0.10-10.0.0.20', true, false],
    ['10.0.0.0-10.0.0.9', '10.0.0.10-10.0.0.20', false, false],
    ['10.110.190.0/24', '10.110.190.21', true, true],
    ['10.0.0.0/24', 'nonsense', false, false],
  ]
  for (const [a, b, overlap, contains] of table) {
    assert.is(rangesOverlap(a, b), overlap, `${a} ∩ ${b}`)
    assert.is(rangesOverlap(b, a), overlap, `${b} ∩ ${a}`)
    assert.is(rangeContains(a, b), contains, `${a} ⊇ ${b}`)
  }
  assert.equal(findOverlaps({ pods: '10.244.0.0/16', metallb: '10.110.190.100-10.110.190.110', lan: '10.110.190.0/24' }),
    [['metallb', 'lan']])
})

test("the seed's LAN 10.110.190.0/24 lies inside kubeadm's default service CIDR 10.96.0.0/12", () => {
  // 10.96.0.0/12 spans 10.96.0.0–10.111.255.255: the cluster needs another serviceSubnet.
  assert.ok(rangeContains('10.96.0.0/12', '10.110.190.0/24'))
  assert.equal(findOverlaps({ services: '10.96.0.0/12', lan: '10.110.190.0/24' }), [['services', 'lan']])
})

test.run()
