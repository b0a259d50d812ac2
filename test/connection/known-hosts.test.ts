import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  checkHostKey, entryMatches, fingerprint, hashHostName, hostLookupName, keyTypeOf, knownHostsLine,
  parseKnownHosts, parsePinnedKey, preferredHostKeyAlgorithms,
} from '../../lib/connection/known-hosts.ts'

// Real vectors: two ed25519 keys, a known_hosts file hashed by `ssh-keygen -H -f`, fingerprints
// from `ssh-keygen -lf`.
const K1 = 'AAAAC3NzaC1lZDI1NTE5AAAAILqBfOdLCk365YiDWOflK/eAnwtHc+DZroegXKr4Dzdl'
const K2 = 'AAAAC3NzaC1lZDI1NTE5AAAAIFVSuGlIglqFf1nwnnFeSk5csO/YmUJUG8YOL/gl3m1o'
const FP1 = 'SHA256:Z6Y76VQBde/4G3Z8nQDPR22e8bKmnkct6wegM//douE'
const FP2 = 'SHA256:Ft1NnqzhJB7TxoQdcxbmkRtheFIePiKbgcfl00tAx8M'
const HASHED = [
  `|1|YXHejEMQZpJz122JC775E8wzhqY=|qqHrbvAaBvog3bMrJUe34Yktcm0= ssh-ed25519 ${K1}`, // 10.0.0.5
  `|1|V/WLgllX/L3+6/jK43ZROj7Lb34=|ZivFOZYbqzubwctTVQ/Q5uhIyno= ssh-ed25519 ${K2}`, // [10.0.0.6]:2222
].join('\n')
const blob = (k: string) => Buffer.from(k, 'base64')

test('parseKnownHosts skips comments, blank and malformed lines and keeps line numbers', () => {
  const e = parseKnownHosts(`# comment\n\nweb1,10.0.0.1 ssh-ed25519 ${K1} comment here\nbroken-line\n@bogus h ssh-ed25519 ${K2}\n`)
  assert.equal(e.length, 1)
  assert.equal(e[0], { hosts: 'web1,10.0.0.1', keyType: 'ssh-ed25519', key: K1, line: 3 })
})

test('parseKnownHosts reads @revoked and @cert-authority markers', () => {
  const e = parseKnownHosts(`@revoked * ssh-ed25519 ${K1}\n@cert-authority *.example ssh-ed25519 ${K2}\n`)
  assert.equal(e.map((x) => x.marker), ['revoked', 'cert-authority'])
})

test('hostLookupName uses [host]:port except on port 22', () => {
  assert.is(hostLookupName('10.0.0.1', 22), '10.0.0.1')
  assert.is(hostLookupName('10.0.0.1', 2222), '[10.0.0.1]:2222')
})

test('hashed entries from ssh-keygen -H match their host and port only', () => {
  const [a, b] = parseKnownHosts(HASHED)
  assert.ok(entryMatches(a!, '10.0.0.5', 22))
  assert.not.ok(entryMatches(a!, '10.0.0.5', 2222))
  assert.not.ok(entryMatches(a!, '10.0.0.6', 22))
  assert.ok(entryMatches(b!, '10.0.0.6', 2222))
  assert.not.ok(entryMatches(b!, '10.0.0.6', 22))
})

test('hashHostName reproduces the ssh-keygen -H hash', () => {
  assert.is(hashHostName('10.0.0.5', Buffer.from('YXHejEMQZpJz122JC775E8wzhqY=', 'base64')), 'qqHrbvAaBvog3bMrJUe34Yktcm0=')
})

const patterns: Array<[string, string, number, boolean]> = [
  ['web1,10.0.0.1', '10.0.0.1', 22, true],
  ['web1,10.0.0.1', 'web1', 22, true],
  ['web1,10.0.0.1', '10.0.0.2', 22, false],
  ['[10.0.0.1]:2222', '10.0.0.1', 2222, true],
  ['10.0.0.1', '10.0.0.1', 2222, false],
  ['10.0.0.*', '10.0.0.77', 22, true],
  ['10.0.0.?', '10.0.0.77', 22, false],
  ['10.0.0.*,!10.0.0.13', '10.0.0.13', 22, false],
  ['WEB1', 'web1', 22, true],
  ['10.0.0.1', '10x0x0x1', 22, false],
]
for (const [hosts, address, port, want] of patterns) {
  test(`entryMatches '${hosts}' against ${hostLookupName(address, port)} → ${want}`, () => {
    assert.is(entryMatches({ hosts, keyType: 'ssh-ed25519', key: K1, line: 1 }, address, port), want)
  })
}

test('fingerprint is SHA256 base64 without padding, like ssh-keygen -l', () => {
  assert.is(fingerprint(K1), FP1)
  assert.is(fingerprint(blob(K2)), FP2)
})

test('keyTypeOf reads the type inside the key blob', () => {
  assert.is(keyTypeOf(blob(K1)), 'ssh-ed25519')
  assert.is(keyTypeOf(Buffer.alloc(2)), 'unknown')
})

test('checkHostKey: same key → ok, other key → changed with the known entries, no entry → unknown', () => {
  const e = parseKnownHosts(HASHED)
  assert.equal(checkHostKey(e, '10.0.0.5', 22, blob(K1)), { status: 'ok', line: 1 })
  const changed = checkHostKey(e, '10.0.0.5', 22, blob(K2))
  assert.is(changed.status, 'changed')
  assert.equal(changed.status === 'changed' && changed.known.map((k) => k.key), [K1])
  assert.equal(checkHostKey(e, '10.0.0.9', 22, blob(K1)), { status: 'unknown' })
  assert.equal(checkHostKey([], '10.0.0.5', 22, blob(K1)), { status: 'unknown' })
})

test('checkHostKey: a @revoked key is refused even when also listed as known', () => {
  const e = parseKnownHosts(`10.0.0.5 ssh-ed25519 ${K1}\n@revoked * ssh-ed25519 ${K1}\n`)
  assert.equal(checkHostKey(e, '10.0.0.5', 22, blob(K1)), { status: 'revoked', line: 2 })
})

test('checkHostKey: @cert-authority lines neither match nor conflict', () => {
  const e = parseKnownHosts(`@cert-authority 10.0.0.5 ssh-ed25519 ${K2}\n`)
  assert.equal(checkHostKey(e, '10.0.0.5', 22, blob(K1)), { status: 'unknown' })
})

test('knownHostsLine writes what checkHostKey then accepts', () => {
  const line = knownHostsLine('127.0.0.1', 2200, blob(K1))
  assert.is(line, `[127.0.0.1]:2200 ssh-ed25519 ${K1}\n`)
  assert.is(checkHostKey(parseKnownHosts(line), '127.0.0.1', 2200, blob(K1)).status, 'ok')
})

test('parsePinnedKey takes type and key, ignores the comment, rejects a lone word', () => {
  assert.equal(parsePinnedKey(` ssh-ed25519 ${K1} root@h `), { keyType: 'ssh-ed25519', key: K1 })
  assert.is(parsePinnedKey('AAAA'), undefined)
})

test('preferredHostKeyAlgorithms puts known types first (rsa → its sha2 variants), no duplicates', () => {
  const defaults = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']
  assert.equal(preferredHostKeyAlgorithms(['ssh-rsa'], defaults), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519', 'ecdsa-sha2-nistp256'])
  assert.equal(preferredHostKeyAlgorithms([], defaults), defaults)
  assert.equal(preferredHostKeyAlgorithms(['ssh-dss'], defaults), defaults)
})

test.run()
