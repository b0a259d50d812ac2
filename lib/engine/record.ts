/**
 * The run record: one JSON line per event under the state directory (`.kubeplay/runs/<runId>.jsonl`),
 * plus `.kubeplay/last-run.json` with the summary. `--retry` and reports read it. Appended
 * synchronously so a crash or Ctrl-C leaves every finished task on disk.
 */
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { mask } from '../secret.ts'
import type { Reporter, RunResult } from './results.ts'

/** JSON with every string masked before it is escaped (a secret in argv, a message, a diff line). */
const maskedJson = (obj: object, space?: number): string => JSON.stringify(obj, (_k, v: unknown) => (typeof v === 'string' ? mask(v) : v), space)

export const RECORD_VERSION = 1

export interface LastRun {
  readonly version: number
  readonly runId: string
  readonly playbook: string
  readonly record: string
  readonly checkMode: boolean
  readonly failedHosts: readonly string[]
  readonly unreachableHosts: readonly string[]
  /** Hosts the run stopped before they finished (interrupt, abort): `--retry` includes them. */
  readonly incompleteHosts?: readonly string[]
  readonly argv?: readonly string[]
  readonly aborted?: string
}

export function runRecorder(stateDir: string): Reporter & { readonly path: () => string | undefined } {
  let file: string | undefined
  let argv: readonly string[] | undefined
  const write = (obj: object): void => {
    if (file) appendFileSync(file, `${maskedJson({ ...obj, at: Date.now() })}\n`)
  }
  return {
    path: () => file,
    runStart(info) {
      mkdirSync(join(stateDir, 'runs'), { recursive: true })
      file = join(stateDir, 'runs', `${info.runId}.jsonl`)
      argv = info.argv
      write({ type: 'run', version: RECORD_VERSION, ...info })
    },
    playStart(play, hosts) {
      write({ type: 'play', play, hosts })
    },
    message(level, host, text) {
      if (level === 'warn') write({ type: 'warning', host, text })
    },
    taskEnd(r) {
      write({ type: 'task', ...r, diff: undefined })
    },
    runEnd(r: RunResult) {
      write({
        type: 'end', runId: r.runId, durationMs: r.durationMs, recap: r.recap, failedHosts: r.failedHosts, unreachableHosts: r.unreachableHosts,
        incompleteHosts: r.incompleteHosts, aborted: r.aborted, interrupted: r.aborted === 'interrupted' || undefined,
      })
      const last: LastRun = {
        version: RECORD_VERSION, runId: r.runId, playbook: r.playbook, record: file!, checkMode: r.checkMode,
        failedHosts: r.failedHosts, unreachableHosts: r.unreachableHosts, incompleteHosts: r.incompleteHosts, argv, aborted: r.aborted,
      }
      const tmp = join(stateDir, `.last-run.${process.pid}.tmp`)
      writeFileSync(tmp, `${maskedJson(last, 2)}\n`)
      renameSync(tmp, join(stateDir, 'last-run.json'))
    },
  }
}
