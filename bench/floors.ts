/**
 * The floors a run is compared with, all hosts in parallel:
 *   (a) one fresh SSH connection per host running one command;
 *   (b) 20 sequential commands over one persistent session per host.
 * Each is measured with a raw ssh2 client (the least any SSH tool can do) and with kubeplay's own
 * path (connectSsh / SshConnection.exec, which adds the remote `sh`, the per-command subshell and
 * the exit-code markers). (b) is reported with and without the connection setup: a playbook run
 * connects too, so the cold run compares with "connect + 20", a warm run with "20 only".
 */
import { readFileSync } from 'node:fs'
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2'
import { sh } from 'kubeplay'
import { connectSsh, type SshConnection } from 'kubeplay/connection'
import { fileContent } from 'kubeplay/facts'
import type { LoopbackSshd } from '../test/lab/loopback-sshd.ts'

export const FLOOR_COMMANDS = 20
const CMD = 'true'

function rawConfig(lab: LoopbackSshd, i: number): ConnectConfig {
  const h = lab.hosts[i]!
  return {
    host: h.address, port: h.port, username: 'root', privateKey: readFileSync(lab.clientKeyPath),
    // The floor: accept the key without a known_hosts lookup (kubeplay's path does verify it).
    hostVerifier: () => true, readyTimeout: 10_000,
  }
}

function rawConnect(lab: LoopbackSshd, i: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const c = new Client()
    c.once('ready', () => resolve(c)).once('error', reject).connect(rawConfig(lab, i))
  })
}

function rawExec(c: Client, command: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    c.exec(command, (err, ch) => {
      if (err) return reject(err)
      let code: number | null = null
      ch.on('exit', (x: number | null) => { code = x }).on('close', () => resolve(code)).resume()
      ch.stderr.resume()
    })
  })
}

function rawShell(c: Client): Promise<ClientChannel> {
  return new Promise((resolve, reject) => c.exec('exec sh', (err, ch) => (err ? reject(err) : resolve(ch))))
}

/** Runs `n` commands one after another on a raw `sh` channel, each ended by an echoed marker. */
async function rawSequence(ch: ClientChannel, n: number): Promise<void> {
  let buf = ''
  let want = ''
  let done: (() => void) | undefined
  ch.on('data', (b: Buffer) => {
    buf += b.toString('latin1')
    const at = buf.indexOf(want)
    if (done && at >= 0) { buf = buf.slice(at + want.length); const d = done; done = undefined; d() }
  })
  ch.stderr.resume()
  for (let k = 1; k <= n; k++) {
    want = `__kpfloor_${k}:`
    const arrived = new Promise<void>((r) => { done = r })
    ch.write(`${CMD}; echo __kpfloor_${k}:$?\n`)
    await arrived
  }
}

const all = <T>(n: number, f: (i: number) => Promise<T>): Promise<T[]> => Promise.all(Array.from({ length: n }, (_, i) => f(i)))

/** (a), raw: connect, exec one command on its own channel, disconnect. */
export async function freshRaw(lab: LoopbackSshd, n: number): Promise<void> {
  await all(n, async (i) => {
    const c = await rawConnect(lab, i)
    await rawExec(c, CMD)
    c.end()
  })
}

/** (a), kubeplay: connectSsh (verified host key, remote shell started), one exec, close. */
export async function freshKubeplay(lab: LoopbackSshd, n: number): Promise<void> {
  await all(n, async (i) => {
    const c = await connectSsh(lab.hosts[i]!.name, lab.settings(i))
    await c.exec(sh`${CMD}`)
    await c.close()
  })
}

/** (b), raw, connection setup included. */
export async function persistentRaw(lab: LoopbackSshd, n: number): Promise<void> {
  await all(n, async (i) => {
    const c = await rawConnect(lab, i)
    await rawSequence(await rawShell(c), FLOOR_COMMANDS)
    c.end()
  })
}

/** (b), kubeplay, connection setup included. */
export async function persistentKubeplay(lab: LoopbackSshd, n: number): Promise<void> {
  await all(n, async (i) => {
    const c = await connectSsh(lab.hosts[i]!.name, lab.settings(i))
    for (let k = 0; k < FLOOR_COMMANDS; k++) await c.exec(sh`${CMD}`)
    await c.close()
  })
}

/** Connections opened beforehand, so a measurement can time the commands alone. */
export interface Warm<C> {
  readonly conns: readonly C[]
  close(): Promise<void>
}

export async function warmRaw(lab: LoopbackSshd, n: number): Promise<Warm<ClientChannel>> {
  const clients = await all(n, (i) => rawConnect(lab, i))
  const conns = await Promise.all(clients.map(rawShell))
  return { conns, close: async () => { clients.forEach((c) => c.end()) } }
}

export async function warmKubeplay(lab: LoopbackSshd, n: number): Promise<Warm<SshConnection>> {
  const conns = await all(n, (i) => connectSsh(lab.hosts[i]!.name, lab.settings(i)))
  return { conns, close: async () => { await Promise.all(conns.map((c) => c.close())) } }
}

/** (b), raw, 20 commands only; the shell channels are used once (a fresh `warmRaw` per sample). */
export async function commandsRaw(w: Warm<ClientChannel>): Promise<void> {
  await Promise.all(w.conns.map((ch) => rawSequence(ch, FLOOR_COMMANDS)))
}

export async function commandsKubeplay(w: Warm<SshConnection>): Promise<void> {
  await Promise.all(w.conns.map(async (c) => { for (let k = 0; k < FLOOR_COMMANDS; k++) await c.exec(sh`${CMD}`) }))
}

/**
 * Not a floor but a yardstick: 20 commands doing the remote work of a converged file check (the
 * `fileContent` fact: one `stat` and one `cat`), so the run's cost splits into remote work and
 * kubeplay's own.
 */
export async function fileChecksKubeplay(w: Warm<SshConnection>): Promise<void> {
  await Promise.all(w.conns.map(async (c) => {
    for (let k = 0; k < FLOOR_COMMANDS; k++) await c.exec(fileContent.command('/etc/hostname'))
  }))
}
