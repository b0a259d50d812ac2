/** A host's connection settings with defaults filled, and the checks that need the whole inventory (duplicate addresses, bastions, key files). Pure. */
import { resolve as resolvePath } from 'node:path'
import { ConfigError } from '../errors.ts'
import { isAddress } from '../schema/net.ts'
import { joinKey } from '../schema/validate.ts'
import type { ConnectionFields } from './ansible-vars.ts'
import type { InventoryHost, ResolvedConnection } from './types.ts'

/** Fills defaults: address = name, port 22, `$USER`, ssh-agent when no key or password. */
export function connectionFor(name: string, c: ConnectionFields, env: Readonly<Record<string, string | undefined>>, cwd: string): ResolvedConnection {
  const home = env.HOME
  const tilde = c.keyFile && home && /^~(\/|$)/.test(c.keyFile) ? home + c.keyFile.slice(1) : c.keyFile
  // Absolute from here on: the connection layer must not depend on where it runs.
  const keyFile = tilde && !tilde.startsWith('~') ? resolvePath(cwd, tilde) : tilde
  const agent = c.agent === false ? undefined : typeof c.agent === 'string' ? c.agent
    : c.agent === true || (!keyFile && !c.password) ? env.SSH_AUTH_SOCK : undefined
  const out: Record<string, unknown> = {
    ...c, keyFile, agent,
    address: c.address ?? name, port: c.port ?? 22, user: c.user ?? env.USER ?? 'root',
    become: c.become ?? false, connection: c.connection ?? 'ssh',
  }
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k]
  return out as unknown as ResolvedConnection
}

/** Checks that need the whole inventory: addresses from names, bastions, key files. */
export function checkConnections(hosts: Map<string, InventoryHost>, file: string,
  checkKeyFile: ((path: string) => string | null) | undefined, errors: ConfigError[]): void {
  const keyProblems = new Map<string, string | null>()
  // Two names for one machine (an INI range with one ansible_host, a copied line): every role
  // would configure it twice, as two different nodes.
  const byEndpoint = new Map<string, string>()
  for (const [name, h] of hosts) {
    const c = h.connection
    const key = joinKey('hosts', name)
    if (c.connection === 'local') continue
    const endpoint = `${c.address.toLowerCase()}:${c.port}${c.jump ? ` via ${c.jump}` : ''}`
    const first = byEndpoint.get(endpoint)
    if (first) errors.push(new ConfigError(file, `${key}.address`, `an address no other host has (one machine, one inventory name)`, `${c.address}:${c.port}${c.jump ? ` via ${c.jump}` : ''}, the address of ${first} too`))
    else byEndpoint.set(endpoint, name)
    if (!isAddress(c.address)) {
      errors.push(new ConfigError(file, `${key}.address`, 'an IPv4/IPv6 address or host name (set address when the name is not one)', JSON.stringify(c.address)))
    }
    if (c.jump !== undefined) {
      // A bare word is an inventory host; `user@bastion:22` or a dotted name is outside the inventory.
      const bare = !/[@:.]/.test(c.jump)
      if (c.jump === name) errors.push(new ConfigError(file, `${key}.jump`, 'another host as bastion', `'${c.jump}', the host itself`))
      else if (bare && !hosts.has(c.jump)) {
        errors.push(new ConfigError(file, `${key}.jump`, 'a host of this inventory, or user@address:port', `'${c.jump}', which is neither`))
      }
    }
    if (c.keyFile && checkKeyFile) {
      if (!keyProblems.has(c.keyFile)) {
        const p = checkKeyFile(c.keyFile)
        keyProblems.set(c.keyFile, p)
        if (p) errors.push(new ConfigError(file, `${key}.keyFile`, 'a readable private key file', `${JSON.stringify(c.keyFile)} (${p})`))
      }
    }
  }
}
