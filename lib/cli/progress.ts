/**
 * Live progress on a terminal: one line per host (current task, ok/changed/failed, elapsed), kept at
 * the bottom of the screen under the lines that scroll (failures, diffs, warnings). Redrawn in place
 * with ANSI cursor moves, at most once per `intervalMs`, so 200 hosts finishing tasks at once do not
 * flood the terminal. Every line of the block is cut to the terminal width: a wrapped line would make
 * the cursor arithmetic of the next redraw wrong.
 * Stream, clock and timer are injected so tests can drive frames without a terminal or real time.
 */
import type { TaskResult } from '../engine/results.ts'
import { paintWith, type Colour } from './colour.ts'

/** The part of a tty.WriteStream the renderer uses. */
export interface ProgressStream {
  readonly isTTY?: boolean
  readonly columns?: number
  readonly rows?: number
  write(chunk: string): unknown
}

export interface ProgressOptions {
  readonly stream: ProgressStream
  readonly color: boolean
  /** @default Date.now */
  readonly now?: () => number
  /** Runs `fn` once after `ms`; returns a cancel function. @default an unref'ed setTimeout */
  readonly schedule?: (fn: () => void, ms: number) => () => void
  /** Minimum time between two redraws. @default 100 */
  readonly intervalMs?: number
  /** Redraw this often even without events, so elapsed times move. @default 500 */
  readonly tickMs?: number
}

export interface Progress {
  play(name: string, hosts: readonly string[]): void
  taskStart(host: string, task: string): void
  taskEnd(r: TaskResult): void
  /** Prints lines above the live block: they scroll, the block stays at the bottom. */
  log(lines: readonly string[]): void
  /** Removes the live block for good and cancels every timer. */
  stop(): void
  /** The block as it would be drawn now, without colour (tests, debugging). */
  frame(): string[]
}

interface HostState {
  task?: string
  taskAt: number
  state: 'waiting' | 'running' | 'idle' | 'failed' | 'unreachable'
  ok: number
  changed: number
  failed: number
}

type Part = readonly [Colour | null, string]

const ESC = '\x1b['

export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
}

/** Joins coloured parts, cutting the visible text to `width` columns (… marks a cut). */
export function fit(parts: readonly Part[], width: number, paint: (c: Colour, s: string) => string): string {
  let room = Math.max(1, width)
  let out = ''
  for (const [c, text] of parts) {
    if (room <= 0) break
    // code points, not UTF-16 units: a task title with an emoji must not be split in half
    const chars = [...text]
    const cut = chars.length > room
    const shown = cut ? `${chars.slice(0, Math.max(0, room - 1)).join('')}…` : text
    room -= cut ? room : chars.length
    out += c ? paint(c, shown) : shown
  }
  return out
}

export function createProgress(o: ProgressOptions): Progress {
  const now = o.now ?? Date.now
  const schedule = o.schedule ?? ((fn, ms) => { const t = setTimeout(fn, ms); t.unref(); return () => clearTimeout(t) })
  const interval = o.intervalMs ?? 100
  const tickMs = o.tickMs ?? 500
  const paint = paintWith(o.color)
  const hosts = new Map<string, HostState>()
  const t0 = now()
  let play = ''
  let drawn = 0
  let lastDraw = -Infinity
  let stopped = false
  let cancelPending: (() => void) | undefined
  let cancelTick: (() => void) | undefined

  const host = (name: string): HostState => {
    let h = hosts.get(name)
    if (!h) hosts.set(name, (h = { taskAt: now(), state: 'waiting', ok: 0, changed: 0, failed: 0 }))
    return h
  }

  function lines(colour: boolean): string[] {
    const p = colour ? paint : (_c: Colour, s: string) => s
    const width = Math.max(20, (o.stream.columns || 80) - 1)
    const names = [...hosts.keys()]
    const w = Math.min(24, Math.max(8, ...names.map((n) => n.length)))
    const t = now()
    const out = [fit([['bold', `PLAY [${play}]`], [null, ` ${names.length} host${names.length === 1 ? '' : 's'} · `], ['dim', formatElapsed(t - t0)]], width, p)]
    // a block taller than the screen cannot be redrawn in place: show the busy and failed hosts first
    const room = Math.max(3, (o.stream.rows || 50) - 3)
    let shown = names
    if (names.length > room) {
      const rank = (n: string): number => ({ failed: 0, unreachable: 0, running: 1, waiting: 2, idle: 3 })[hosts.get(n)!.state]
      shown = [...names].sort((a, b) => rank(a) - rank(b)).slice(0, room - 1)
    }
    for (const name of names.filter((n) => shown.includes(n))) {
      const h = hosts.get(name)!
      const counts: Part[] = [
        [null, ' ok='], [null, String(h.ok).padEnd(3)],
        [null, ' changed='], [h.changed ? 'yellow' : null, String(h.changed).padEnd(3)],
        [null, ' failed='], [h.failed ? 'red' : null, String(h.failed).padEnd(3)],
      ]
      const what: Part[] = h.state === 'running'
        ? [['cyan', ' ▸ '], [null, h.task ?? ''], ['dim', ` ${formatElapsed(t - h.taskAt)}`]]
        : h.state === 'waiting' ? [['dim', ' · waiting']]
        : h.state === 'idle' ? [['green', ' ✓ '], ['dim', h.task ?? '']]
        : [['red', ` ✗ ${h.state}: `], [null, h.task ?? '']]
      out.push(fit([['bold', `  ${name.length > w ? `${name.slice(0, w - 1)}…` : name.padEnd(w)}`], ...counts, ...what], width, p))
    }
    if (shown.length < names.length) {
      const rest = names.filter((n) => !shown.includes(n))
      const idle = rest.filter((n) => hosts.get(n)!.state === 'idle').length
      out.push(fit([['dim', `  … ${rest.length} more host${rest.length === 1 ? '' : 's'} (${idle} between tasks, ${rest.length - idle} waiting)`]], width, p))
    }
    return out
  }

  // moves to the first line of the block and clears to the end of the screen
  const erase = (): string => (drawn ? `\r${ESC}${drawn}A${ESC}J` : '')

  function draw(): void {
    cancelPending?.()
    cancelPending = undefined
    if (stopped || hosts.size === 0) return
    const block = lines(o.color)
    o.stream.write(`${erase()}${block.join('\n')}\n`)
    drawn = block.length
    lastDraw = now()
  }

  function request(): void {
    if (stopped || cancelPending) return
    const wait = lastDraw + interval - now()
    if (wait <= 0) draw()
    else cancelPending = schedule(draw, wait)
  }

  function tick(): void {
    cancelTick = schedule(() => { if (!stopped) { request(); tick() } }, tickMs)
  }
  tick()

  return {
    play(name, names) {
      play = name
      // counts run across plays like the recap; the block shows only this play's hosts
      const kept = new Map(names.map((n) => [n, hosts.get(n)] as const))
      hosts.clear()
      for (const [n, h] of kept) hosts.set(n, h ? { ...h, state: h.state === 'failed' || h.state === 'unreachable' ? h.state : 'waiting' } : { taskAt: now(), state: 'waiting', ok: 0, changed: 0, failed: 0 })
      request()
    },
    taskStart(name, task) {
      const h = host(name)
      Object.assign(h, { task, taskAt: now(), state: 'running' })
      request()
    },
    taskEnd(r) {
      const h = host(r.host)
      // as in the recap line of the block: an ignored failure counts as ok, a skip counts nowhere
      if (r.status === 'ok' || r.ignored) h.ok++
      else if (r.status === 'changed') h.changed++
      else if (r.status !== 'skipped') h.failed++
      h.task = r.task
      h.state = r.status === 'unreachable' ? 'unreachable' : r.status === 'failed' && !r.ignored ? 'failed' : 'idle'
      request()
    },
    log(text) {
      if (stopped) { for (const l of text) o.stream.write(`${l}\n`); return }
      o.stream.write(`${erase()}${text.map((l) => `${l}\n`).join('')}`)
      drawn = 0
      // throttled like any redraw: a burst of 100 failures must not redraw a 100-line block 100 times
      request()
    },
    stop() {
      if (stopped) return
      cancelPending?.()
      cancelTick?.()
      o.stream.write(erase())
      drawn = 0
      stopped = true
    },
    frame: () => lines(false),
  }
}
