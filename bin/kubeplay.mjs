#!/usr/bin/env node
// The `kubeplay` command: TypeScript sources run through tsx's loader (kubeplay ships as .ts).
import { register } from 'tsx/esm/api'

register()
const { kubeplayCli } = await import('../lib/cli/kubeplay.ts')
process.exitCode = await kubeplayCli(process.argv.slice(2), undefined, {
  // `kubeplay import ansible` maps variables to the settings of the site playbook's roles.
  site: async () => (await import('../playbooks/site.ts')).site,
})
