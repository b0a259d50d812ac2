/**
 * Local commands on this machine (the lab is built here, as root). Argument vectors, never shell
 * strings, except for the generated supervisor script.
 */
import { spawn } from 'node:child_process'
import { CommandError } from '../errors.ts'

export interface RunOptions {
  /** Written to stdin. */
  readonly input?: string
  /** Kill the command (SIGKILL) after this many ms. */
  readonly timeoutMs?: number
  readonly env?: NodeJS.ProcessEnv
  readonly cwd?: string
  /** Resolve with the result instead of throwing on a non-zero exit. */
  readonly allowFail?: boolean
}

export interface RunResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', (e) => { clearTimeout(timer); reject(e) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const r = { code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }
      if (r.code !== 0 && !opts.allowFail) {
        reject(new CommandError('localhost', [file, ...args].join(' '), r.code, r.stdout, r.stderr))
      } else resolve(r)
    })
    child.stdin.on('error', () => { /* the command did not read stdin */ })
    child.stdin.end(opts.input ?? '')
  })
}

/** apt-get install on this machine; `apt-get update` once and again when the lists lack a package. */
export async function aptInstall(packages: readonly string[]): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const apt = ['-o', 'DPkg::Lock::Timeout=300']
  const install = (allowFail: boolean) => run('apt-get', [...apt, 'install', '-y', '--no-install-recommends', ...packages], { env, allowFail })
  if ((await install(true)).code === 0) return
  await run('apt-get', [...apt, 'update', '-qq'], { env })
  await install(false)
}

/** Succeeds or fails quietly; for cleanup steps that may find nothing to clean. */
export async function tryRun(file: string, args: readonly string[], opts: Omit<RunOptions, 'allowFail'> = {}): Promise<boolean> {
  try {
    return (await run(file, args, { ...opts, allowFail: true })).code === 0
  } catch {
    return false
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/** True when a process with this pid exists. */
export function alive(pid: number | undefined | null): boolean {
  if (!pid || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
