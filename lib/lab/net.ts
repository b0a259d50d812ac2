/**
 * One bridge, one /24 and one nft table per lab. Hosts talk to each other; towards the outside they
 * reach only the Debian mirror on tcp 80/443, masqueraded; nothing else leaves or enters. The
 * machine's net.ipv4.ip_forward is recorded before the first lab and restored after the last.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { run, tryRun } from './exec.ts'
import { withLock } from './lock.ts'
import { LAB_ROOT, bridgeName, gatewayOf, labPaths, nftTableName, subnetOf } from './paths.ts'

export interface LabNet {
  readonly k: number
  readonly subnet: string
  readonly gateway: string
  readonly bridge: string
  readonly nftTable: string
  readonly mirrors: readonly string[]
}

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward'
const forwardOrig = (): string => join(LAB_ROOT, 'ip_forward.orig')

/** Names of labs that hold a network allocation (a `net.json`). */
export function allocatedLabs(): string[] {
  if (!existsSync(LAB_ROOT)) return []
  return readdirSync(LAB_ROOT).filter((n) => existsSync(labPaths(n).netJson))
}

export function readNet(name: string): LabNet | null {
  try {
    return JSON.parse(readFileSync(labPaths(name).netJson, 'utf8')) as LabNet
  } catch {
    return null
  }
}

/** IPv4 addresses of the apt mirror, resolved on the machine (hosts have no DNS). */
export async function mirrorAddresses(): Promise<string[]> {
  const r = await run('getent', ['ahostsv4', 'deb.debian.org'], { allowFail: true, timeoutMs: 15_000 })
  const ips = [...new Set(r.stdout.split('\n').map((l) => l.split(/\s+/)[0] ?? '').filter((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip)))]
  if (ips.length === 0) throw new Error('cannot resolve deb.debian.org on this machine (getent ahostsv4): the lab needs the apt mirror')
  return ips
}

/** The nft ruleset of one lab (pure, for tests and review). */
export function nftRuleset(n: Pick<LabNet, 'bridge' | 'subnet' | 'nftTable' | 'mirrors'>): string {
  const br = JSON.stringify(n.bridge)
  const mirrors = n.mirrors.join(', ')
  return `table ip ${n.nftTable} {
  chain lab_fwd {
    type filter hook forward priority 0; policy accept;
    iifname ${br} oifname ${br} accept
    ct state established,related accept
    iifname ${br} ip daddr { ${mirrors} } tcp dport { 80, 443 } accept
    iifname ${br} drop
    oifname ${br} drop
  }
  chain lab_in {
    type filter hook input priority 0; policy accept;
    iifname ${br} ct state established,related accept
    iifname ${br} icmp type echo-request accept
    iifname ${br} drop
  }
  chain lab_out {
    type filter hook output priority 0; policy accept;
    ip daddr ${n.subnet} oifname != ${br} drop
  }
  chain lab_post {
    type nat hook postrouting priority 100; policy accept;
    ip saddr ${n.subnet} ip daddr { ${mirrors} } oifname != ${br} masquerade
  }
}
`
}

/** k in 1..249 not used by another lab nor by any route on the machine. */
async function freeK(): Promise<number> {
  const used = new Set(allocatedLabs().map((n) => readNet(n)?.k).filter((k): k is number => typeof k === 'number'))
  const routes = (await run('ip', ['-4', 'route', 'show'], { allowFail: true })).stdout
  for (let k = 1; k < 250; k++) {
    if (used.has(k)) continue
    if (routes.includes(`10.250.${k}.`)) continue
    return k
  }
  throw new Error('no free lab subnet in 10.250.1-249.0/24')
}

/** Allocates (or re-reads) the lab's subnet and brings up its bridge and nft table. */
export async function netUp(name: string): Promise<LabNet> {
  const mirrors = await mirrorAddresses()
  return withLock('net', async () => {
    const prev = readNet(name)
    const k = prev?.k ?? (await freeK())
    const net: LabNet = {
      k, subnet: subnetOf(k), gateway: gatewayOf(k), bridge: bridgeName(name), nftTable: nftTableName(name), mirrors,
    }
    writeFileSync(labPaths(name).netJson, JSON.stringify(net, null, 2) + '\n')
    if (!existsSync(`/sys/class/net/${net.bridge}`)) {
      await run('ip', ['link', 'add', net.bridge, 'type', 'bridge'])
      await run('ip', ['addr', 'add', `${net.gateway}/24`, 'dev', net.bridge])
      await run('ip', ['link', 'set', net.bridge, 'up'])
    }
    if (!existsSync(forwardOrig())) writeFileSync(forwardOrig(), readFileSync(IP_FORWARD, 'utf8'))
    writeFileSync(IP_FORWARD, '1\n')
    await tryRun('nft', ['delete', 'table', 'ip', net.nftTable])
    await run('nft', ['-f', '-'], { input: nftRuleset(net) })
    return net
  })
}

/** Removes the lab's bridge and nft table; restores ip_forward when no other lab holds a network. */
export async function netDown(name: string, net: LabNet | null): Promise<void> {
  await withLock('net', async () => {
    const bridge = net?.bridge ?? bridgeName(name)
    if (existsSync(`/sys/class/net/${bridge}`)) await run('ip', ['link', 'del', bridge])
    await tryRun('nft', ['delete', 'table', 'ip', net?.nftTable ?? nftTableName(name)])
    rmSync(labPaths(name).netJson, { force: true })
    if (allocatedLabs().length === 0 && existsSync(forwardOrig())) {
      writeFileSync(IP_FORWARD, readFileSync(forwardOrig(), 'utf8').trim() + '\n')
      rmSync(forwardOrig(), { force: true })
    }
  })
}
