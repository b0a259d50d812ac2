/**
 * Loopback SSH "hosts": N `sshd -D` daemons on distinct 127.x.y.z addresses, each with its own
 * config, ed25519 host key, pid file and authorized_keys (one generated client key for all). Cheap
 * SSH targets for connection tests and the benchmark. Needs root and /usr/sbin/sshd
 * (`apt-get install openssh-server`). Every daemon is killed by pid in `stop()`, and at process exit.
 *
 * Each daemon runs in a private mount namespace with its own /run (kubeplay's run lock lives there:
 * hosts sharing one would lock each other out) and, by default, an empty ~/.bashrc instead of the
 * login user's: bash reads ~/.bashrc for every SSH session, and a heavy one (root's `pyenv init`
 * here, ~120 ms) would be measured instead of kubeplay.
 */
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { ResolvedConnection } from '../../lib/inventory/types.ts'

const run = promisify(execFile)
const SSHD = '/usr/sbin/sshd'

export interface LoopbackHost {
  readonly name: string
  readonly address: string
  readonly port: number
  /** `ssh-ed25519 AAAA…`, as for a pinned `hostKey`. */
  readonly hostKey: string
  readonly pid: number
  readonly dir: string
}

export interface LoopbackSshd {
  readonly dir: string
  readonly hosts: readonly LoopbackHost[]
  /** Holds every host's key (`[address]:port` form unless port 22). */
  readonly knownHostsPath: string
  readonly clientKeyPath: string
  /** Connection settings for host #i: root, client key, the harness's known_hosts. */
  settings(i: number, extra?: Partial<ResolvedConnection>): ResolvedConnection
  /** Pids of the per-connection sshd processes of host #i (one per open TCP connection). */
  sessions(i: number): number[]
  /** Kills host #i's per-connection processes (its listener keeps running): a dropped session. */
  killSessions(i: number): void
  /** Kills every daemon and its sessions, removes the temp dir. Idempotent. */
  stop(): Promise<void>
}

export interface LoopbackOptions {
  /** Listen port; 0 picks a free port per host. @default 0 */
  readonly port?: number
  /** Replace the login user's ~/.bashrc by an empty one inside the daemons. @default true */
  readonly stockBashrc?: boolean
  /** @default 'lo' */
  readonly namePrefix?: string
}

function childrenOf(pid: number): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) out.push(Number(entry))
    } catch { /* exited meanwhile */ }
  }
  return out
}

/** `pid` and its descendants, parents first. */
function treeOf(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(treeOf)]
}

/**
 * Kills a process tree top-down, the whole tree listed before the first kill: the network side
 * dies first, so a shell below cannot send one more line (as when a host drops off).
 */
function killTree(pid: number): void {
  for (const p of treeOf(pid)) {
    try { process.kill(p, 'SIGKILL') } catch { /* already gone */ }
  }
}

function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, address, () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
  })
}

async function waitForBanner(address: string, port: number, pid: number, log: string): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: address, port })
      s.setTimeout(1_000)
      s.once('data', (b) => { s.destroy(); resolve(b.toString().startsWith('SSH-')) })
      s.once('error', () => resolve(false))
      s.once('timeout', () => { s.destroy(); resolve(false) })
    })
    if (ok) return
    let alive = true
    try { process.kill(pid, 0) } catch { alive = false }
    if (!alive || Date.now() > deadline) {
      const why = existsSync(log) ? readFileSync(log, 'utf8').trim() : ''
      throw new Error(`sshd on ${address}:${port} did not start${alive ? ' within 10 s' : ''}: ${why}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Starts `n` loopback sshd daemons. */
export async function startLoopbackSshd(n: number, opts: LoopbackOptions = {}): Promise<LoopbackSshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} not found: apt-get install openssh-server`)
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }) // privilege separation dir
  const dir = mkdtempSync(join(tmpdir(), 'kp-sshd-'))
  const pids: number[] = []
  const onExit = (): void => {
    for (const p of pids) killTree(p)
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
  }
  process.once('exit', onExit)
  // A signal skips 'exit': clean up, then end the process unless someone else handles the signal.
  const onSignal = (sig: NodeJS.Signals): void => {
    onExit()
    if (process.listenerCount(sig) === 0) process.exit(sig === 'SIGINT' ? 130 : 143)
  }
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, onSignal)
  const unhook = (): void => {
    process.off('exit', onExit)
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.off(sig, onSignal)
  }

  const clientKeyPath = join(dir, 'client_ed25519')
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kubeplay-test', '-f', clientKeyPath])
  const stockBashrc = join(dir, 'bashrc')
  writeFileSync(stockBashrc, '# kubeplay loopback sshd: an empty ~/.bashrc\n')
  const bashrc = join(homedir(), '.bashrc')
  const useStock = (opts.stockBashrc ?? true) && existsSync(bashrc)

  // A random 127.a.b.0/24-ish block per harness, so concurrent harnesses do not collide.
  const a = 100 + Math.floor(Math.random() * 100)
  const b = Math.floor(Math.random() * 200)
  const hosts: LoopbackHost[] = []
  try {
    const started = Array.from({ length: n }, async (_, i) => {
      const address = `127.${a}.${b + Math.floor(i / 250)}.${1 + (i % 250)}`
      const name = `${opts.namePrefix ?? 'lo'}${i + 1}`
      const hdir = join(dir, name)
      mkdirSync(hdir)
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(hdir, 'host_ed25519')])
      writeFileSync(join(hdir, 'authorized_keys'), readFileSync(`${clientKeyPath}.pub`))
      const port = opts.port || await freePort(address)
      const config = join(hdir, 'sshd_config')
      writeFileSync(config, [
        `ListenAddress ${address}:${port}`,
        `HostKey ${join(hdir, 'host_ed25519')}`,
        `PidFile ${join(hdir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(hdir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password', 'PubkeyAuthentication yes', 'PasswordAuthentication no',
        'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'UseDNS no',
        'MaxStartups 1000', 'MaxSessions 100', 'PrintMotd no', 'PrintLastLog no', 'LogLevel ERROR',
        '',
      ].join('\n'))
      const log = join(hdir, 'sshd.log')
      const sshd = `exec ${SSHD} -D -e -f '${config}' >>'${log}' 2>&1`
      // Each host gets its own /run (with sshd's privilege separation dir), as separate machines
      // have: kubeplay's run lock lives in /run, and hosts sharing one would lock each other out.
      mkdirSync(join(hdir, 'run', 'sshd'), { recursive: true, mode: 0o755 })
      const script = [`mount --bind '${join(hdir, 'run')}' /run`, ...(useStock ? [`mount --bind '${stockBashrc}' '${bashrc}'`] : []), sshd].join(' && ')
      const argv = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script]
      const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', detached: true })
      child.unref()
      pids.push(child.pid!) // unshare and sh exec: this pid becomes sshd's
      await waitForBanner(address, port, child.pid!, log)
      const pub = readFileSync(join(hdir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/)
      hosts[i] = { name, address, port, hostKey: `${pub[0]} ${pub[1]}`, pid: child.pid!, dir: hdir }
    })
    const results = await Promise.allSettled(started)
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  } catch (e) {
    onExit()
    unhook()
    throw e
  }

  const knownHostsPath = join(dir, 'known_hosts')
  writeFileSync(knownHostsPath, hosts.map((h) => `${h.port === 22 ? h.address : `[${h.address}]:${h.port}`} ${h.hostKey}\n`).join(''), { mode: 0o600 })
  let stopped = false
  return {
    dir,
    hosts,
    knownHostsPath,
    clientKeyPath,
    settings: (i, extra = {}) => {
      const h = hosts[i]
      if (!h) throw new Error(`no loopback host #${i}`)
      return { address: h.address, port: h.port, user: 'root', keyFile: clientKeyPath, knownHosts: knownHostsPath, become: false, connection: 'ssh', ...extra }
    },
    sessions: (i) => childrenOf(hosts[i]!.pid),
    killSessions: (i) => { for (const c of childrenOf(hosts[i]!.pid)) killTree(c) },
    async stop() {
      if (stopped) return
      stopped = true
      onExit()
      unhook()
    },
  }
}
