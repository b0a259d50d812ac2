/**
 * The test lab. When `KUBEPLAY_TEST_LAB` names a running lab, tests share it (the test runner
 * started it and tears it down). Otherwise this process starts its own lab `t<pid>` once and tears
 * it down by itself: when the event loop drains (uvu is done), on SIGINT/SIGTERM, or at exit.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { labDown, labInfo, labUp, type Distro, type LabInfo, type Layout } from '../../lib/lab/index.ts'

export interface TestLabOptions {
  /** @default 2 */
  readonly hosts?: number
  /** @default 'debian12' */
  readonly distro?: Distro
  /** @default 'flat' */
  readonly layout?: Layout
}

let own: Promise<LabInfo> | null = null
let releaseOwn: (() => Promise<void>) | null = null

export async function testLab(opts: TestLabOptions = {}): Promise<LabInfo> {
  const shared = process.env.KUBEPLAY_TEST_LAB
  if (shared) {
    const info = labInfo(shared)
    if (info) return info
  }
  if (!own) {
    const name = `t${process.pid}`
    releaseOwn = ownLabTeardown(name, () => own)
    process.once('beforeExit', () => { void releaseTestLab() })
    own = labUp({ name, hosts: opts.hosts ?? 2, distro: opts.distro ?? 'debian12', layout: opts.layout ?? 'flat' })
  }
  return own
}

/** Tears down this process's own lab now (no-op for a shared lab). */
export async function releaseTestLab(): Promise<void> {
  await releaseOwn?.()
}

/**
 * A lab this test process brings up itself: torn down on SIGINT/SIGTERM (then exit 130) and, as a
 * last resort, synchronously at exit; the returned function tears it down when the test is done
 * (once, whichever comes first). `starting` is awaited first, so a lab still booting is not left
 * half up.
 */
export function ownLabTeardown(name: string, starting?: () => Promise<unknown> | null): () => Promise<void> {
  let done = false
  const release = async (): Promise<void> => {
    if (done) return
    done = true
    await starting?.()?.catch(() => {})
    await labDown({ name })
  }
  // `on`, not `once`: a second signal during teardown must not kill us half-way.
  let signalled = false
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (signalled) return
      signalled = true
      void release().finally(() => process.exit(130))
    })
  }
  // process.exit() skips beforeExit: tear down synchronously through the CLI.
  process.once('exit', () => {
    if (done) return
    const cli = fileURLToPath(new URL('../../lib/lab/cli.ts', import.meta.url))
    try { execFileSync(process.execPath, ['--import', import.meta.resolve('tsx'), cli, 'down', '--name', name], { stdio: 'inherit' }) } catch { /* reported by the CLI */ }
  })
  return release
}

/**
 * The distro of the real-cluster tests (their own kubernetes-mode labs): KUBEPLAY_CLUSTER_DISTRO,
 * else the runner's lab distro, else debian12. `skip` says why this lab phase leaves them out: the
 * runner covers several distros and they run once.
 */
/** The releases the real-cluster test builds (FROM) and upgrades to (TO): the seeds' two versions. */
export const CLUSTER_VERSIONS = ['1.30.14', '1.31.4'] as const

export function clusterDistro(): { distro: Distro; skip: string | null } {
  const runner = process.env.KUBEPLAY_TEST_LAB ? labInfo(process.env.KUBEPLAY_TEST_LAB)?.distro : undefined
  const distro = (process.env.KUBEPLAY_CLUSTER_DISTRO ?? runner ?? 'debian12') as Distro
  return { distro, skip: runner !== undefined && runner !== distro ? `runs once, on ${distro} (KUBEPLAY_CLUSTER_DISTRO); this lab phase is ${runner}` : null }
}
