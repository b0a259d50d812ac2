/**
 * Where module tests run: a fresh temp dir on a host (this machine, or a lab host over SSH),
 * removed afterwards. The same suites (test/modules/suites/) run on both, so the lab proves
 * exactly what the local tests prove.
 */
import { randomBytes } from 'node:crypto'
import type { Test } from 'uvu'
import { LocalConnection } from '../../lib/connection/local.ts'
import { sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'

export interface HostEnv {
  readonly conn: Connection
  /** A fresh directory for this test file. */
  readonly dir: string
  /** A non-root user and group that exist on the host (for owner/group changes). */
  readonly user: string
  readonly group: string
}

/** Test-time context; filled in by `before`. */
export type EnvRef = () => HostEnv

function attach(t: Test, open: () => Promise<{ conn: Connection; user: string; group: string }>): EnvRef {
  let env: HostEnv | undefined
  t.before(async () => {
    const { conn, user, group } = await open()
    const dir = `/tmp/kp-${randomBytes(6).toString('hex')}`
    const r = await conn.exec(sh`mkdir -m 0755 -- ${dir}`)
    if (r.code !== 0) throw new Error(`mkdir ${dir}: ${r.stderr}`)
    env = { conn, dir, user, group }
  })
  t.after(async () => {
    if (!env) return
    await env.conn.exec(sh`rm -rf -- ${env.dir}`)
    await env.conn.close()
  })
  return () => {
    if (!env) throw new Error('test env not ready (before hook failed?)')
    return env
  }
}

/** This machine as root (the test runner's user), through /bin/sh like any host. */
export function localEnv(t: Test): EnvRef {
  return attach(t, async () => ({ conn: new LocalConnection(), user: 'nobody', group: 'nogroup' }))
}

/** Lab host #1 over SSH as root; the lab's user `kp` owns files in owner tests. */
export function labEnv(t: Test): EnvRef {
  return attach(t, async () => {
    const { labHost } = await import('../lab/connect.ts')
    const { conn } = await labHost(0)
    return { conn, user: 'kp', group: 'nogroup' }
  })
}

let n = 0
/** A unique path in the env's dir; `name` may be hostile (quotes, newlines, `$(…)`). */
export function pathIn(env: HostEnv, name = 'f'): string {
  return `${env.dir}/${n++}-${name}`
}

/** `mode owner group inode` of a path (lstat), for asserting attrs without the code under test. */
export async function attrsOf(env: HostEnv, path: string): Promise<{ mode: string; owner: string; group: string; inode: string }> {
  const r = await env.conn.exec(sh`stat -c '%a %U %G %i' -- ${path}`)
  if (r.code !== 0) throw new Error(`stat ${path}: ${r.stderr}`)
  const [mode, owner, group, inode] = r.stdout.trim().split(' ') as [string, string, string, string]
  return { mode: mode.padStart(4, '0'), owner, group, inode }
}

/** Leftover temp files of atomic writes in `dir`. */
export async function tempFilesIn(env: HostEnv, dir = env.dir): Promise<string[]> {
  const r = await env.conn.exec(sh`find ${dir} -name '.kubeplay.*'`)
  return r.stdout.split('\n').filter(Boolean)
}

/** A file name made from a hostile value ('/' is the one byte a name cannot hold). */
export function hostileName(value: string): string {
  return value.replace(/\//g, '_')
}

/** Awaits `p`, which must reject with an instance of `cls` whose message matches `re`. */
export async function expectError(p: Promise<unknown>, cls: new (...a: never[]) => Error, re: RegExp): Promise<Error> {
  const err = await p.then(() => null, (x: unknown) => x)
  if (!(err instanceof cls)) throw new Error(`expected ${cls.name} matching ${re}, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
  if (!re.test(err.message)) throw new Error(`expected ${cls.name} matching ${re}, got: ${err.message}`)
  return err
}
