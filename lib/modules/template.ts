/**
 * A file rendered from a Handlebars template, then managed like `copy`. Strict: a variable the
 * template uses but the context lacks is an error naming it and the template, never an empty
 * string in a config file. No HTML escaping: these are config files.
 */
import { statSync, readFileSync } from 'node:fs'
import type Handlebars from 'handlebars'
import { createRequire } from 'node:module'
import { isSecret } from '../secret.ts'
import { defineModule } from '../engine/module.ts'
import { ModuleError } from '../errors.ts'
import { fileContent } from '../facts/file-content.ts'
import { applyContentFile, contentReads, planContentFile, validateContentParams, type ContentFileData } from './content-file.ts'
import type { FileAttrs } from './file-attrs.ts'

export interface TemplateParams extends FileAttrs {
  /** Absolute path of the file to render into. */
  readonly path: string
  /** A template file on the controller (`roles/x/templates/y.conf.hbs`). Either this or `source`. */
  readonly src?: string
  /** Template text. Either this or `src`. */
  readonly source?: string
  /** Merged over the host's vars. */
  readonly vars?: Readonly<Record<string, unknown>>
  /** Command run on the temp file before it replaces the target; `%s` is the temp path. */
  readonly validate?: string
  /** Keep a copy of the replaced file next to it (`<path>.<timestamp>~`). @default false */
  readonly backup?: boolean
}

/**
 * Handlebars (with its compiler and source-map, a quarter of kubeplay's code) loads with the first
 * template rendered, not with every process: --list-hosts, a bad inventory and runs without
 * templates never pay for it.
 */
let hbInstance: typeof Handlebars | undefined
function handlebars(): typeof Handlebars {
  if (hbInstance) return hbInstance
  const hb = (createRequire(import.meta.url)('handlebars') as typeof Handlebars).create()
  hb.registerHelper('join', (list: unknown, sep: unknown) =>
    Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : ',') : String(list))
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b)
  hb.registerHelper('default', (v: unknown, fallback: unknown) => (v === undefined || v === null || v === '' ? fallback : v))
  hb.registerHelper('json', (v: unknown) => JSON.stringify(v))
  /** Like Jinja's indent: every line but the first (which sits where the tag is) gets `n` spaces. */
  hb.registerHelper('indent', (text: unknown, n: unknown) =>
    String(text).split('\n').map((l, i) => (i === 0 || l === '' ? l : ' '.repeat(Number(n)) + l)).join('\n'))
  return (hbInstance = hb)
}

type Render = (context: unknown) => string
// Per process: a template is compiled once, and its file re-read only when its mtime changes.
const compiled = new Map<string, Render>()
const files = new Map<string, { mtimeMs: number; source: string }>()

/** Secrets render as their value in the file; the diff is masked later because the value is known to `mask`. */
function revealSecrets(v: unknown, depth = 0): unknown {
  if (isSecret(v)) return v.reveal()
  if (depth > 20 || v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return v
  if (Array.isArray(v)) return v.map((x) => revealSecrets(x, depth + 1))
  if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) return v
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revealSecrets(x, depth + 1)]))
}

/** The dotted expression at a Handlebars error location (`{{a.b}}` reports only `b`). */
function expressionAt(source: string, line: number, column: number): string | undefined {
  return /^[\w.@/-]+/.exec(source.split('\n')[line - 1]?.slice(column) ?? '')?.[0]
}

/** Renders `source` with `context`; `name` (the template file) appears in every error. Pure. */
export function renderTemplate(source: string, context: Readonly<Record<string, unknown>>, name: string): string {
  let fn = compiled.get(source)
  try {
    if (!fn) {
      fn = handlebars().compile(source, { strict: true, noEscape: true })
      compiled.set(source, fn)
    }
    return fn(revealSecrets(context))
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e)
    const missing = /^"(.+)" not defined in .* - (\d+):(\d+)$/.exec(msg)
    if (missing) {
      const [, key, line, col] = missing
      const expr = expressionAt(source, Number(line), Number(col)) ?? key
      throw new ModuleError('template', `${name}:${line}: variable '${expr}' is not defined (expected it in the host's vars or the task's vars)`, { cause: e })
    }
    throw new ModuleError('template', `${name}: ${msg.split('\n')[0]}`, { cause: e })
  }
}

/** Renders a template file (read once per process unless it changes on disk). */
export function renderTemplateFile(src: string, context: Readonly<Record<string, unknown>>): string {
  return renderTemplate(loadTemplate(src), context, src)
}

function loadTemplate(src: string): string {
  let mtimeMs: number
  try {
    mtimeMs = statSync(src).mtimeMs
  } catch (e) {
    throw new ModuleError('template', `src: expected a readable template file, found none at '${src}'`, { cause: e })
  }
  const cached = files.get(src)
  if (cached && cached.mtimeMs === mtimeMs) return cached.source
  const source = readFileSync(src, 'utf8')
  files.set(src, { mtimeMs, source })
  return source
}

export const template = defineModule<TemplateParams, ContentFileData>({
  name: 'template',
  reads: contentReads,
  async check(host, p) {
    const { path } = validateContentParams('template', p)
    if ((p.src === undefined) === (p.source === undefined)) {
      throw new ModuleError('template', `${path}: expected exactly one of src (a .hbs file) or source (template text), found ${p.src === undefined ? 'neither' : 'both'}`)
    }
    const name = p.src ?? `inline template for ${path}`
    const content = renderTemplate(p.src !== undefined ? loadTemplate(p.src) : p.source!, { ...host.vars, ...p.vars }, name)
    const { src: _src, source: _source, vars: _vars, ...rest } = p
    return planContentFile('template', { ...rest, content }, await host.fact(fileContent, path))
  },
  apply: (host, _p, plan) => applyContentFile(host, plan.data),
})
