/**
 * HAProxy in front of a kubeadm cluster (seed 001): the Kubernetes API on :6443 balanced over every
 * master with health checks, ingress :80/:443 to the workers' NodePorts, a password-protected stats
 * page on :8404, and optionally a keepalived VIP shared by two or more HAProxy hosts.
 *
 * The config is validated by `haproxy -c` on the temp file before it replaces the live one, and a
 * change reloads HAProxy (its master process stays; connections are not cut), never restarts it.
 */
import { fileURLToPath } from 'node:url'
import type { HostContext } from '../../lib/engine/module.ts'
import { defineSettings } from '../../lib/engine/vars.ts'
import { flushHandlers, handler, role, task, type Role } from '../../lib/engine/task.ts'
import { ConfigError, ConfigErrors, ModuleError } from '../../lib/errors.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import { originOf } from '../../lib/inventory/origins.ts'
import { validate } from '../../lib/schema/validate.ts'
import { aptPackages } from '../../lib/modules/apt-packages.ts'
import { assertion } from '../../lib/modules/assert.ts'
import { systemdService } from '../../lib/modules/systemd-service.ts'
import { renderTemplate, template } from '../../lib/modules/template.ts'
import { readFileSync } from 'node:fs'
import { HAPROXY_ANSIBLE_NAMES, haproxyDefaults, haproxyModel, haproxyVarsSchema, mergeHaproxySettings, type HaproxyModel, type HaproxyParams } from './settings.ts'

export {
  apiEndpoint, haproxyDefaults, haproxyModel, haproxyVarsSchema, mergeHaproxySettings,
  type HaproxyIngressParams, type HaproxyModel, type HaproxyParams, type HaproxyTimeouts, type KeepalivedParams,
} from './settings.ts'

export const HAPROXY_CFG = '/etc/haproxy/haproxy.cfg'
export const KEEPALIVED_CONF = '/etc/keepalived/keepalived.conf'
const templates = {
  haproxy: fileURLToPath(new URL('./templates/haproxy.cfg.hbs', import.meta.url)),
  keepalived: fileURLToPath(new URL('./templates/keepalived.conf.hbs', import.meta.url)),
}

/** Pure: the haproxy.cfg text for a model (the real file holds the password; callers must not print it). */
export function renderHaproxyConfig(m: HaproxyModel): string {
  return renderTemplate(readFileSync(templates.haproxy, 'utf8'), { m }, templates.haproxy)
}

/** Pure: the keepalived.conf text for a model with keepalived enabled. */
export function renderKeepalivedConfig(m: HaproxyModel): string {
  return renderTemplate(readFileSync(templates.keepalived, 'utf8'), { m }, templates.keepalived)
}

function model(h: HostContext, params: Partial<HaproxyParams>): HaproxyModel {
  return haproxyModel(mergeHaproxySettings(h.vars.haproxy, params), h.inventory, h.name)
}

const ALL_TAGS = ['haproxy-install', 'haproxy-config', 'haproxy-service', 'keepalived']

/**
 * The model of every load balancer host from the inventory alone (ports two frontends bind, a
 * keepalived VIP that is a host's address, no stats password, missing groups), before anything is
 * contacted: the same checks the tasks make, as ConfigErrors.
 */
export function haproxyPreflight(inv: Inventory, hosts: readonly string[], params: Partial<HaproxyParams> = {}): ConfigError[] {
  const problems = new Map<string, ConfigError>()
  for (const h of hosts) {
    try {
      haproxyModel(mergeHaproxySettings(inv.hosts.get(h)?.vars.haproxy, params), inv, h)
    } catch (e) {
      if (!(e instanceof ModuleError)) throw e
      const text = e.message.replace(/^haproxy: /, '')
      const m = /^(haproxy\.[\w.]+): expected (.*?), found (.*)$/s.exec(text)
      // Named where the setting was set (or, missing, where the other haproxy settings are).
      const file = m ? originOf(inv, h, m[1]!, { orParent: m[3]!.startsWith('nothing') }) ?? inv.source : inv.source
      const err = m ? new ConfigError(file, m[1]!, m[2]!, m[3]!) : new ConfigError(inv.source, 'haproxy', 'valid settings', text)
      problems.set(err.message, err)
    }
  }
  return [...problems.values()]
}

// Nested settings (frontends, ingress, keepalived) merge one level deeper than other roles': `model` does that.
const SETTINGS = defineSettings({ key: 'haproxy', schema: haproxyVarsSchema, defaults: haproxyDefaults, ansibleNames: HAPROXY_ANSIBLE_NAMES })

export function haproxy(params: Partial<HaproxyParams> = {}): Role {
  const p = SETTINGS.params(params, 'haproxy()')
  const kaEnabled = (h: HostContext) => model(h, p).keepalived !== undefined

  const reloadHaproxy = handler('Reload HAProxy', systemdService, { name: 'haproxy', state: 'reloaded' })
  const reloadKeepalived = handler('Reload keepalived', systemdService, { name: 'keepalived', state: 'reloaded' })

  return role('haproxy', [
    task('Check HAProxy settings and backends', assertion, (h) => {
      const m = model(h, p)
      const ka = m.keepalived ? `; keepalived ${m.keepalived.state} for ${m.keepalived.vip}` : ''
      return { ok: `API :${m.s.apiPort} → ${m.masters.length} masters${m.s.ingress.enabled ? `; ingress → ${m.workersHttp.length} workers` : ''}${ka}` }
    }, { tags: ALL_TAGS }),
    task('Install HAProxy', aptPackages, { names: ['haproxy'] }, { tags: ['haproxy-install'] }),
    task('Write the HAProxy configuration', template, (h) => ({
      path: HAPROXY_CFG,
      src: templates.haproxy,
      vars: { m: model(h, p) },
      owner: 'root',
      group: 'haproxy',
      mode: '0640',
      validate: 'haproxy -c -f %s',
    }), { tags: ['haproxy-config'], notify: [reloadHaproxy] }),
    task('Enable and start HAProxy', systemdService, { name: 'haproxy', enabled: true, state: 'started' },
      { tags: ['haproxy-service'] }),
    task('Install keepalived', aptPackages, { names: ['keepalived'] },
      { tags: ['keepalived'], when: kaEnabled, whenReason: 'haproxy.keepalived.enabled is false' }),
    task('Write the keepalived configuration', template, (h) => ({
      path: KEEPALIVED_CONF,
      src: templates.keepalived,
      vars: { m: model(h, p) },
      owner: 'root',
      group: 'root',
      mode: '0640',
      validate: 'keepalived -t -f %s',
    }), { tags: ['keepalived'], when: kaEnabled, whenReason: 'haproxy.keepalived.enabled is false', notify: [reloadKeepalived] }),
    task('Enable and start keepalived', systemdService, { name: 'keepalived', enabled: true, state: 'started' }, {
      tags: ['keepalived'],
      when: kaEnabled,
      whenReason: 'haproxy.keepalived.enabled is false',
    }),
    // The balancer is live when the role ends, not at the end of the play: later roles (kubeadm) use it.
    flushHandlers(),
  ], { vars: SETTINGS.vars, preflight: (inv, hosts) => haproxyPreflight(inv, hosts, p) })
}
