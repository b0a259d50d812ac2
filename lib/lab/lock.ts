/**
 * Cross-process locks: a lock file created with O_EXCL holding the owner's pid. A lock whose owner
 * is dead is stale and taken over, so a crashed `up` never wedges the next one.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { TimeoutError } from '../errors.ts'
import { alive, sleep } from './exec.ts'
import { LAB_ROOT } from './paths.ts'

const lockDir = (): string => join(LAB_ROOT, 'locks')

async function acquire(name: string, timeoutMs: number): Promise<string> {
  mkdirSync(lockDir(), { recursive: true })
  const path = join(lockDir(), `${name}.lock`)
  const t0 = Date.now()
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600)
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      return path
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    let owner = 0
    try { owner = Number(readFileSync(path, 'utf8').trim()) } catch { continue /* released meanwhile */ }
    if (owner && !alive(owner)) {
      // Stale: its owner died. Remove only if it is still the same owner's file.
      try { if (Number(readFileSync(path, 'utf8').trim()) === owner) rmSync(path, { force: true }) } catch { /* gone */ }
      continue
    }
    if (Date.now() - t0 > timeoutMs) throw new TimeoutError('localhost', `lock ${path} held by pid ${owner}`, timeoutMs)
    await sleep(250)
  }
}

/** Runs `fn` holding the named lock (re-entrant within one process is NOT supported). */
export async function withLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 30 * 60_000): Promise<T> {
  const path = await acquire(name, timeoutMs)
  try {
    return await fn()
  } finally {
    rmSync(path, { force: true })
  }
}
