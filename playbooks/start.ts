/**
 * `npm start`: the main job with no inventory of the user's. Builds (or reuses) the offline
 * Kubernetes bundle from the upstream Go modules, brings up the built-in lab in kubernetes mode
 * (seed 001 layout: 1 haproxy, 3 masters, 3 workers, as Debian 12 hosts on this machine) if it is
 * not up, then runs the site playbook on it: a real kubeadm HA cluster. Extra arguments go to the
 * playbook (`npm start -- --check`). The lab stays up afterwards (`npm run lab -- down` removes it).
 */
import { runCli } from 'kubeplay'
import { kubernetesDefaults } from 'kubeplay/kubernetes'
import { DEFAULT_NAME, labInfo, labUp } from 'kubeplay/lab'
import { buildBundle } from 'kubeplay/bundle'
import { site } from './site.ts'

const args = process.argv.slice(2)
const t0 = Date.now()
const stamp = (): string => `[${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s]`

console.log(`bundle: Kubernetes ${kubernetesDefaults.version} (first time: built from the upstream Go modules, about 30 min on 2 cores; then reused)`)
const bundle = await buildBundle({ kubernetes: kubernetesDefaults.version, log: (l) => console.log(`${stamp()} bundle: ${l}`) })
console.log(`${stamp()} bundle: ${bundle.built ? 'built' : 'reused'} ${bundle.dir}`)

const lab = labInfo(DEFAULT_NAME)
if (!lab || lab.layout !== 'seed001' || !lab.kubernetes) {
  console.log(`${stamp()} lab: bringing up '${DEFAULT_NAME}' (seed 001 layout: haproxy, 3 masters, 3 workers; kubernetes mode)`)
  await labUp({ name: DEFAULT_NAME, layout: 'seed001', kubernetes: true, log: (l) => console.log(`${stamp()} lab: ${l}`) })
}
process.exitCode = await runCli(site, ['-i', `lab:${DEFAULT_NAME}`, ...args])
