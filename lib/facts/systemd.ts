/** A systemd unit's load, activity and enablement, from one `systemctl show`. */
import { sh } from '../connection/quote.ts'
import { defineFact } from '../engine/module.ts'

export interface UnitState {
  /** `loaded`, `not-found`, `masked`, `bad-setting` … */
  readonly loadState: string
  /** `active`, `inactive`, `failed`, `activating`, `reloading`, `deactivating` */
  readonly activeState: string
  readonly subState: string
  /** `enabled`, `disabled`, `static`, `masked`, `generated`, … ; empty when unknown */
  readonly unitFileState: string
  /** The unit file changed on disk since the last daemon-reload. */
  readonly needDaemonReload: boolean
}

/** Pure: `Key=Value` lines of `systemctl show`. */
export function parseUnitState(out: string): UnitState {
  const kv = new Map<string, string>()
  for (const line of out.split('\n')) {
    const i = line.indexOf('=')
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1).trim())
  }
  return {
    loadState: kv.get('LoadState') ?? '',
    activeState: kv.get('ActiveState') ?? '',
    subState: kv.get('SubState') ?? '',
    unitFileState: kv.get('UnitFileState') ?? '',
    needDaemonReload: kv.get('NeedDaemonReload') === 'yes',
  }
}

export const systemdUnitState = defineFact<string, UnitState>({
  name: 'systemdUnitState',
  command: (unit) => sh`systemctl show --property=LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload -- ${unit}`,
  parse: (r) => parseUnitState(r.stdout),
})
