/**
 * Waits, on the target host, until a port accepts connections, a URL answers with a status, or a
 * command succeeds. Waiting is not a change: apply reports `changed: false`.
 */
import { joinCommands, sh, type ShellCommand } from '../connection/quote.ts'
import { change, defineModule, noChange } from '../engine/module.ts'
import { ModuleError, TimeoutError } from '../errors.ts'

export interface WaitForParams {
  /** A TCP port that must accept connections. */
  readonly port?: number
  /** Where the port is dialled from the target host. @default '127.0.0.1' */
  readonly host?: string
  /** A URL that must answer (from the target host) with `status`. */
  readonly http?: { readonly url: string; /** @default 200 */ readonly status?: number; /** Accept self-signed TLS. @default false */ readonly insecure?: boolean }
  /** A command that must exit 0. */
  readonly command?: ShellCommand
  /** @default 60000 */
  readonly timeoutMs?: number
  /** @default 1000 */
  readonly intervalMs?: number
}

const TIMED_OUT = 124

/** Pure: what is awaited, for messages. */
export function describeWait(p: WaitForParams): string {
  return [
    p.port !== undefined && `port ${p.host ?? '127.0.0.1'}:${p.port}`,
    p.http && `${p.http.url} answering ${p.http.status ?? 200}`,
    p.command && `\`${p.command.masked}\``,
  ].filter(Boolean).join(' and ')
}

/**
 * Pure: one POSIX-sh probe that exits 0 when everything awaited is there. The port is dialled with
 * python3 (present on Debian and Ubuntu) or nc: `/dev/tcp` is bash-only.
 */
export function probeCommand(p: WaitForParams): ShellCommand {
  const parts: ShellCommand[] = []
  if (p.port !== undefined) {
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) throw new ModuleError('waitFor', `port: expected 1-65535, found ${p.port}`)
    const h = p.host ?? '127.0.0.1'
    parts.push(sh`if command -v python3 >/dev/null 2>&1; then python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 2).close()' ${h} ${p.port}
elif command -v nc >/dev/null 2>&1; then nc -z -w 2 ${h} ${p.port}
else echo 'waitFor: needs python3 or nc on the host' >&2; exit 127; fi`)
  }
  if (p.http) {
    if (!/^https?:\/\/\S+$/.test(p.http.url)) throw new ModuleError('waitFor', `http.url: expected an http(s):// URL, found '${p.http.url}'`)
    parts.push(sh`[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 ${p.http.insecure ? sh`-k` : sh``} ${p.http.url})" = ${String(p.http.status ?? 200)} ]`)
  }
  if (p.command) parts.push(sh`( ${p.command}
)`)
  if (!parts.length) throw new ModuleError('waitFor', 'expected one of port, http or command, found none')
  return joinCommands(parts.map((c) => sh`{ ${c}
} >/dev/null 2>&1`), ' && ')
}

/** Pure: the probe in a loop on the host until it succeeds or the deadline passes (exit 124). */
export function pollCommand(p: WaitForParams): ShellCommand {
  const secs = Math.max(1, Math.ceil((p.timeoutMs ?? 60_000) / 1000))
  const interval = Math.max(0.05, (p.intervalMs ?? 1000) / 1000).toFixed(2)
  return sh`end=$(( $(date +%s) + ${secs} ))
while :; do
  if ${probeCommand(p)}; then exit 0; fi
  [ "$(date +%s)" -ge "$end" ] && exit ${TIMED_OUT}
  sleep ${interval}
done`
}

export const waitFor = defineModule<WaitForParams, undefined>({
  name: 'waitFor',
  async check(host, p) {
    const r = await host.exec(probeCommand(p))
    if (r.code === 0) return noChange(`${describeWait(p)}: ready`)
    if (r.code === 127) throw new ModuleError('waitFor', `${describeWait(p)}: the probe could not run (the host needs python3 or nc)`)
    return change(`wait for ${describeWait(p)}`)
  },
  async apply(host, p) {
    const ms = p.timeoutMs ?? 60_000
    const r = await host.exec(pollCommand(p), { timeoutMs: ms + 15_000 })
    if (r.code === TIMED_OUT) throw new TimeoutError(host.name, `waiting for ${describeWait(p)}`, ms)
    if (r.code !== 0) throw new ModuleError('waitFor', `${describeWait(p)}: probe failed (exit ${r.code}): ${r.stderr.trim()}`)
    return { changed: false }
  },
})
