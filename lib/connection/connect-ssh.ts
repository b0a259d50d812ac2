/**
 * `connectSsh` as the public API gives it: the SSH library (node-ssh, ssh2 and its crypto) loads with
 * the first connection, not with `import 'kubeplay'`, so a run that contacts nothing (--list-hosts, a
 * bad inventory) or only local hosts never pays for it.
 */
import type { SshConnectOptions } from './ssh-connect.ts'
import type { SshConnection } from './ssh.ts'
import type { ResolvedConnection } from './types.ts'

export async function connectSsh(host: string, settings: ResolvedConnection, opts: SshConnectOptions = {}): Promise<SshConnection> {
  return (await import('./ssh.ts')).connectSsh(host, settings, opts)
}
