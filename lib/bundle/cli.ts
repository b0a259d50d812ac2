/**
 * `npm run bundle -- --kubernetes 1.31.4 [--out DIR] [--force]`: builds (or reuses) the offline
 * bundle of a release and prints what it holds with sha256s.
 */
import { buildBundle } from './build.ts'
import { RELEASES } from './pins.ts'

const HELP = `usage: npm run bundle -- --kubernetes VERSION [--out DIR] [--force]
  --kubernetes  one of ${Object.keys(RELEASES).join(', ')}
  --out         bundle directory (default /var/cache/kubeplay-bundle/vVERSION; KUBEPLAY_BUNDLE_CACHE moves the cache)
  --force       rebuild even when a complete bundle is there`

function parse(argv: string[]): { kubernetes: string; out?: string; force: boolean } {
  let kubernetes = ''
  let out: string | undefined
  let force = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = (): string => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]
      if (!v) throw new Error(`${a.split('=')[0]}: expected a value, found nothing`)
      return v
    }
    if (a === '--kubernetes' || a.startsWith('--kubernetes=')) kubernetes = value().replace(/^v/, '')
    else if (a === '--out' || a.startsWith('--out=')) out = value()
    else if (a === '--force') force = true
    else if (a === '-h' || a === '--help') { console.log(HELP); process.exit(0) }
    else throw new Error(`unknown argument ${a}\n${HELP}`)
  }
  if (!kubernetes) throw new Error(`--kubernetes: expected a release, found nothing\n${HELP}`)
  if (!RELEASES[kubernetes]) throw new Error(`--kubernetes: expected one of ${Object.keys(RELEASES).join(', ')}, found ${kubernetes}`)
  return { kubernetes, out, force }
}

try {
  const o = parse(process.argv.slice(2))
  const t0 = Date.now()
  const stamp = (): string => `[${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s]`
  const r = await buildBundle({ kubernetes: o.kubernetes, outDir: o.out, force: o.force, log: (l) => console.log(`${stamp()} ${l}`) })
  console.log(`${r.built ? 'built' : 'reused'} ${r.dir} in ${r.seconds.toFixed(0)} s (Kubernetes ${r.manifest.kubernetes})`)
  for (const f of r.manifest.files) console.log(`  ${f.sha256}  ${(f.size / 1048576).toFixed(1).padStart(6)} MiB  ${f.path}`)
  for (const i of r.manifest.images) console.log(`  image ${i.ref} (${i.manifestDigest.slice(0, 19)}…) ← ${i.path}`)
} catch (e) {
  console.error(`bundle: ${(e as Error).message}`)
  process.exit(1)
}
