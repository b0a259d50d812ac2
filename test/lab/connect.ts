/**
 * SSH connections to the test lab's hosts (root by key, strict host keys against the lab's
 * known_hosts). Only lab addresses are contacted: `assertLabAddress` checks the lab's bridge first.
 */
import { readFileSync } from 'node:fs'
import { connectSsh } from '../../lib/connection/ssh.ts'
import { secret } from '../../lib/secret.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { assertLabAddress, type LabInfo } from '../../lib/lab/index.ts'
import { testLab } from './harness.ts'

export interface LabConnectOptions {
  /** Log in as the lab's non-root user and use sudo with its password. @default false (root) */
  readonly asUser?: boolean
}

export async function labConnect(lab: LabInfo, index = 0, opts: LabConnectOptions = {}): Promise<Connection> {
  const h = lab.hosts[index]
  if (!h) throw new Error(`lab ${lab.name} has no host #${index + 1}`)
  assertLabAddress(h.address)
  return connectSsh(h.name, {
    address: h.address,
    port: 22,
    user: opts.asUser ? lab.becomeUser : 'root',
    keyFile: lab.keyPath,
    knownHosts: lab.knownHostsPath,
    become: !!opts.asUser,
    becomePassword: opts.asUser ? secret(readFileSync(lab.becomePasswordPath, 'utf8').trim()) : undefined,
    connection: 'ssh',
  })
}

/** The shared test lab (started by the test runner, or by this process) and a root connection to host #index. */
export async function labHost(index = 0): Promise<{ lab: LabInfo; conn: Connection }> {
  const lab = await testLab()
  return { lab, conn: await labConnect(lab, index) }
}
