/**
 * A file with exactly the given content and attrs. Compared byte for byte with the host's file;
 * written atomically (temp file, validate, rename) only when something differs.
 */
import { defineModule } from '../engine/module.ts'
import { applyContentFile, checkContentFile, contentReads, type ContentFileData, type ContentFileParams } from './content-file.ts'

export type CopyParams = ContentFileParams

export const copy = defineModule<CopyParams, ContentFileData>({
  name: 'copy',
  reads: contentReads,
  check: (host, p) => checkContentFile(host, 'copy', p),
  apply: (host, _p, plan) => applyContentFile(host, plan.data),
})
