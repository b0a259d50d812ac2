/**
 * A tiny typed schema validator for inventory specs, host/group settings and group vars. Not zod:
 * we need one thing zod does not give for free, every failure as a `ConfigError` naming the file, the
 * key path (`hosts.master1.port`), what was expected and what was found, all collected in one pass.
 */
import { ConfigError, ConfigErrors } from '../errors.ts'
import { isSecret, Secret } from '../secret.ts'

export interface Ctx {
  readonly file: string
  readonly errors: ConfigError[]
  /** Missing required keys are not errors (one group_vars file holds only part of the vars). */
  readonly partial?: boolean
}

export const INVALID = Symbol('invalid')
export type Invalid = typeof INVALID

export interface Schema<T> {
  /** Phrase for messages: "expected <expected>, found …". */
  readonly expected: string
  readonly optional?: boolean
  /** The (possibly converted) value, or INVALID after pushing errors to `ctx`. */
  check(v: unknown, key: string, ctx: Ctx): T | Invalid
}

export type Infer<S> = S extends Schema<infer T> ? T : never
type Shape = Record<string, Schema<unknown>>
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S]
export type InferShape<S extends Shape> =
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }

/** `hosts` + `master1` → `hosts.master1`; names that are not identifiers get brackets: `hosts["10.0.0.1"]`. */
export function joinKey(parent: string, name: string | number): string {
  if (typeof name === 'number') return `${parent}[${name}]`
  const part = /^[A-Za-z_][\w-]*$/.test(name) ? name : `[${JSON.stringify(name)}]`
  return !parent ? part : part.startsWith('[') ? parent + part : `${parent}.${part}`
}

/** How a found value reads in a message. Secrets never show their value. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (v instanceof Secret) return 'a secret'
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v)
  if (Array.isArray(v)) return `an array of ${v.length}`
  if (typeof v === 'function') return 'a function'
  return 'an object'
}

export const fail = (ctx: Ctx, key: string, expected: string, found: string): Invalid => {
  ctx.errors.push(new ConfigError(ctx.file, key || '(top level)', expected, found))
  return INVALID
}

function primitive<T>(expected: string, ok: (v: unknown) => boolean): Schema<T> {
  return { expected, check: (v, key, ctx) => (ok(v) ? (v as T) : fail(ctx, key, expected, describe(v))) }
}

export const string = (): Schema<string> => primitive('a string', (v) => typeof v === 'string')
export const number = (): Schema<number> => primitive('a number', (v) => typeof v === 'number' && Number.isFinite(v))
export const boolean = (): Schema<boolean> => primitive('true or false', (v) => typeof v === 'boolean')
export const unknown = (): Schema<unknown> => primitive('anything', () => true)

export function int(range: { min?: number; max?: number } = {}): Schema<number> {
  const { min, max } = range
  const expected = min !== undefined && max !== undefined ? `an integer ${min}..${max}`
    : min !== undefined ? `an integer ≥ ${min}` : max !== undefined ? `an integer ≤ ${max}` : 'an integer'
  return primitive(expected, (v) => typeof v === 'number' && Number.isInteger(v) &&
    (min === undefined || v >= min) && (max === undefined || v <= max))
}

export function enumOf<const T extends string>(values: readonly T[]): Schema<T> {
  return primitive(values.map((v) => `'${v}'`).join(' | '), (v) => (values as readonly unknown[]).includes(v))
}

/** A string or `secret()`; strings become `Secret` so they are masked from here on. */
export function secret(label = 'secret'): Schema<Secret> {
  const expected = 'a string or secret()'
  return {
    expected,
    check: (v, key, ctx) => v instanceof Secret ? v
      // The type, never the value: a mistyped password is still a password.
      : typeof v === 'string' ? new Secret(v, label) : fail(ctx, key, expected, v === null ? 'null' : `a ${typeof v}`),
  }
}

export function optional<T>(s: Schema<T>): Schema<T | undefined> & { optional: true } {
  return { expected: s.expected, optional: true, check: (v, key, ctx) => (v === undefined ? undefined : s.check(v, key, ctx)) }
}

/** Adds a check on top of `s`; `expected` describes the stricter value. */
export function refine<T>(s: Schema<T>, expected: string, ok: (v: T) => boolean, found?: (v: T) => string): Schema<T> {
  return {
    expected,
    check: (v, key, ctx) => {
      const r = s.check(v, key, ctx)
      return r === INVALID ? r : ok(r) ? r : fail(ctx, key, expected, found ? found(r) : describe(v))
    },
  }
}

/** Full control: `fn` returns the converted value, or `{ error }` with an "expected" phrase. */
export function custom<T>(expected: string, fn: (v: unknown) => T | { error: string }): Schema<T> {
  return {
    expected,
    check: (v, key, ctx) => {
      const r = fn(v)
      const isErr = typeof r === 'object' && r !== null && !(r instanceof Secret) && 'error' in r && Object.keys(r).length === 1
      return isErr ? fail(ctx, key, (r as { error: string }).error, describe(v)) : (r as T)
    },
  }
}

export function array<T>(item: Schema<T>): Schema<T[]> {
  const expected = 'a list'
  return {
    expected,
    check: (v, key, ctx) => {
      if (!Array.isArray(v)) return fail(ctx, key, expected, describe(v))
      return v.map((x, i) => item.check(x, joinKey(key, i), ctx)).filter((x): x is T => x !== INVALID)
    },
  }
}

/** A mapping as YAML, JSON and object literals make them (not a list, a Secret or another class's instance). */
export const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Secret)

export function record<T>(value: Schema<T>): Schema<Record<string, T>> {
  const expected = 'a mapping'
  return {
    expected,
    check: (v, key, ctx) => {
      if (!isPlainObject(v)) return fail(ctx, key, expected, describe(v))
      const out: Record<string, T> = {}
      for (const [k, x] of Object.entries(v)) {
        const r = value.check(x, joinKey(key, k), ctx)
        if (r !== INVALID) out[k] = r
      }
      return out
    },
  }
}

export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
  }
  return d[a.length]![b.length]!
}

/**
 * An object with known keys. Unknown keys pass through unless `strict` (inventory settings are strict,
 * so `adress:` is caught; group vars are not, users keep their own vars there).
 */
export function object<S extends Shape>(shape: S, opts: { strict?: boolean } = {}): Schema<InferShape<S>> {
  const expected = 'a mapping'
  return {
    expected,
    check: (v, key, ctx) => {
      if (!isPlainObject(v)) return fail(ctx, key, expected, describe(v))
      const out: Record<string, unknown> = { ...v }
      for (const [k, s] of Object.entries(shape)) {
        if (v[k] === undefined && !s.optional) {
          if (!ctx.partial) fail(ctx, joinKey(key, k), s.expected, 'nothing')
          continue
        }
        const r = s.check(v[k], joinKey(key, k), { ...ctx, partial: false })
        if (r === INVALID || r === undefined) delete out[k]
        else out[k] = r
      }
      if (opts.strict) {
        for (const k of Object.keys(v).filter((k) => !(k in shape))) {
          const near = Object.keys(shape).find((n) => editDistance(n, k) <= 2)
          const known = near ? `a known key (did you mean '${near}'?)` : `one of ${Object.keys(shape).join(', ')}`
          fail(ctx, joinKey(key, k), known, 'an unknown key')
          delete out[k]
        }
      }
      return out as InferShape<S>
    },
  }
}

/** The first alternative that accepts the value; otherwise one error listing all alternatives. */
export function union<T extends Schema<unknown>[]>(...alts: T): Schema<Infer<T[number]>> {
  const expected = alts.map((a) => a.expected).join(' or ')
  return {
    expected,
    check: (v, key, ctx) => {
      const inside: ConfigError[][] = []
      for (const a of alts) {
        const scratch: Ctx = { ...ctx, errors: [] }
        const r = a.check(v, key, scratch)
        if (r !== INVALID && scratch.errors.length === 0) return r as Infer<T[number]>
        // The value has this alternative's shape but something inside is wrong (a mapping missing a key).
        if (scratch.errors.length && scratch.errors.every((e) => e.key !== (key || '(top level)'))) inside.push(scratch.errors)
      }
      if (inside.length === 1) { ctx.errors.push(...inside[0]!); return INVALID }
      return fail(ctx, key, expected, describe(v))
    },
  }
}

/**
 * Validates `value`; collects every problem instead of stopping at the first. Containers drop their
 * invalid entries, so `value` is the valid part even when there are errors (undefined only when the
 * value itself has the wrong type): callers can go on checking the rest without echo errors.
 */
export function validate<T>(schema: Schema<T>, value: unknown, file: string,
  opts: { key?: string; partial?: boolean } = {}): { value?: T; errors: ConfigError[] } {
  const ctx: Ctx = { file, errors: [], partial: opts.partial ?? false }
  const r = schema.check(value, opts.key ?? '', ctx)
  return r === INVALID ? { errors: ctx.errors } : { value: r, errors: ctx.errors }
}

/** Like `validate`, but throws `ConfigErrors` with every problem. */
export function parse<T>(schema: Schema<T>, value: unknown, file: string, opts: { key?: string; partial?: boolean } = {}): T {
  const r = validate(schema, value, file, opts)
  if (r.errors.length > 0) throw new ConfigErrors(r.errors)
  return r.value as T
}

/** A Secret whose value fits in a config file word. Messages never show the value. */
export function secretWord(label: string, expected: string, ok: (v: string) => boolean): Schema<Secret> {
  return {
    expected,
    check: (v, key, ctx) => {
      const s = isSecret(v) ? v : typeof v === 'string' ? new Secret(v, label) : undefined
      if (s && ok(s.reveal())) return s
      ctx.errors.push(new ConfigError(ctx.file, key || '(top level)', expected, s ? 'a secret that does not fit' : describe(v)))
      return INVALID
    },
  }
}

