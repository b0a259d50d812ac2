/**
 * `go build` of upstream main packages at pinned versions, from the Go module proxy: a throwaway
 * wrapper module requires the pinned module (plus, for k8s.io/kubernetes, replace directives for
 * its k8s.io/* staging modules, which its own go.mod maps to ./staging and the module zip omits),
 * `go mod tidy` resolves the rest, and the binaries are built static (CGO off), stripped and
 * trimmed. Go's own build cache makes a second build of the same versions take seconds.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { run } from '../lab/exec.ts'
import type { GoComponent } from './pins.ts'

export interface GoEnv {
  /** Scratch directory for the wrapper modules. */
  readonly workDir: string
  readonly log: (line: string) => void
}

/** Pure: the wrapper module's go.mod. */
export function wrapperGoMod(name: string, c: GoComponent, stagingModules: readonly string[] = []): string {
  const lines = [`module kubeplay.local/bundle/${name}`, '', 'go 1.22.0', '', `require ${c.module} ${c.version}`, '']
  if (c.stagingReplace && stagingModules.length) {
    lines.push('replace (', ...stagingModules.map((m) => `\t${m} => ${m} ${c.stagingReplace}`), ')', '')
  }
  return lines.join('\n')
}

/** Pure: a Go file importing the packages, so `go mod tidy` keeps what they need. */
export function wrapperImports(c: GoComponent): string {
  return ['//go:build tools', '', 'package bundle', '', 'import (', ...c.packages.map((p) => `\t_ "${p}"`), ')', ''].join('\n')
}

/** Pure: the modules a go.mod replaces with `./staging/...` paths (k8s.io/kubernetes). */
export function stagingModulesOf(goMod: string): string[] {
  return [...goMod.matchAll(/^\s*(\S+)\s+=>\s+\.\/staging\/\S+/gm)].map((m) => m[1]!)
}

/** Pure: the -ldflags value. */
export function ldflags(c: GoComponent): string {
  return ['-s', '-w', ...Object.entries(c.ldflagsX ?? {}).map(([k, v]) => `-X ${k}=${v}`), ...(c.cgo ? ['-extldflags "-static"'] : [])].join(' ')
}

/** Pure: Go source with the blank/named import lines of `drop` removed. */
export function dropImportLines(source: string, drop: readonly string[]): string {
  return source.split('\n').filter((l) => !drop.some((d) => new RegExp(`^\\s*(_|\\w+)?\\s*"${d.replace(/[.]/g, '\\.')}"\\s*$`).test(l))).join('\n')
}

async function go(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, toolchain?: string): Promise<string> {
  // Every build is static: CGO off, or, for the few components upstream links with cgo, -static.
  const r = await run('go', ['-C', cwd, ...args], {
    env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: toolchain ? `go${toolchain}` : 'local', CGO_ENABLED: '0', ...env }, allowFail: true,
  })
  if (r.code !== 0) throw new Error(`go ${args.join(' ')} (in ${cwd}) exited ${r.code}:\n${r.stderr.trim().split('\n').slice(-30).join('\n')}`)
  return r.stdout
}

/** Origin commit of a module version, as the proxy reports it (for k8s gitCommit). */
export async function moduleInfo(module: string, version: string, cwd: string): Promise<{ dir: string; goMod: string; commit: string; goVersion: string | null }> {
  const out = JSON.parse(await go(['mod', 'download', '-json', `${module}@${version}`], cwd)) as
    { Dir: string; GoMod: string; Origin?: { Hash?: string } }
  // k8s.io/kubernetes records the Go release it is built with in .go-version.
  const gv = existsSync(join(out.Dir, '.go-version')) ? readFileSync(join(out.Dir, '.go-version'), 'utf8').trim() : ''
  return { dir: out.Dir, goMod: readFileSync(out.GoMod, 'utf8'), commit: out.Origin?.Hash ?? '', goVersion: /^1\.\d+(\.\d+)?$/.test(gv) ? gv : null }
}

/**
 * The module's own source as the main module, with `dropImports` removed from its Go files and
 * `placeholders` written. Its go.mod and go.sum are upstream's; the wrapper approach can neither
 * drop a dependency's import nor add a file to it.
 */
async function sourceCopy(name: string, c: GoComponent, env: GoEnv): Promise<string> {
  const dir = join(env.workDir, `${name}-src`)
  const info = await moduleInfo(c.module, c.version, env.workDir)
  const stamp = join(dir, '.kubeplay-source')
  const want = `${c.module}@${c.version} without ${(c.dropImports ?? []).join(' ')} with ${Object.keys(c.placeholders ?? {}).join(' ')}`
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return dir
  rmSync(dir, { recursive: true, force: true })
  cpSync(info.dir, dir, { recursive: true })
  await run('chmod', ['-R', 'u+w', dir])
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.go')) continue
    const text = readFileSync(join(dir, f), 'utf8')
    const edited = dropImportLines(text, c.dropImports ?? [])
    if (edited !== text) { writeFileSync(join(dir, f), edited); env.log(`${name}: ${f}: dropped import of ${(c.dropImports ?? []).join(', ')}`) }
  }
  for (const [rel, content] of Object.entries(c.placeholders ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true })
    writeFileSync(join(dir, rel), content)
    env.log(`${name}: ${rel}: placeholder written (not in the module)`)
  }
  writeFileSync(stamp, want)
  return dir
}

/** Builds every package of a component into `outDir`; returns the binary paths. */
export async function goBuild(name: string, c: GoComponent, outDir: string, env: GoEnv): Promise<string[]> {
  mkdirSync(outDir, { recursive: true })
  if (c.dropImports?.length || c.placeholders) {
    const src = await sourceCopy(name, c, env)
    const t0 = Date.now()
    env.log(`${name}: go build ${c.packages.map(goBinaryName).join(' ')} (from ${c.module}@${c.version} source)`)
    const rel = c.packages.map((p) => (p === c.module ? '.' : `./${p.slice(c.module.length + 1)}`))
    await go(['build', '-trimpath', ...(c.cgo ? ['-tags', 'netgo,osusergo'] : []), '-ldflags', ldflags(c), '-o', `${outDir}/`, ...rel], src, c.cgo ? { CGO_ENABLED: '1' } : {}, c.goToolchain)
    env.log(`${name}: built in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
    return finish(c, outDir)
  }
  const dir = join(env.workDir, name)
  mkdirSync(dir, { recursive: true })
  const staging = c.stagingReplace ? stagingModulesOf((await moduleInfo(c.module, c.version, env.workDir)).goMod) : []
  const goMod = wrapperGoMod(name, c, staging)
  // go.mod.in is what we asked for; go.mod is what `go mod tidy` made of it (reused while they match).
  const asked = join(dir, 'go.mod.in')
  if (!existsSync(asked) || readFileSync(asked, 'utf8') !== goMod || !existsSync(join(dir, 'go.sum'))) {
    writeFileSync(join(dir, 'go.mod'), goMod)
    writeFileSync(join(dir, 'tools.go'), wrapperImports(c))
    env.log(`${name}: resolving ${c.module}@${c.version}`)
    await go(['mod', 'tidy'], dir, {}, c.goToolchain)
    writeFileSync(asked, goMod)
  }
  const t0 = Date.now()
  env.log(`${name}: go build ${c.packages.map(goBinaryName).join(' ')}${c.goToolchain ? ` with go${c.goToolchain}` : ''}`)
  await go(['build', '-trimpath', ...(c.cgo ? ['-tags', 'netgo,osusergo'] : []), '-ldflags', ldflags(c), '-o', `${outDir}/`, ...c.packages], dir, c.cgo ? { CGO_ENABLED: '1' } : {}, c.goToolchain)
  env.log(`${name}: built in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  return finish(c, outDir)
}

function finish(c: GoComponent, outDir: string): string[] {
  return c.packages.map((p) => {
    const built = join(outDir, goBinaryName(p))
    const want = c.rename?.[goBinaryName(p)]
    if (!want) return built
    renameSync(built, join(outDir, want))
    return join(outDir, want)
  })
}

/** Pure: the name `go build -o dir/` gives a main package's binary. */
export function goBinaryName(pkg: string): string {
  const parts = pkg.split('/')
  const last = parts.pop()!
  return /^v\d+$/.test(last) && parts.length ? parts.pop()! : last
}
