/**
 * A kernel module loaded now (`modprobe`) and at boot (/etc/modules-load.d/<name>.conf). Loaded
 * means /sys/module/<name> exists or the kernel has it built in (modules.builtin): `lsmod` misses
 * built-ins and needs /proc/modules, which containers lack.
 */
import { sh } from '../connection/quote.ts'
import { change, defineModule, noChange, type FileDiff } from '../engine/module.ts'
import { CommandError, ModuleError } from '../errors.ts'
import { batchCommand, fileSection, parseBatch, readFileCommand } from '../facts/batch.ts'

export interface KernelModuleParams {
  /** `br_netfilter`, `overlay` */
  readonly name: string
  /** @default 'present' */
  readonly state?: 'present' | 'absent'
  /** Also load it at boot through /etc/modules-load.d. @default true */
  readonly persist?: boolean
}

export interface KernelModulePlan {
  readonly file: FileDiff | null
  readonly load: boolean
  readonly unload: boolean
}

export type LoadState = 'loaded' | 'builtin' | 'unloaded'

/** Pure: the probe's words → load state. */
export function parseLoadState(out: string): LoadState {
  const w = out.trim()
  return w === 'loaded' || w === 'builtin' ? w : 'unloaded'
}

export function modulesLoadPath(name: string): string {
  return `/etc/modules-load.d/${name}.conf`
}

/** Pure: what to do given the load state and the persist file's text (null: absent). */
export function planKernelModule(p: KernelModuleParams, state: LoadState, fileText: string | null): KernelModulePlan | null {
  const path = modulesLoadPath(p.name)
  const present = p.state !== 'absent'
  const want = present && (p.persist ?? true) ? `${p.name}\n` : null
  const file = fileText === want || (want === null && fileText === null) ? null : { path, before: fileText, after: want }
  const load = present && state === 'unloaded'
  // a built-in module cannot be unloaded: absent then means "not loaded at boot by us"
  const unload = !present && state === 'loaded'
  return file || load || unload ? { file, load, unload } : null
}

export const kernelModule = defineModule<KernelModuleParams, KernelModulePlan>({
  name: 'kernelModule',
  async check(host, p) {
    if (!/^[A-Za-z0-9_-]+$/.test(p.name)) throw new ModuleError('kernelModule', `name: expected a module name like 'br_netfilter', found '${p.name}'`)
    const sysName = p.name.replace(/-/g, '_')
    const pattern = `/${p.name.replace(/[-_]/g, '[-_]')}\\.ko(\\.[a-z]+)?$`
    const path = modulesLoadPath(p.name)
    const [probe, file] = parseBatch((await host.exec(batchCommand([
      sh`if [ -e ${`/sys/module/${sysName}/initstate`} ]; then echo loaded
elif [ -d ${`/sys/module/${sysName}`} ] || grep -Eq ${pattern} "/lib/modules/$(uname -r)/modules.builtin"; then echo builtin
fi`,
      readFileCommand(path),
    ]))).stdout, 2)
    const state = parseLoadState(probe!.out)
    const plan = planKernelModule(p, state, fileSection(file!, path))
    if (!plan) return noChange(`${p.name}: already ${p.state === 'absent' ? 'absent' : `${state}${(p.persist ?? true) ? ', loaded at boot' : ''}`}`)
    const what = [plan.load && `modprobe ${p.name}`, plan.unload && `modprobe -r ${p.name}`, plan.file && `${plan.file.after === null ? 'remove' : 'write'} ${path}`]
    return change(what.filter(Boolean).join(', '), { diff: plan.file ?? undefined, data: plan })
  },
  async apply(host, p, { data }) {
    if (data.file?.after === null) await host.run(sh`rm -f -- ${data.file.path}`)
    else if (data.file) {
      await host.run(sh`mkdir -p /etc/modules-load.d`)
      await host.conn.writeFile(data.file.path, data.file.after, { mode: '0644' })
    }
    if (data.load || data.unload) {
      const cmd = data.load ? sh`modprobe -- ${p.name}` : sh`modprobe -r -- ${p.name}`
      const r = await host.exec(cmd)
      if (r.code !== 0) {
        throw new ModuleError('kernelModule', `${p.name}: ${data.load ? 'modprobe' : 'modprobe -r'} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`,
          { cause: new CommandError(host.name, cmd.masked, r.code, r.stdout, r.stderr) })
      }
    }
  },
})
