/** Settings schemas (validate.ts: strict, typed, messages naming file, key, expected and found) and address helpers (net.ts). */
export * as schema from './validate.ts'
export type { Schema, Infer } from './validate.ts'
export * from './net.ts'
