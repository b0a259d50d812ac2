/**
 * A file copied from the controller, identified by its sha256: the host's file is hashed (one
 * round trip, nothing read back), and the file is sent only when the digest differs (its parent
 * directory created if missing, as `download` does). Written
 * atomically; the digest is checked again on the host before the rename, so a transfer cut short
 * or corrupted never replaces a good file. For binaries and archives; `copy` is for text.
 */
import { readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { sh } from '../connection/quote.ts'
import { change, defineModule, noChange } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'
import { fileSha256 } from '../facts/file-sha256.ts'
import { attrCommands, attrsToChange, describeAttrs, hasAttrs, requirePath, validateAttrs, type FileAttrs } from './file-attrs.ts'

export interface UploadParams extends FileAttrs {
  /** Absolute path on the host. */
  readonly path: string
  /** The file on the controller. */
  readonly src: string
  /** Hex sha256 of `src` (from the bundle manifest); checked on the host before the rename. */
  readonly sha256: string
}

interface UploadData {
  readonly send: boolean
  readonly attrs: FileAttrs
}

export const upload = defineModule<UploadParams, UploadData>({
  name: 'upload',
  async check(host, p) {
    const path = requirePath('upload', p)
    if (!/^[a-f0-9]{64}$/.test(p.sha256)) throw new ModuleError('upload', `${path}: sha256: expected 64 lowercase hex digits, found '${p.sha256}'`)
    const attrs = validateAttrs('upload', path, p)
    const have = await host.fact(fileSha256, path)
    if (have && have.stat.type !== 'file') throw new ModuleError('upload', `${host.name}: ${path}: expected a regular file, found a ${have.stat.type}`)
    if (!have || have.sha256 !== p.sha256) {
      return change(`${have ? 'replace' : 'create'} ${path} (sha256 ${p.sha256.slice(0, 12)}…)`, { data: { send: true, attrs } })
    }
    const fix = attrsToChange(attrs, have.stat)
    return hasAttrs(fix)
      ? change(`${path}: set ${describeAttrs(fix)}`, { data: { send: false, attrs: fix } })
      : noChange(`${path} has sha256 ${p.sha256.slice(0, 12)}…`)
  },
  async apply(host, p, plan) {
    const { send, attrs } = plan.data
    if (send) {
      // Like `download`: the parent directory is part of putting the file there.
      await host.run(sh`mkdir -p -- ${dirname(p.path)}`)
      const content = readFileSync(p.src)
      await host.conn.writeFile(p.path, content, { ...attrs, validate: `[ "$(sha256sum <%s | cut -c1-64)" = ${p.sha256} ]` })
      return
    }
    for (const c of attrCommands(p.path, attrs)) {
      const r = await host.exec(c)
      if (r.code !== 0) throw new ModuleError('upload', `${host.name}: ${c.masked}: exit ${r.code}: ${r.stderr.trim()}`)
    }
  },
})
