/** Several kernel modules as one task: each loaded now and at boot by `kernelModule`. */
import { change, defineModule, noChange } from '../engine/module.ts'
import { kernelModule } from './kernel-module.ts'

export interface KernelModulesParams {
  readonly names: readonly string[]
}

/** Several `kernelModule`s as one task (each name has its own modules-load.d file, so they never collide). */
export const kernelModules = defineModule<KernelModulesParams, readonly string[]>({
  name: 'kernelModules',
  async check(host, p) {
    const todo: string[] = []
    const what: string[] = []
    for (const name of p.names) {
      const plan = await kernelModule.check(host, { name })
      if (plan.changed) { todo.push(name); what.push(plan.summary) }
    }
    if (!todo.length) return noChange(`${p.names.join(', ')}: already loaded and loaded at boot`)
    return change(what.join('; '), { data: todo })
  },
  async apply(host, _p, { data }) {
    // re-checked one by one: check reads with exec, never a cached fact, so each plan is current
    for (const name of data) {
      const plan = await kernelModule.check(host, { name })
      if (plan.changed) await kernelModule.apply(host, { name }, plan)
    }
  },
})
