/** The running hostname, set without systemd-hostnamed (absent in some containers). */
import { sh } from '../connection/quote.ts'
import { change, defineModule, noChange, type HostContext } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'
import { isHostname } from '../schema/net.ts'

export interface HostnameNowParams {
  readonly name: string
}

/** The running hostname (`hostname NAME`: hostnamectl needs systemd-hostnamed, absent in some containers). */
export const hostnameNow = defineModule<HostnameNowParams, undefined>({
  name: 'hostnameNow',
  async check(host, p) {
    if (!isHostname(p.name)) throw new ModuleError('hostnameNow', `name: expected an RFC 1123 host name, found '${p.name}'`)
    const now = (await host.run(sh`hostname`)).stdout.trim()
    return now === p.name ? noChange(`hostname already ${p.name}`) : change(`hostname ${p.name} (was ${now})`)
  },
  async apply(host: HostContext, p) {
    await host.run(sh`hostname -- ${p.name}`)
  },
})
