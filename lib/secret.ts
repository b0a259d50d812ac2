/**
 * Secret values and masking, the lowest layer: every other layer (errors, connections, inventory,
 * engine, reports) imports from here, and this file imports nothing of kubeplay. A `Secret` reads
 * `***` wherever it is printed; `mask` scrubs every known secret, in every derived form, from text.
 */
import { inspect } from 'node:util'

export const MASK = '***'

/**
 * One copy of kubeplay per process: each copy would keep its own set of known secrets (and its own
 * Secret class), so output masked by one would leak the other's. Two copies meet when a process
 * imports both dist/ (the `kubeplay` package) and lib/ sources by path; npm test picks the sources
 * for `kubeplay` too (node's `--conditions=kubeplay-source`).
 */
declare const __KUBEPLAY_DIST__: boolean | undefined
const COPY = typeof __KUBEPLAY_DIST__ === 'boolean' ? 'dist/ (the built bundle)' : 'lib/ (the TypeScript sources)'
const LOADED = Symbol.for('kubeplay.copy')
const loadedBefore = (globalThis as Record<symbol, unknown>)[LOADED]
if (loadedBefore !== undefined && loadedBefore !== COPY) {
  throw new Error(`kubeplay is loaded twice in this process: from ${String(loadedBefore)} and from ${COPY}; secrets known to one copy would not be masked by the other. Import kubeplay one way: by its package name ('kubeplay', 'kubeplay/roles'…) everywhere, or run with node's --conditions=kubeplay-source (as npm test does) so the package name also loads the sources`)
}
;(globalThis as Record<symbol, unknown>)[LOADED] = COPY

/** Every secret value created in this process, longest first, so output can be scrubbed. */
const known = new Set<string>()
/**
 * The index mask() reads: known strings by their first 3 characters, so a text is scanned once
 * instead of once per known string (a cluster's secrets have hundreds of forms, and every output
 * line is masked); strings shorter than 3, or holding '*' (which a mask already written can
 * complete), are always tried. `rank`: position among the known strings, longest first.
 */
let byTrigram = new Map<string, string[]>()
let alwaysTried: string[] = []
let rank = new Map<string, number>()

function reindex(): void {
  const sortedKnown = [...known].sort((a, b) => b.length - a.length)
  rank = new Map(sortedKnown.map((k, i) => [k, i]))
  byTrigram = new Map()
  alwaysTried = []
  for (const k of sortedKnown) {
    if (k.length < 3 || k.includes('*')) { alwaysTried.push(k); continue }
    const key = k.slice(0, 3)
    const list = byTrigram.get(key)
    if (list) list.push(k)
    else byTrigram.set(key, [k])
  }
}

/** A value that must never be printed: logs, diffs, errors and reports show `***`. */
export class Secret {
  readonly #value: string
  constructor(value: string, readonly label = 'secret') {
    this.#value = value
    if (value.length > 0 && !known.has(value)) {
      known.add(value)
      for (const f of derivedForms(value)) known.add(f)
      reindex()
    }
  }
  /** The real value: only for the wire (a command, a file on the host, an auth handshake). */
  reveal(): string { return this.#value }
  toString(): string { return MASK }
  toJSON(): string { return MASK }
  [inspect.custom](): string { return `Secret(${MASK})` }
}

/**
 * Pure: the forms a secret takes once something transforms it, so that masking holds by
 * construction rather than case by case: JSON-escaped (JavaScript's; Go's, which also escapes
 * `<>&`; each with everything beyond ASCII as `\\uXXXX`, as Python's json.dumps writes it), inside
 * shell single quotes (`'\\''`), YAML single-quoted (`''`), HTML-escaped (Handlebars' `{{…}}`),
 * URL-encoded, base64 and base64url of the value with and without a trailing newline (a Kubernetes
 * Secret's `data`, a kubeconfig's `*-data`), and each line of key material in a multi-line value (a
 * PEM key indented into YAML: lines of 16+ characters without blanks). Forms shorter than 6
 * characters are left out: they would mask ordinary words.
 */
export function derivedForms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1)
  const goJson = json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
  const ascii = (j: string): string => j.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  const html = value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
    .replace(/'/g, '&#x27;').replace(/`/g, '&#x60;').replace(/=/g, '&#x3D;')
  const forms = [
    json, goJson, ascii(json), ascii(goJson), value.replace(/'/g, `'\\''`), value.replace(/'/g, "''"), html, html.replace(/&#x27;/g, '&#39;'),
    encodeURIComponent(value),
    ...[value, `${value}\n`].flatMap((v) => {
      const b64 = Buffer.from(v, 'utf8').toString('base64')
      return [b64, b64.replace(/=+$/, ''), Buffer.from(v, 'utf8').toString('base64url')]
    }),
    // Lines of key material (a PEM body): no blanks inside, long enough not to be ordinary words.
    ...(value.includes('\n') ? value.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length >= 16 && !/\s/.test(l)) : []),
  ]
  return [...new Set(forms)].filter((f) => f !== value && f.length >= SHORT)
}

/** Marks a value as secret. */
export function secret(value: string, label?: string): Secret {
  return new Secret(value, label)
}

export function isSecret(v: unknown): v is Secret {
  return v instanceof Secret
}

/** The real value of a string or a Secret. */
export function reveal(v: string | Secret): string {
  return v instanceof Secret ? v.reveal() : v
}

/** Below this length a secret is masked only where it stands as a whole word, not inside other words. */
const SHORT = 6

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * Replaces every known secret value in `text` by `***`. Applied to all output that leaves the engine.
 * Long secrets are replaced wherever they occur; short ones only as whole words, so a 3-character
 * secret does not garble every word that contains those letters.
 */
export function mask(text: string): string {
  if (known.size === 0 || !text) return text
  // Only the known strings whose first 3 characters occur in the text can occur in it.
  const candidates = new Set(alwaysTried)
  for (let i = 0; i + 3 <= text.length; i++) {
    const list = byTrigram.get(text.slice(i, i + 3))
    if (list) for (const k of list) candidates.add(k)
  }
  if (candidates.size === 0) return text
  let out = text
  for (const s of [...candidates].sort((a, b) => rank.get(a)! - rank.get(b)!)) {
    if (!out.includes(s)) continue
    out = s.length >= SHORT
      ? out.split(s).join(MASK)
      : out.replace(new RegExp(`(?<![A-Za-z0-9])${escapeRe(s)}(?![A-Za-z0-9])`, 'g'), MASK)
  }
  return out
}
