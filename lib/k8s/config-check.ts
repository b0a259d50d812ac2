/**
 * A task that only validates: settings checked against the inventory (MetalLB pools against node
 * addresses and cluster CIDRs) or rendered manifests checked against schemas, as the first task of a
 * role, so a bad value fails the run before anything is applied. Never a change.
 */
import { defineModule, noChange } from '../engine/module.ts'
import { ConfigErrors, type ConfigError } from '../errors.ts'

export interface ConfigCheckParams {
  /** What was checked, for the ok line ("MetalLB address pools"). */
  readonly what: string
  /** Every problem found (empty: valid). */
  readonly errors: readonly ConfigError[]
}

export const configCheck = defineModule<ConfigCheckParams, undefined>({
  name: 'configCheck',
  async check(_host, p) {
    if (p.errors.length) throw new ConfigErrors(p.errors)
    return noChange(`${p.what}: valid`)
  },
  async apply() { /* check never plans a change */ },
})
