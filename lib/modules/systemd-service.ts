/**
 * A service's runtime state and enablement. `restarted` and `reloaded` always act (they are what
 * handlers use); everything else acts only when the unit is not already as asked.
 */
import { joinCommands, sh, type ShellCommand } from '../connection/quote.ts'
import { change, defineModule, noChange } from '../engine/module.ts'
import { CommandError, ModuleError } from '../errors.ts'
import { systemdUnitState, type UnitState } from '../facts/systemd.ts'

export interface SystemdServiceParams {
  /** `containerd` or `containerd.service` */
  readonly name: string
  /** Start at boot (`systemctl enable`) or not. @default unchanged */
  readonly enabled?: boolean
  /** `restarted` and `reloaded` always act (use them in handlers). @default unchanged */
  readonly state?: 'started' | 'stopped' | 'restarted' | 'reloaded'
  /** Mask (`true`) or unmask (`false`) the unit. @default unchanged */
  readonly masked?: boolean
  /** Run `daemon-reload` first when systemd reports the unit changed on disk. @default false */
  readonly daemonReload?: boolean
}

type Step = 'daemon-reload' | 'unmask' | 'enable' | 'disable' | 'mask' | 'start' | 'stop' | 'restart' | 'reload'

// is-enabled exits 0 for these: there is nothing to enable
const ENABLED = new Set(['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated', 'linked', 'linked-runtime'])
const RUNNING = new Set(['active', 'activating', 'reloading'])

/** Pure: the systemctl steps, in order, that bring the unit from `s` to what `p` asks. */
export function planService(p: SystemdServiceParams, s: UnitState): Step[] {
  const steps: Step[] = []
  const masked = s.unitFileState === 'masked' || s.loadState === 'masked'
  if (p.daemonReload && s.needDaemonReload) steps.push('daemon-reload')
  if (p.masked === false && masked) steps.push('unmask')
  const willMask = p.masked === true && !masked
  if (!masked || p.masked === false) {
    if (s.loadState === 'not-found' && !willMask && (p.enabled !== undefined || (p.state && p.state !== 'stopped'))) {
      throw new ModuleError('systemdService', `${p.name}: expected an installed unit, found none (LoadState=not-found)`)
    }
    if (p.enabled === true && !ENABLED.has(s.unitFileState)) steps.push('enable')
    if (p.enabled === false && ['enabled', 'enabled-runtime', 'linked', 'linked-runtime'].includes(s.unitFileState)) steps.push('disable')
  } else if (p.enabled === true || p.state === 'started' || p.state === 'restarted' || p.state === 'reloaded') {
    throw new ModuleError('systemdService', `${p.name}: expected an unmasked unit to ${p.enabled ? 'enable' : p.state}, found it masked (set masked: false)`)
  }
  if (willMask) steps.push('mask')
  const running = RUNNING.has(s.activeState)
  if (p.state === 'started' && !running) steps.push('start')
  if (p.state === 'stopped' && running) steps.push('stop')
  if (p.state === 'restarted') steps.push('restart')
  if (p.state === 'reloaded') steps.push(running ? 'reload' : 'start')
  return steps
}

function stepCommand(step: Step, unit: string): ShellCommand {
  return step === 'daemon-reload' ? sh`systemctl daemon-reload` : sh`systemctl ${step} -- ${unit}`
}

export const systemdService = defineModule<SystemdServiceParams, Step[]>({
  name: 'systemdService',
  async check(host, p) {
    const s = await host.fact(systemdUnitState, p.name)
    // In a dry run the package that ships the unit is usually installed by an earlier task that
    // did not run: plan what would happen instead of failing. A real run still fails on it.
    const steps = host.checkMode && s.loadState === 'not-found'
      ? planService(p, { ...s, loadState: 'loaded', unitFileState: 'disabled', activeState: 'inactive' })
      : planService(p, s)
    if (host.checkMode && s.loadState === 'not-found' && steps.length) {
      return change(`${steps.join(', ')} ${p.name} (unit not installed yet: an earlier task installs it)`, { data: steps })
    }
    if (!steps.length) {
      return noChange(`${p.name}: already ${[p.state, p.enabled !== undefined && (p.enabled ? 'enabled' : 'disabled'), p.masked && 'masked'].filter(Boolean).join(', ') || 'as asked'}`)
    }
    return change(`${steps.join(', ')} ${p.name}`, { data: steps })
  },
  async apply(host, p, plan) {
    try {
      await host.run(joinCommands(plan.data.map((s) => stepCommand(s, p.name)), ' && '))
    } catch (e) {
      if (!(e instanceof CommandError)) throw e
      // systemctl's own message says only "see systemctl status"; bring the status along
      const status = await host.exec(sh`systemctl status --no-pager --lines=15 -- ${p.name}`)
      throw new ModuleError('systemdService', `${p.name}: ${plan.data.join(', ')} failed (exit ${e.code})\n${status.stdout.trim()}`, { cause: e })
    }
  },
})
