/**
 * Builds dist/: kubeplay precompiled, so a playbook run transforms only the user's own files.
 * `npm ci` runs it (the `prepare` script); so does `npm test` before its first test.
 *
 * Every entry of package.json's `exports` names its TypeScript source (the `kubeplay-source`
 * condition) and its stub in dist/ (`default`). The sources are bundled with esbuild into
 * dist/code/ (see OWN_ENTRY: one module for the entries a playbook imports, shared code in chunks,
 * so each module exists once whichever entries a process imports; dependencies bundled too, but
 * EXTERNAL). Each stub loads its bundle when dist/fresh.js finds the sources unchanged since the
 * build, else the sources themselves.
 *
 * A file's `import.meta.url` is rewritten to the source file's own URL, relative to the bundle, so
 * templates, package.json and dependencies required lazily are still found beside the sources.
 * Outside that pattern a bundled file must not use import.meta.url (the build fails naming it),
 * except in text it writes out.
 *
 *   npm run build     (or: tsx scripts/build.ts)
 */
import { build, type Plugin } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { sha1, type BuildInputs } from './dist-fresh.ts'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const SOURCE_CONDITION = 'kubeplay-source'
const EXTERNAL = ['node-ssh', 'ssh2', 'tsx', 'esbuild', 'typescript', 'zx']
/** import.meta.url inside generated text (a playbook written by `kubeplay import ansible`), not code. */
const WRITES_IMPORT_META = new Set(['lib/cli/import-ansible.ts'])

/**
 * The environment without the source condition npm test sets: what a child process needs to load
 * kubeplay as a user does (dist/), for the tests and benchmarks that measure or prove that path.
 */
export function withoutSourceCondition(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const opts = (env.NODE_OPTIONS ?? '').replace(new RegExp(`--conditions[= ]${SOURCE_CONDITION}`, 'g'), '').replace(/\s+/g, ' ').trim()
  return { ...env, NODE_OPTIONS: opts }
}

/** The environment with it: `kubeplay` by name loads the TypeScript sources (npm test's files). */
export function withSourceCondition(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const opts = withoutSourceCondition(env).NODE_OPTIONS
  return { ...env, NODE_OPTIONS: `${opts} --conditions=${SOURCE_CONDITION}`.trim() }
}

export interface Entry {
  /** The subpath: '.', './roles'… */
  readonly subpath: string
  /** Relative to the package root: lib/index.ts… */
  readonly source: string
  /** Relative to the package root: dist/index.js… */
  readonly stub: string
}

/** package.json's exports as entries; each must name its source and its dist stub. */
export function entries(root = ROOT): Entry[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> }
  return Object.entries(pkg.exports).map(([subpath, target]) => {
    const source = target[SOURCE_CONDITION]
    const stub = target.default
    if (!source || !stub || target.types !== source) throw new Error(`package.json exports['${subpath}']: expected { types, '${SOURCE_CONDITION}': the same .ts source, default: dist/….js }, found ${JSON.stringify(target)}`)
    return { subpath, source: source.replace(/^\.\//, ''), stub: stub.replace(/^\.\//, '') }
  })
}

/**
 * Rewrites import.meta.url where it is a call's last argument (`new URL(…, import.meta.url)`,
 * `fileURLToPath(import.meta.url)`, `createRequire(import.meta.url)`) to the source file's URL;
 * `left` counts the other uses outside comments.
 */
export function rewriteImportMeta(code: string, file: string, bundleDir: string): { code: string; left: number } {
  const here = `new URL(${JSON.stringify(relative(bundleDir, file).split('\\').join('/'))}, import.meta.url).href`
  // As the last argument of a call: new URL(x, import.meta.url), fileURLToPath(…), createRequire(…).
  const out = code.replace(/(\(|,\s*)import\.meta\.url\)/g, `$1${here})`)
  const uncommented = out.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const left = uncommented.split('import.meta.url').length - 1 - (uncommented.split(here).length - 1)
  return { code: out, left }
}

function importMetaPlugin(bundleDir: string): Plugin {
  return {
    name: 'kubeplay-import-meta',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const code = readFileSync(args.path, 'utf8')
        if (!code.includes('import.meta')) return undefined
        const rel = relative(ROOT, args.path)
        const r = rewriteImportMeta(code, args.path, bundleDir)
        if (r.left > 0 && !WRITES_IMPORT_META.has(rel) || code.includes('import.meta.dirname') || code.includes('import.meta.filename')) {
          return { errors: [{ text: `${rel}: import.meta.url used other than as a call's last argument (new URL(…, import.meta.url), fileURLToPath(import.meta.url)); it would point at the bundle, not at this file` }] }
        }
        return { contents: r.code, loader: 'ts' }
      })
    },
  }
}

function stubCode(e: Entry, names: readonly string[]): string {
  const source = relative(dirname(e.stub), e.source)
  return [
    `// Generated by scripts/build.ts from ${e.source}: the bundle, or the sources when they changed since the build.`,
    `import { fresh } from './fresh.js'`,
    `const m = fresh ? ${OWN_ENTRY.has(e.subpath) ? `await import('./code/${entryName(e)}.js')` : `(await import('./code/all.js')).${entryName(e)}`} : await import(${JSON.stringify(source)})`,
    names.length ? `export const { ${names.join(', ')} } = m` : 'export {}',
    '',
  ].join('\n')
}

/**
 * One module for the entries a playbook imports (`export * as roles from './roles/index.ts'`…): a
 * process loads one file however many of them it imports (split chunks cost a module load each).
 * The connections (SshConnection loads the SSH library), the lab, the bundle builder and the
 * kubeplay command are entries of their own, sharing chunks with it; what only some runs need (the
 * SSH library, report writers) stays in chunks loaded on first use.
 */
export const OWN_ENTRY = new Set(['./connection', './lab', './bundle', './cli'])

function allEntriesPlugin(list: readonly Entry[], root: string): Plugin {
  return {
    name: 'kubeplay-all-entries',
    setup(b) {
      b.onResolve({ filter: /^kubeplay-all-entries$/ }, () => ({ path: 'all', namespace: 'kubeplay-all' }))
      b.onLoad({ filter: /.*/, namespace: 'kubeplay-all' }, () => ({
        contents: list.filter((e) => !OWN_ENTRY.has(e.subpath)).map((e) => `export * as ${entryName(e)} from ${JSON.stringify(`./${e.source}`)}`).join('\n'),
        resolveDir: root,
        loader: 'ts',
      }))
    },
  }
}

/**
 * tsx rewrites every dynamic `import(` of a file it loads (appending a CommonJS interop) and
 * regenerates a fine-grained source map of the whole file, ~130 ms over this bundle: so the bundle
 * calls one tiny module of ours for its dynamic imports instead (same directory, so relative
 * specifiers resolve as before), and tsx rewrites only that one.
 */
export const DYNAMIC_IMPORT = 'dynamic-import.js'
export function routeDynamicImports(code: string): string {
  if (!code.includes('import(')) return code
  return `import { dynamicImport as __kubeplayImport } from './${DYNAMIC_IMPORT}';\n${code.replace(/\bimport\(/g, '__kubeplayImport(')}`
}

/** Each entry's runtime export names, read by loading the new bundle in a plain node process. */
function exportNames(codeDir: string, own: readonly string[]): Record<string, string[]> {
  const url = (f: string): string => JSON.stringify(pathToFileURL(join(codeDir, `${f}.js`)).href)
  const code = [
    `const out = Object.fromEntries(Object.entries(await import(${url('all')})).map(([k, v]) => [k, Object.keys(v).sort()]))`,
    ...own.map((n) => `out[${JSON.stringify(n)}] = Object.keys(await import(${url(n)})).sort()`),
    'console.log(JSON.stringify(out))',
  ].join('\n')
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: withoutSourceCondition() })
  return JSON.parse(out) as Record<string, string[]>
}

const entryName = (e: Entry): string => e.stub.replace(/^dist\//, '').replace(/\.js$/, '')

/** Builds dist/ beside the sources; replaces the old one whole once the new one is complete. */
export async function buildDist(root = ROOT): Promise<{ entries: number; inputs: number; ms: number }> {
  const t0 = Date.now()
  const list = entries(root)
  const tmp = join(root, `dist.new-${process.pid}`)
  rmSync(tmp, { recursive: true, force: true })
  let inputs: Record<string, BuildInputs[string]>
  try {
    const bundleDir = join(tmp, 'code')
    const result = await build({
      absWorkingDir: root,
      entryPoints: { all: 'kubeplay-all-entries', ...Object.fromEntries(list.filter((e) => OWN_ENTRY.has(e.subpath)).map((e) => [entryName(e), join(root, e.source)])) },
      outdir: bundleDir,
      entryNames: '[name]',
      chunkNames: 'chunk-[hash]',
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // Dependencies of many small files (yaml, semver, handlebars) are bundled too; these stay
      // external: native or optional parts (ssh2), the loader and compilers kubeplay runs with.
      external: EXTERNAL,
      banner: { js: "import { createRequire as __kubeplayRequire } from 'node:module'; const require = __kubeplayRequire(import.meta.url);" },
      define: { __KUBEPLAY_DIST__: 'true' },
      plugins: [allEntriesPlugin(list, root), importMetaPlugin(join(root, 'dist', 'code'))],
      metafile: true,
      logLevel: 'error',
    })
    inputs = {}
    // Our sources only: a bundled dependency is a copy, whatever node_modules holds later.
    for (const file of Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/') && !f.startsWith('kubeplay-all:'))) {
      const abs = join(root, file)
      const data = readFileSync(abs)
      inputs[file] = { size: data.length, mtimeMs: statSync(abs).mtimeMs, sha1: sha1(data) }
    }
    for (const f of readdirSync(bundleDir).filter((n) => n.endsWith('.js'))) {
      const file = join(bundleDir, f)
      const code = readFileSync(file, 'utf8')
      const routed = routeDynamicImports(code)
      if (routed !== code) writeFileSync(file, routed)
    }
    writeFileSync(join(bundleDir, DYNAMIC_IMPORT), 'export const dynamicImport = (specifier) => import(specifier)\n')
    const names = exportNames(bundleDir, list.filter((e) => OWN_ENTRY.has(e.subpath)).map(entryName))
    for (const e of list) writeFileSync(join(tmp, `${entryName(e)}.js`), stubCode(e, names[entryName(e)] ?? []))
    await build({ absWorkingDir: root, entryPoints: [join(root, 'scripts/dist-fresh.ts')], outfile: join(tmp, 'fresh.js'), bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error' })
    writeFileSync(join(tmp, 'inputs.json'), `${JSON.stringify(inputs, null, 1)}\n`)
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true })
    throw e
  }
  const dist = join(root, 'dist')
  const old = join(root, `dist.old-${process.pid}`)
  try { renameSync(dist, old) } catch { /* no dist yet */ }
  renameSync(tmp, dist)
  rmSync(old, { recursive: true, force: true })
  return { entries: list.length, inputs: Object.keys(inputs).length, ms: Date.now() - t0 }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await buildDist()
  console.log(`dist/: ${r.entries} entries from ${r.inputs} source files in ${r.ms} ms`)
}
