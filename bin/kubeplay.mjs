#!/usr/bin/env node
// The `kubeplay` command: kubeplay built into dist/ (its sources when they changed since the build),
// with tsx's loader for the TypeScript files it runs (inventories, group_vars, playbooks).
import { register } from 'tsx/esm/api'

register()
const { kubeplayCli } = await import('kubeplay/cli')
process.exitCode = await kubeplayCli(process.argv.slice(2), undefined, {
  // `kubeplay import ansible` maps variables to the settings of the site playbook's roles.
  site: async () => (await import('../playbooks/site.ts')).site,
})
