/**
 * One measured stretch of the controller: wall time, CPU of this process (user + system, from
 * process.cpuUsage) and peak RSS, sampled every few ms while it runs (process-wide maxRSS only ever
 * grows, so it cannot tell one phase from the next).
 */
import { readFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

export interface Sample {
  readonly wallMs: number
  readonly cpuMs: number
  readonly peakRssMb: number
  /** CPU seconds used by every process on the machine meanwhile (sshd, remote shells, others' jobs). */
  readonly machineCpuMs: number
}

const MB = 1024 * 1024
/** USER_HZ: the unit of /proc/stat on every Linux this runs on. */
const TICK_MS = 10

/** Busy CPU time of the whole machine so far (ms), from /proc/stat; NaN elsewhere. */
export function machineBusyMs(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
    return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) * TICK_MS
  } catch {
    return NaN
  }
}
/** CPU used so far by this process's finished children (ms): /proc/self/stat cutime + cstime (fields 16 and 17 of stat(5)). */
export function childCpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[13]) + Number(f[14])) * TICK_MS
}

const SAMPLE_EVERY_MS = 10

export async function measure<T>(fn: () => Promise<T>): Promise<{ sample: Sample; value: T }> {
  let peak = process.memoryUsage.rss()
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, SAMPLE_EVERY_MS)
  const cpu0 = process.cpuUsage()
  const busy0 = machineBusyMs()
  const t0 = performance.now()
  try {
    const value = await fn()
    const wallMs = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    peak = Math.max(peak, process.memoryUsage.rss())
    const machineCpuMs = machineBusyMs() - busy0
    return { sample: { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMb: peak / MB, machineCpuMs }, value }
  } finally {
    clearInterval(timer)
  }
}

let gcFn: (() => void) | undefined | null
/** A full GC, so heap and RSS figures after a pass compare like with like (exposed at run time). */
export function collectGarbage(): void {
  if (gcFn === undefined) {
    try {
      setFlagsFromString('--expose-gc')
      gcFn = runInNewContext('gc') as () => void
    } catch {
      gcFn = null
    }
  }
  gcFn?.()
}

export function memoryNow(): { rssMb: number; heapUsedMb: number } {
  const m = process.memoryUsage()
  return { rssMb: m.rss / MB, heapUsedMb: m.heapUsed / MB }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length === 0 ? NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Several samples of one phase: median wall and CPU, the highest peak RSS, and the wall range. */
export interface Summary extends Sample {
  readonly runs: number
  readonly minWallMs: number
  readonly maxWallMs: number
}

export function summarise(samples: readonly Sample[]): Summary {
  const walls = samples.map((s) => s.wallMs)
  return {
    runs: samples.length,
    wallMs: median(walls),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    machineCpuMs: median(samples.map((s) => s.machineCpuMs)),
    peakRssMb: Math.max(...samples.map((s) => s.peakRssMb)),
    minWallMs: Math.min(...walls),
    maxWallMs: Math.max(...walls),
  }
}
