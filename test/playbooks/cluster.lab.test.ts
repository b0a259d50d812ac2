/**
 * The real cluster: the site playbook on the seed 001 layout (HAProxy, 3 masters, 3 workers) in a
 * kubernetes-mode lab of its own, with Kubernetes 1.30.14 from the offline bundle (built from the
 * upstream Go modules here, or reused from the cache), upgraded to 1.31.4 at the end, the seeds'
 * two versions. No stand-in: kubeadm, the kubelet, containerd, etcd, the API servers, kube-proxy,
 * CoreDNS and Flannel all run.
 *
 * First, --check on the fresh hosts plans every step and changes nothing.
 * Proves: 6 nodes Ready through the HAProxy endpoint, CoreDNS and Flannel Running; seed 000's check
 * (an nginx Deployment — Debian's nginx, from the bundle — on several workers, reached through a
 * ClusterIP Service by name from a pod on another node, and through a NodePort from the lab bridge);
 * playbooks/verify.ts passes; no join token in any run record. Then day-2 on the same cluster: a
 * worker whose Node vanished and a master whose etcd member was removed are reset, forgotten and
 * rejoined by the next site run (the join guard reads the real state); etcd backup, a namespace
 * deleted, restore on every master, the objects back through each master's own API server;
 * renew-certs one master at a time, each healthy and serving a renewed certificate before the next;
 * failover: the first master powered off, the API still answering through HAProxy and a new
 * Deployment running, then powered on and back in etcd by itself. The upgrade to 1.31.4 (masters one
 * at a time, then workers, each drained and uncordoned) while a Deployment behind a
 * PodDisruptionBudget is asked through the NodePorts (failed requests counted), every kubelet at
 * the target, its rerun a no-op; site at 1.31.4 then only moves containerd's pause image. Last, a
 * run with 0 changed and --check with 0 planned. MetalLB (an L2 pool on the lab bridge),
 * metrics-server, Prometheus, Alertmanager and node-exporter run from the bundle (Grafana and
 * kube-state-metrics have no image here and are turned off in the lab's inventory).
 *
 * The runner's lab phase may cover several distros; this test runs on one of them
 * (KUBEPLAY_CLUSTER_DISTRO, default: the last one the runner covers) and says so on the others.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { changes, failures } from '../helpers/results.ts'
import { docCommands, forLab, linkedProject } from '../helpers/doc-commands.ts'
import { connectorFor, withExtraVars } from '../../lib/cli/main.ts'
import { buildBundle, NGINX_IMAGE } from '../../lib/bundle/build.ts'
import { runModule } from '../../lib/engine/adhoc.ts'
import { containerdImage } from '../../lib/modules/containerd-image.ts'
import { raw, sh } from '../../lib/connection/quote.ts'
import type { Connection } from '../../lib/connection/types.ts'
import { runRecorder } from '../../lib/engine/record.ts'
import type { RunResult } from '../../lib/engine/results.ts'
import { runPlaybook } from '../../lib/engine/run.ts'
import { loadInventory } from '../../lib/inventory/load.ts'
import type { Inventory } from '../../lib/inventory/types.ts'
import { assertLabAddress, labPower, labUp, type LabInfo } from '../../lib/lab/index.ts'
import { labMetallbRange } from '../../lib/lab/state.ts'
import { site } from '../../playbooks/site.ts'
import { verify } from '../../playbooks/verify.ts'
import { etcdBackupPlaybook } from '../../playbooks/etcd-backup.ts'
import { etcdRestorePlaybook } from '../../playbooks/etcd-restore.ts'
import { etcdDefragPlaybook } from '../../playbooks/etcd-defrag.ts'
import { renewCertsPlaybook } from '../../playbooks/renew-certs.ts'
import { resetPlaybook } from '../../playbooks/reset.ts'
import { removeNodePlaybook } from '../../playbooks/remove-node.ts'
import { upgradePlaybook } from '../../playbooks/upgrade.ts'
import { addNodePlaybook } from '../../playbooks/add-node.ts'
import { etcdctlInContainer, parseMemberList } from '../../roles/kubernetes/etcd.ts'
import { withoutSourceCondition } from '../../scripts/build.ts'
import { labConnect } from '../lab/connect.ts'
import { CLUSTER_VERSIONS, clusterDistro, ownLabTeardown } from '../lab/harness.ts'

/** The seeds' versions: the cluster is built at FROM, lives its day-2 there, then is upgraded to TO. */
const [FROM, TO] = CLUSTER_VERSIONS
const { distro: wanted, skip } = clusterDistro()
const name = `k8s${process.pid}`.slice(0, 12)
const state = mkdtempSync(join(tmpdir(), 'kp-cluster-'))
let lab: LabInfo
let inventory: Inventory
let master: Connection
let checkPlan: RunResult | undefined

const t0 = Date.now()
const log = (l: string): void => { console.log(`  [${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${l}`) }

const run = (checkMode = false): Promise<RunResult> => runPlaybook(site, {
  inventory, connector: connectorFor(inventory, { hostKeyPolicy: 'strict' }), checkMode, reporter: runRecorder(state),
})

const kubectl = async (args: string): Promise<string> => {
  const r = await master.exec(sh`kubectl --kubeconfig /etc/kubernetes/admin.conf ${raw(args)}`)
  return r.stdout
}

const hostExec = async (host: string, cmd: string): Promise<string> => {
  const conn = await labConnect(lab, lab.hosts.findIndex((h) => h.name === host))
  try {
    const r = await conn.exec(sh`${raw(cmd)}`)
    return r.stdout
  } finally { await conn.close() }
}

/**
 * A new pod pinned to `node` runs, with an address in the node's (new) pod CIDR: a rejoined node
 * gets another CIDR, and anything left of the old one (cni0's address, Flannel's lease) breaks
 * every new pod there.
 */
async function podRunsOn(node: string): Promise<void> {
  const b = await buildBundle({ kubernetes: FROM })
  const img = b.manifest.images.find((i) => i.ref.startsWith(`${NGINX_IMAGE}:`))!
  const name = `probe-${node}`
  await master.writeFile(`/root/${name}.yaml`, `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name}, namespace: default }\nspec:\n  nodeName: ${node}\n  containers:\n  - { name: probe, image: "${img.ref}", imagePullPolicy: Never, command: [/bin/sleep, "600"] }\n`)
  await kubectl(`apply -f /root/${name}.yaml`)
  const cidr = (await kubectl(`get node ${node} -o jsonpath={.spec.podCIDR}`)).trim()
  let phase = ''
  let ip = ''
  for (let i = 0; i < 40 && phase !== 'Running'; i++) {
    [phase = '', ip = ''] = (await kubectl(`get pod ${name} -o jsonpath={.status.phase}/{.status.podIP}`)).trim().split('/')
    if (phase !== 'Running') await new Promise((r) => setTimeout(r, 3000))
  }
  const events = phase === 'Running' ? '' : await kubectl(`get events --field-selector involvedObject.name=${name} -o custom-columns=R:.reason,M:.message --no-headers`)
  assert.is(phase, 'Running', `a new pod on ${node} runs:\n${events}`)
  assert.ok(cidr && ip.startsWith(cidr.split('.').slice(0, 3).join('.') + '.'), `${name}: ${ip} in ${node}'s pod CIDR ${cidr}`)
  await kubectl(`delete pod ${name} --wait=false`)
}

async function waitNodesReady(n: number): Promise<void> {
  let last = ''
  for (let i = 0; i < 60; i++) {
    last = await kubectl(`get nodes --no-headers -o 'custom-columns=N:.metadata.name,R:.status.conditions[?(@.type=="Ready")].status'`)
    const rows = last.split('\n').filter(Boolean)
    if (rows.length === n && rows.every((l) => l.trim().endsWith('True'))) return
    await new Promise((r) => setTimeout(r, 5000))
  }
  assert.unreachable(`expected ${n} Ready nodes, found:\n${last}`)
}

/** Pure: seed 000's workload: nginx spread over the workers, its ClusterIP and NodePort Services, a client pod on lab5. */
function webManifest(image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: default }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      topologySpreadConstraints:
      - { maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: { matchLabels: { app: web } } }
      containers:
      - { name: nginx, image: "${image}", imagePullPolicy: Never, ports: [{ containerPort: 80 }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec: { selector: { app: web }, ports: [{ port: 80, targetPort: 80 }] }
---
apiVersion: v1
kind: Service
metadata: { name: web-nodeport, namespace: default }
spec: { type: NodePort, selector: { app: web }, ports: [{ port: 80, targetPort: 80, nodePort: 30080 }] }
---
apiVersion: v1
kind: Pod
metadata: { name: client, namespace: default }
spec:
  nodeName: lab5
  containers:
  - { name: client, image: "${image}", imagePullPolicy: Never, command: [/bin/sleep, "3600"] }
`
}

if (skip) {
  test.skip(`real cluster`, () => {})
  console.log(`  skipped: "real cluster": ${skip}`)
} else {
  // Interrupted (the runner's SIGTERM, Ctrl-C), the lab goes down too, by pid.
  const releaseLab = ownLabTeardown(name)
  test.before(async () => {
    // TO is needed only for the upgrade, much later (npm test may still be building it meanwhile).
    const b = await buildBundle({ kubernetes: FROM, log })
    log(`bundle ${b.built ? 'built' : 'reused'}: ${b.dir} (${b.seconds.toFixed(0)} s)`)
    lab = await labUp({ name, layout: 'seed001', distro: wanted, kubernetes: true, log })
    // kubernetes.version as a user's group_vars would set it (the lab's inventory leaves the default).
    inventory = withExtraVars(await loadInventory(lab.inventoryPath), [`kubernetes.version=${FROM}`])
    log(`lab ${name} up (${wanted}, kubernetes mode, Kubernetes ${FROM})`)
  })
  test.after(async () => {
    await master?.close().catch(() => {})
    await releaseLab()
    rmSync(state, { recursive: true, force: true })
  })

  test('--check on the fresh hosts plans every step without error and changes nothing', async () => {
    const dry = await run(true)
    checkPlan = dry
    assert.equal(failures(dry), [])
    const planned = (host: string, task: string): boolean => dry.results.some((x) => x.host === host && x.task.startsWith(task) && x.status === 'changed')
    assert.ok(planned('lab2', 'Initialise the cluster') && planned('lab3', 'Join the control plane') && planned('lab7', 'Join the cluster as a worker'))
    const first = await labConnect(lab, 1)
    try {
      assert.is((await first.exec(sh`ls /etc/kubernetes/admin.conf /usr/local/bin/kubeadm 2>/dev/null`)).stdout, '', 'nothing installed or initialised by --check')
    } finally { await first.close() }
  })

  test(`site builds a real HA cluster on ${wanted}: 6 nodes Ready through HAProxy, CoreDNS and Flannel Running`, async () => {
    const first = await run()
    log(`site: ${changes(first).length} changed, ${failures(first).length} failed`)
    // What --check planned on the fresh hosts against what the run then did (reported; see docs/lifecycle.md).
    const key = (l: string): string => l.split(': ')[0]!
    const plannedSet = new Set(changes(checkPlan!).map(key))
    const didSet = new Set(changes(first).map(key))
    const onlyPlanned = [...plannedSet].filter((k) => !didSet.has(k))
    const onlyDone = [...didSet].filter((k) => !plannedSet.has(k))
    log(`--check planned ${plannedSet.size} changes, the run made ${didSet.size}; planned only: ${onlyPlanned.join('; ') || 'none'}; done only: ${onlyDone.join('; ') || 'none'}`)
    assert.equal(failures(first), [])
    assert.equal(onlyDone, [], 'every change the run made was planned by --check')
    // Planned but then found done: a service the Debian package's own postinst enables and starts (HAProxy, NFS-Ganesha)
    // (check mode cannot run apt's maintainer scripts), and waits (a wait is a change in --check
    // while its object does not exist yet, never in a run). Nothing else may differ.
    const settled = / (Enable and start HAProxy|Enable and start the NFS server|Start containerd at boot|Check that containerd answers|Wait for .+)$/
    assert.equal(onlyPlanned.filter((k) => !settled.test(k)), [], 'planned only where another step settles it')
    const did = (host: string, task: string): boolean => first.results.some((x) => x.host === host && x.task.startsWith(task) && x.status === 'changed')
    assert.ok(did('lab2', 'Initialise the cluster'), 'the first master initialises')
    assert.ok(did('lab3', 'Join the control plane') && did('lab4', 'Join the control plane'), 'masters 2 and 3 join the control plane')
    assert.ok(['lab5', 'lab6', 'lab7'].every((w) => did(w, 'Join the cluster as a worker')), 'the workers join')

    master = await labConnect(lab, 1)
    const server = (await kubectl('config view -o jsonpath={.clusters[0].cluster.server}')).trim()
    assert.is(server, `https://${lab.hosts[0]!.address}:6443`, 'admin.conf talks to the API through HAProxy on lab1')
    let nodes: Array<{ name: string; ready: boolean }> = []
    for (let i = 0; i < 60; i++) {
      const json = JSON.parse(await kubectl('get nodes -o json')) as { items: Array<{ metadata: { name: string }; status: { conditions: Array<{ type: string; status: string }> } }> }
      nodes = json.items.map((n) => ({ name: n.metadata.name, ready: n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True') }))
      if (nodes.length === 6 && nodes.every((n) => n.ready)) break
      await new Promise((r) => setTimeout(r, 5000))
    }
    assert.equal(nodes.map((n) => `${n.name}:${n.ready ? 'Ready' : 'NotReady'}`).sort(),
      ['lab2', 'lab3', 'lab4', 'lab5', 'lab6', 'lab7'].map((n) => `${n}:Ready`))
    let pods = ''
    for (let i = 0; i < 60; i++) {
      pods = await kubectl('get pods -A --no-headers -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,PHASE:.status.phase')
      const want = pods.split('\n').filter((l) => /coredns|kube-flannel/.test(l))
      if (want.length >= 8 && want.every((l) => l.endsWith('Running'))) break
      await new Promise((r) => setTimeout(r, 5000))
    }
    assert.is(pods.split('\n').filter((l) => /^kube-system\s+coredns-\S+\s+Running$/.test(l)).length, 2, pods)
    assert.is(pods.split('\n').filter((l) => /^kube-flannel\s+kube-flannel-ds-\S+\s+Running$/.test(l)).length, 6, pods)
  })

  test('seed 000: nginx on several workers, through a ClusterIP Service from another node and a NodePort from the lab bridge', async () => {
    const b = await buildBundle({ kubernetes: FROM })
    const img = b.manifest.images.find((i) => i.ref.startsWith(`${NGINX_IMAGE}:`))
    assert.ok(img, 'the bundle has the nginx image')
    const workers = ['lab5', 'lab6', 'lab7']
    for (const w of workers) {
      const conn = await labConnect(lab, lab.hosts.findIndex((h) => h.name === w))
      try {
        const r = await runModule(conn, containerdImage, { ref: img.ref, digest: img.manifestDigest, archive: join(b.dir, img.path) })
        assert.ok(r.plan.changed, `${w}: imported`)
      } finally { await conn.close() }
    }
    await master.writeFile('/root/web.yaml', webManifest(img.ref))
    await kubectl('apply -f /root/web.yaml')
    await kubectl('rollout status deploy/web --timeout=180s')
    await kubectl('wait --for=condition=Ready pod/client --timeout=180s')
    const pods = JSON.parse(await kubectl('get pods -l app=web -o json')) as { items: Array<{ metadata: { name: string }; spec: { nodeName: string } }> }
    const nodeOf = new Map(pods.items.map((p) => [p.metadata.name, p.spec.nodeName]))
    assert.ok(new Set(nodeOf.values()).size >= 2, `replicas on at least two workers: ${[...nodeOf.values()].join(', ')}`)
    // From the client pod on lab5, by Service name (CoreDNS) through the ClusterIP (kube-proxy), over Flannel.
    const answered = new Set<string>()
    for (let i = 0; i < 30 && ![...answered].some((p) => nodeOf.get(p) !== 'lab5'); i++) {
      answered.add((await kubectl('exec client -- wget -qO- http://web.default.svc.cluster.local/host')).trim())
    }
    const remote = [...answered].filter((p) => nodeOf.has(p) && nodeOf.get(p) !== 'lab5')
    assert.ok(remote.length > 0, `a pod on another node answered through the ClusterIP (answers: ${[...answered].join(', ')})`)
    // From this machine, on the lab bridge, to a worker's NodePort.
    const lab6 = lab.hosts.find((h) => h.name === 'lab6')!
    assertLabAddress(lab6.address)
    const res = await fetch(`http://${lab6.address}:30080/`)
    assert.is(res.status, 200)
    assert.match(await res.text(), /kubeplay: Debian nginx/)
  })

  test('MetalLB (seed 001): site installed it from the bundle; a LoadBalancer Service gets an address of the lab pool and answers HTTP from the lab bridge', async () => {
    const range = labMetallbRange(lab.hosts)
    assert.is((await kubectl('-n metallb-system get ipaddresspool lab-pool -o jsonpath={.spec.addresses[0]}')).trim(), range, 'site applied the pool (through the webhook, right after the install)')
    assert.is((await kubectl('-n metallb-system get l2advertisement default-l2-adv -o jsonpath={.spec.ipAddressPools[0]}')).trim(), 'lab-pool')
    const speakers = await kubectl('-n metallb-system get pods -l component=speaker --no-headers -o custom-columns=N:.spec.nodeName,P:.status.phase')
    assert.is(speakers.split('\n').filter((l) => l.trim().endsWith('Running')).length, 6, `a speaker Running on every node:\n${speakers}`)
    // MetalLB's own webhook is live: it refuses a pool that overlaps lab-pool.
    await master.writeFile('/root/overlap.yaml', `apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: overlap, namespace: metallb-system }\nspec: { addresses: ["${range.split('-')[0]}/32"] }\n`)
    const overlap = await master.exec(sh`kubectl --kubeconfig /etc/kubernetes/admin.conf apply --dry-run=server -f /root/overlap.yaml`)
    assert.is.not(overlap.code, 0)
    assert.match(overlap.stderr, /admission webhook .*metallb\.io.* denied the request.*overlap/i)

    await master.writeFile('/root/web-lb.yaml', 'apiVersion: v1\nkind: Service\nmetadata: { name: web-lb, namespace: default }\nspec: { type: LoadBalancer, selector: { app: web }, ports: [{ port: 80, targetPort: 80 }] }\n')
    await kubectl('apply -f /root/web-lb.yaml')
    let ip = ''
    for (let i = 0; i < 30 && !ip; i++) {
      ip = (await kubectl('get svc web-lb -o jsonpath={.status.loadBalancer.ingress[0].ip}')).trim()
      if (!ip) await new Promise((r) => setTimeout(r, 2000))
    }
    const [first, last] = range.split('-').map((a) => Number(a.split('.')[3]))
    assert.ok(ip.startsWith(range.split('.').slice(0, 3).join('.') + '.') && Number(ip.split('.')[3]) >= first! && Number(ip.split('.')[3]) <= last!, `an address of ${range}: ${ip}`)
    // From this machine, on the lab bridge: ARP answered by the elected speaker, then kube-proxy.
    assertLabAddress(ip)
    let body = ''
    let lastError = ''
    for (let i = 0; i < 30 && !body; i++) {
      try {
        const res = await fetch(`http://${ip}/`, { signal: AbortSignal.timeout(3000) })
        if (res.status === 200) body = await res.text()
      } catch (e) { lastError = String((e as Error).cause ?? e); await new Promise((r) => setTimeout(r, 2000)) }
    }
    assert.match(body, /kubeplay: Debian nginx/, `HTTP through ${ip} (last error: ${lastError})`)
    log(`MetalLB: web-lb at ${ip} answered`)
    await kubectl('delete -f /root/web-lb.yaml -f /root/web.yaml --wait=false')

    // --tags metallb-pools on the converged cluster: a second pool is the one change; back again.
    const net = range.split('.').slice(0, 3).join('.')
    const pools = (extra: boolean): Inventory => withExtraVars(inventory, [JSON.stringify({ metallb: { pools: [
      { name: 'lab-pool', addresses: [range] }, ...(extra ? [{ name: 'reserved', addresses: [`${net}.224/28`], autoAssign: false }] : []),
    ] } })])
    const poolsOnly = (inv: Inventory): Promise<RunResult> => runPlaybook(site, { inventory: inv, connector: connectorFor(inv, { hostKeyPolicy: 'strict' }), tags: ['metallb-pools'], reporter: runRecorder(state) })
    const more = await poolsOnly(pools(true))
    assert.equal(failures(more), [])
    assert.equal(changes(more).map((l) => l.split(': ')[0]), ['lab2 Apply the MetalLB address pools and L2 advertisements'])
    assert.is((await kubectl('-n metallb-system get l2advertisement default-l2-adv -o jsonpath={.spec.ipAddressPools}')).trim(), '["lab-pool","reserved"]')
    const back = await poolsOnly(pools(false))
    assert.equal(failures(back), [])
    await kubectl('-n metallb-system delete ipaddresspool reserved')
  })

  test('metrics-server (seed 004): site installed it from the bundle; `kubectl top nodes` answers for all 6 nodes, `kubectl top pods` too', async () => {
    assert.is((await kubectl(`get apiservice v1beta1.metrics.k8s.io -o 'jsonpath={.status.conditions[?(@.type=="Available")].status}'`)).trim(), 'True', 'site waited for the metrics API')
    // The first scrape fills the node metrics within a resolution or two (15 s).
    let top = ''
    let err = ''
    for (let i = 0; i < 40; i++) {
      const r = await master.exec(sh`kubectl --kubeconfig /etc/kubernetes/admin.conf top nodes --no-headers`)
      top = r.stdout
      err = r.stderr
      if (r.code === 0 && top.split('\n').filter((l) => /^lab\d\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/.test(l)).length === 6) break
      await new Promise((res) => setTimeout(res, 3000))
    }
    const rows = top.split('\n').filter((l) => /^lab\d\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/.test(l))
    assert.equal(rows.map((l) => l.split(/\s+/)[0]).sort(), ['lab2', 'lab3', 'lab4', 'lab5', 'lab6', 'lab7'], `kubectl top nodes:\n${top}${err}`)
    log(`kubectl top nodes:\n${top.trimEnd()}`)
    const pods = await kubectl('top pods -n kube-system --no-headers')
    assert.match(pods, /^etcd-lab2\s+\d+m\s+\d+Mi/m, pods)
    const args = await kubectl('-n kube-system get deploy metrics-server -o jsonpath={.spec.template.spec.containers[0].args}')
    assert.match(args, /--kubelet-insecure-tls/, 'the role\'s default argument is there')
  })

  test('NFS (seeds 000, 004): NFS-Ganesha on lab2 serves the share to the workers; a PersistentVolume on it binds its claim; a pod using it stops at the kernel mount, the lab\'s boundary', async () => {
    const server = lab.hosts.find((h) => h.name === 'lab2')!.address
    assertLabAddress(server)
    // Served: a worker (an export client) writes over NFSv4 with a user-space client, the server sees the file.
    const put = await hostExec('lab5', `DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=120 install libnfs-utils >/dev/null 2>&1
printf 'from lab5\\n' >/tmp/kp-nfs && nfs-cp /tmp/kp-nfs "nfs://${server}/srv/nfs/shared/from-lab5.txt?version=4" && echo copied`)
    assert.match(put, 'copied', 'nfs-cp from lab5')
    assert.is((await hostExec('lab2', 'cat /srv/nfs/shared/from-lab5.txt; stat -c %U /srv/nfs/shared/from-lab5.txt')).trim(), 'from lab5\nnobody')
    // Kubernetes up to the mount: the claim binds to an NFS volume on the share; the pod's mount is the kernel's job.
    const b = await buildBundle({ kubernetes: FROM })
    const img = b.manifest.images.find((i) => i.ref.startsWith(`${NGINX_IMAGE}:`))!
    await master.writeFile('/root/nfs-probe.yaml', `apiVersion: v1
kind: PersistentVolume
metadata: { name: kp-nfs-shared }
spec:
  capacity: { storage: 1Gi }
  accessModes: [ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  nfs: { server: "${server}", path: /srv/nfs/shared }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: kp-nfs-shared, namespace: default }
spec:
  accessModes: [ReadWriteMany]
  storageClassName: ""
  volumeName: kp-nfs-shared
  resources: { requests: { storage: 1Gi } }
---
apiVersion: v1
kind: Pod
metadata: { name: nfs-probe, namespace: default }
spec:
  nodeName: lab5
  containers:
  - { name: probe, image: "${img.ref}", imagePullPolicy: Never, command: [/bin/sleep, "600"], volumeMounts: [{ name: shared, mountPath: /shared }] }
  volumes:
  - { name: shared, persistentVolumeClaim: { claimName: kp-nfs-shared } }
`)
    await kubectl('apply -f /root/nfs-probe.yaml')
    let phase = ''
    for (let i = 0; i < 30 && phase !== 'Bound'; i++) {
      phase = (await kubectl('get pvc kp-nfs-shared -o jsonpath={.status.phase}')).trim()
      if (phase !== 'Bound') await new Promise((r) => setTimeout(r, 2000))
    }
    let events = ''
    for (let i = 0; i < 40 && !/FailedMount/.test(events); i++) {
      events = await kubectl('get events --field-selector involvedObject.name=nfs-probe -o custom-columns=R:.reason,M:.message --no-headers')
      if (!/FailedMount/.test(events)) await new Promise((r) => setTimeout(r, 3000))
    }
    const podPhase = (await kubectl('get pod nfs-probe -o jsonpath={.status.phase}')).trim()
    await kubectl('delete pod nfs-probe --grace-period=0 --force --wait=false')
    await kubectl('delete pvc kp-nfs-shared --wait=false')
    await kubectl('delete pv kp-nfs-shared --wait=false')
    log(`NFS: claim ${phase}; pod ${podPhase}; ${events.split('\n').find((l) => /FailedMount/.test(l))?.slice(0, 300) ?? 'no FailedMount event'}`)
    assert.is(phase, 'Bound', 'the claim binds to the NFS volume')
    assert.is(podPhase, 'Pending', 'the pod cannot start without the mount')
    assert.match(events, /FailedMount\s+.*mount/, `the kubelet's mount is what fails:\n${events}`)
  })

  test('monitoring (seed 001): Prometheus, Alertmanager and node-exporter from the bundle; every scrape target up, the API servers included', async () => {
    const worker = lab.hosts.find((h) => h.name === 'lab5')!.address
    assertLabAddress(worker)
    const api = async (path: string): Promise<unknown> => {
      const res = await fetch(`http://${worker}:30900${path}`, { signal: AbortSignal.timeout(5000) })
      assert.is(res.status, 200, path)
      return ((await res.json()) as { data: unknown }).data
    }
    type Target = { labels: { job: string; instance: string }; health: string; lastError: string }
    const want: Record<string, number> = { prometheus: 1, alertmanager: 1, 'kubernetes-apiservers': 3, 'node-exporter': 6, 'kubelet-cadvisor': 6 }
    let targets: Target[] = []
    const summary = (): string => targets.map((t) => `${t.labels.job} ${t.labels.instance} ${t.health} ${t.lastError}`).join('\n')
    const done = (): boolean => Object.entries(want).every(([job, n]) => targets.filter((t) => t.labels.job === job && t.health === 'up').length === n)
    for (let i = 0; i < 40 && !done(); i++) {
      try { targets = ((await api('/api/v1/targets?state=active')) as { activeTargets: Target[] }).activeTargets } catch { /* not answering yet */ }
      if (!done()) await new Promise((r) => setTimeout(r, 3000))
    }
    assert.ok(done(), `every target up (through the NodePort on ${worker}):\n${summary()}`)
    assert.equal([...new Set(targets.map((t) => t.labels.job))].sort(), Object.keys(want).sort(), 'no job for the parts that are off (kube-state-metrics)')
    const up = (await api(`/api/v1/query?query=${encodeURIComponent('sum by (job) (up)')}`)) as { result: Array<{ metric: { job: string }; value: [number, string] }> }
    log(`Prometheus: ${up.result.map((r) => `${r.metric.job}=${r.value[1]}`).sort().join(', ')}`)
    const ams = (await api('/api/v1/alertmanagers')) as { activeAlertmanagers: unknown[] }
    assert.is(ams.activeAlertmanagers.length, 1, 'Prometheus sends its alerts to the Alertmanager')
    const pods = await kubectl('-n monitoring get pods --no-headers -o custom-columns=N:.metadata.name,P:.status.phase')
    assert.not.match(pods, /grafana|kube-state-metrics/, 'Grafana and kube-state-metrics are off in the lab (no image)')
  })

  test('playbooks/verify.ts passes against the live cluster (every probe ✓)', async () => {
    const r = await runPlaybook(verify, { inventory, connector: connectorFor(inventory, { hostKeyPolicy: 'strict' }), reporter: runRecorder(state) })
    assert.equal(failures(r), [])
    const lines = r.results.map((x) => x.reason).join('; ')
    for (const probe of ['every node Ready', 'system pods Running', 'API /readyz through', 'etcd :2381/health', 'kube-scheduler :10259/healthz', 'kubelet :10248/healthz']) {
      assert.match(lines, `✓ ${probe}`)
    }
  })

  test('secrets: no join token the cluster knows appears in any run record', async () => {
    const tokens = (await master.exec(sh`kubeadm token list`)).stdout.split('\n').map((l) => /^([a-z0-9]{6}\.[a-z0-9]{16})\s/.exec(l)?.[1]).filter((t): t is string => !!t)
    assert.ok(tokens.length >= 1, 'kubeadm has join tokens (one per run that joined nodes)')
    const records = readdirSync(state, { recursive: true }).map(String).filter((f) => statSync(join(state, f)).isFile())
    assert.ok(records.length > 0, 'run records were written')
    for (const f of records) {
      const text = readFileSync(join(state, f), 'utf8')
      for (const t of tokens) assert.not.ok(text.includes(t.split('.')[1]!), `${f} contains a join token secret`)
    }
  })

  test('join guard: a worker whose Node vanished (kubelet.conf left behind) is reset, forgotten and joined again', async () => {
    await hostExec('lab7', 'systemctl stop kubelet')
    await kubectl('delete node lab7 --wait=true')
    const r = await run()
    assert.equal(failures(r), [])
    assert.equal(changes(r).map((l) => l.split(': ')[0]), ['lab7 Join the cluster as a worker (kubeadm join)'], `changes with their reasons:\n${changes(r).join('\n')}`)
    assert.match(r.results.find((x) => x.host === 'lab7' && x.status === 'changed')!.reason ?? '', /no Node lab7 is registered/)
    await waitNodesReady(6)
    await podRunsOn('lab7')
  })

  test('reset --limit lab7, then add-node --limit lab7: only lab7 is touched and it is a Ready worker again', async () => {
    const resetInv = withExtraVars(inventory, ['confirm=yes'])
    const reset = await runPlaybook(resetPlaybook(), { inventory: resetInv, limit: 'lab7', connector: connectorFor(resetInv, { hostKeyPolicy: 'strict' }), reporter: runRecorder(state) })
    assert.equal(failures(reset), [])
    assert.equal(changes(reset).map((l) => l.split(': ')[0]), ['lab7 Reset the node (kubeadm reset -f)'])
    const added = await runPlaybook(addNodePlaybook('workers'), { inventory, limit: 'lab7', connector: connectorFor(inventory, { hostKeyPolicy: 'strict' }), reporter: runRecorder(state) })
    assert.equal(failures(added), [])
    assert.equal([...new Set(added.results.map((x) => x.host))], ['lab7'], 'add-node ran on lab7 only')
    const join = added.results.find((x) => x.task === 'Join the cluster as a worker (kubeadm join)')
    assert.is(join?.status, 'changed')
    assert.match(join!.reason ?? '', /deleted stale Node lab7|joined as worker/)
    await waitNodesReady(6)
    await podRunsOn('lab7')
  })

  test('join guard: a master whose etcd member is gone is reset, forgotten and joined again as a control plane', async () => {
    // lab4 down (its kubelet and containers stopped), then its member removed from etcd: a control plane in name only.
    await hostExec('lab4', 'systemctl stop kubelet; crictl stop $(crictl ps -q) >/dev/null 2>&1; true')
    const before = parseMemberList((await master.exec(etcdctlInContainer(['member', 'list', '-w', 'simple']))).stdout)
    const lab4 = before.find((m) => m.name === 'lab4')
    assert.ok(lab4, 'lab4 was an etcd member')
    await master.exec(etcdctlInContainer(['member', 'remove', lab4.id]))
    const r = await run()
    assert.equal(failures(r), [])
    // The rejoin made a new admin.conf on lab4: its operator kubeconfig follows.
    assert.equal(changes(r).map((l) => l.split(': ')[0]), ['lab4 Join the control plane (kubeadm join --control-plane)', 'lab4 Give the operator the admin kubeconfig'])
    assert.match(r.results.find((x) => x.host === 'lab4' && x.status === 'changed')!.reason ?? '', /etcd has no member named lab4/)
    const after = parseMemberList((await master.exec(etcdctlInContainer(['member', 'list', '-w', 'simple']))).stdout)
    assert.equal(after.map((m) => `${m.name}:${m.started}`).sort(), ['lab2:true', 'lab3:true', 'lab4:true'])
    await waitNodesReady(6)
  })

  test('remove-node lab4 (a master): drained, reset, its Node and etcd member gone, a rerun finds nothing; site joins it back as a control plane', async () => {
    const inv = withExtraVars(inventory, ['confirm=yes', 'node=lab4'])
    const remove = () => runPlaybook(removeNodePlaybook(), { inventory: inv, connector: connectorFor(inv, { hostKeyPolicy: 'strict' }), reporter: runRecorder(state) })
    const r = await remove()
    assert.equal(failures(r), [])
    assert.equal(changes(r).map((l) => l.split(': ')[0]), ['lab4 Drain, reset and forget the node'])
    assert.is((await kubectl('get node lab4 --ignore-not-found -o name')).trim(), '', 'the Node is gone')
    const members = parseMemberList((await master.exec(etcdctlInContainer(['member', 'list', '-w', 'simple']))).stdout)
    assert.equal(members.map((m) => m.name).sort(), ['lab2', 'lab3'], 'its etcd member is gone')
    const again = await remove()
    assert.equal(failures(again), [])
    assert.equal(changes(again), [], 'remove-node again: nothing to do')
    const back = await run()
    assert.equal(failures(back), [])
    assert.ok(changes(back).some((l) => l.startsWith('lab4 Join the control plane (kubeadm join --control-plane)')), changes(back).join('\n'))
    const after = parseMemberList((await master.exec(etcdctlInContainer(['member', 'list', '-w', 'simple']))).stdout)
    assert.equal(after.map((m) => `${m.name}:${m.started}`).sort(), ['lab2:true', 'lab3:true', 'lab4:true'])
    await waitNodesReady(6)
  })

  test('etcd backup, namespace deleted, restore on every master: the objects are back through each master\'s own API server', async () => {
    await kubectl('create namespace restore-test')
    await kubectl('-n restore-test create configmap proof --from-literal=seed=003')
    const backup = await runPlaybook(etcdBackupPlaybook({ retention: 3, localDir: join(state, 'backups') }), { inventory, connector: connectorFor(inventory, { hostKeyPolicy: 'strict' }), reporter: runRecorder(state) })
    assert.equal(failures(backup), [])
    const snap = `/var/backups/etcd/${(await master.exec(sh`ls -1t /var/backups/etcd | head -n1`)).stdout.trim()}`
    assert.match(snap, /etcd-snapshot-\d{8}T\d{6}Z\.db$/)
    await kubectl('delete namespace restore-test --wait=true --timeout=120s')
    assert.match(await kubectl('get namespace restore-test --ignore-not-found -o name'), /^$/)
    const restoreInv = withExtraVars(inventory, ['confirm=yes', `etcd_snapshot=${snap}`])
    const r = await runPlaybook(etcdRestorePlaybook(), { inventory: restoreInv, connector: connectorFor(restoreInv, { hostKeyPolicy: 'strict' }), reporter: runRecorder(state) })
    assert.equal(failures(r), [])
    const restored = r.results.filter((x) => x.task === 'Restore the snapshot into /var/lib/etcd' && x.status === 'changed').map((x) => x.host).sort()
    assert.equal(restored, ['lab2', 'lab3', 'lab4'], 'every member restored')
    assert.match(r.results.find((x) => x.task.startsWith('One etcd cluster'))!.reason ?? '', /3 started members \(lab2, lab3, lab4\)/)
    for (const m of ['lab2', 'lab3', 'lab4']) {
      const addr = lab.hosts.find((h) => h.name === m)!.address
      const cm = await kubectl(`--server https://${addr}:6443 -n restore-test get configmap proof -o jsonpath={.data.seed}`)
      assert.is(cm, '003', `the configmap is back, read through ${m}'s own API server`)
    }
    await waitNodesReady(6)
    await kubectl('delete namespace restore-test --wait=false')
  })

  test('etcd-defrag (seed 004): one member at a time, database size before → after', async () => {
    // Free space to reclaim, whatever the API server's own compaction did since the restore (a
    // freshly restored database has none): 4 MiB written, deleted, and compacted away. Each value
    // stays under Linux's 128 KiB limit for one argument (the whole command is one `sh -c` argument).
    const big = 'x'.repeat(90_000)
    for (let i = 0; i < 48; i++) assert.is((await master.exec(etcdctlInContainer(['put', `/kubeplay-test/defrag/${i}`, big]))).code, 0)
    assert.is((await master.exec(etcdctlInContainer(['del', '--prefix', '/kubeplay-test/defrag/']))).code, 0)
    const status = JSON.parse((await master.exec(etcdctlInContainer(['endpoint', 'status', '-w', 'json']))).stdout) as Array<{ Status: { header: { revision: number } } }>
    const compact = await master.exec(etcdctlInContainer(['compact', String(status[0]!.Status.header.revision), '--physical']))
    assert.is(compact.code, 0, compact.stderr)
    const r = await runPlaybook(etcdDefragPlaybook({ minFreeMb: 0 }), { inventory, connector: connectorFor(inventory, { hostKeyPolicy: 'strict' }), reporter: runRecorder(state) })
    assert.equal(failures(r), [])
    const rows = r.results.filter((x) => x.task.startsWith('Defragment this etcd member'))
    assert.equal(rows.map((x) => x.host), ['lab2', 'lab3', 'lab4'])
    for (const x of rows) log(`defrag ${x.host}: ${x.status}: ${x.reason}`)
    const done = rows.filter((x) => x.status === 'changed')
    assert.ok(done.length > 0, 'a member with free space was defragmented')
    for (const x of done) {
      const m = /database ([\d.]+) MiB, ([\d.]+) MiB in use: database ([\d.]+) MiB → ([\d.]+) MiB/.exec(x.reason ?? '')
      assert.ok(m, x.reason)
      assert.ok(Number(m[4]) <= Number(m[3]), `${x.host}: not larger after the defrag (${x.reason})`)
    }
  })

  test('renew-certs: one master at a time, each serving its new certificate and healthy before the next', async () => {
    const served = async (m: string): Promise<string> => {
      const addr = lab.hosts.find((h) => h.name === m)!.address
      return (await hostExec(m, `openssl s_client -connect ${addr}:6443 </dev/null 2>/dev/null | openssl x509 -noout -serial`)).trim()
    }
    const before = await Promise.all(['lab2', 'lab3', 'lab4'].map(served))
    const r = await runPlaybook(renewCertsPlaybook(), { inventory, connector: connectorFor(inventory, { hostKeyPolicy: 'strict' }), reporter: runRecorder(state) })
    assert.equal(failures(r), [])
    const order = r.results.filter((x) => x.task.startsWith('Renew every certificate') || x.task.startsWith('Wait for etcd')).map((x) => `${x.host} ${x.task.split(' ')[0]}`)
    assert.equal(order, ['lab2 Renew', 'lab2 Wait', 'lab3 Renew', 'lab3 Wait', 'lab4 Renew', 'lab4 Wait'], 'each master healthy before the next is touched')
    const after = await Promise.all(['lab2', 'lab3', 'lab4'].map(served))
    for (let i = 0; i < 3; i++) assert.is.not(after[i], before[i], `lab${i + 2} serves a renewed certificate`)
    await waitNodesReady(6)
  })

  test(`upgrade ${FROM} → ${TO}: masters one at a time, then workers, each drained and uncordoned; a Deployment behind a PodDisruptionBudget keeps serving`, async () => {
    const b = await buildBundle({ kubernetes: TO, log })
    const img = b.manifest.images.find((i) => i.ref.startsWith(`${NGINX_IMAGE}:`))!
    for (const w of ['lab5', 'lab6', 'lab7']) {
      const conn = await labConnect(lab, lab.hosts.findIndex((h) => h.name === w))
      try { await runModule(conn, containerdImage, { ref: img.ref, digest: img.manifestDigest, archive: join(b.dir, img.path) }) } finally { await conn.close() }
    }
    await master.writeFile('/root/served.yaml', `apiVersion: apps/v1
kind: Deployment
metadata: { name: served, namespace: default }
spec:
  replicas: 3
  selector: { matchLabels: { app: served } }
  template:
    metadata: { labels: { app: served } }
    spec:
      topologySpreadConstraints:
      - { maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: { matchLabels: { app: served } } }
      containers:
      - { name: nginx, image: "${img.ref}", imagePullPolicy: Never, readinessProbe: { httpGet: { path: /, port: 80 }, periodSeconds: 2 } }
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: served, namespace: default }
spec: { minAvailable: 2, selector: { matchLabels: { app: served } } }
---
apiVersion: v1
kind: Service
metadata: { name: served, namespace: default }
spec: { type: NodePort, selector: { app: served }, ports: [{ port: 80, targetPort: 80, nodePort: 30081 }] }
`)
    await kubectl('apply -f /root/served.yaml')
    await kubectl('rollout status deploy/served --timeout=180s')
    // Requests from this machine (the lab bridge) to the workers' NodePorts in turn, all through the upgrade.
    const workers = lab.hosts.filter((h) => ['lab5', 'lab6', 'lab7'].includes(h.name))
    for (const w of workers) assertLabAddress(w.address)
    let sent = 0
    let failed = 0
    let upgrading = true
    const probe = (async () => {
      while (upgrading) {
        const w = workers[sent % workers.length]!
        sent++
        try {
          const res = await fetch(`http://${w.address}:30081/`, { signal: AbortSignal.timeout(3000) })
          if (res.status !== 200) failed++
          await res.arrayBuffer()
        } catch { failed++ }
        await new Promise((r) => setTimeout(r, 500))
      }
    })()
    const target = withExtraVars(inventory, [`kubernetes_target=${TO}`])
    let r: RunResult
    try {
      r = await runPlaybook(upgradePlaybook(), { inventory: target, connector: connectorFor(target, { hostKeyPolicy: 'strict' }), reporter: runRecorder(state) })
    } finally {
      upgrading = false
      await probe
      // From here on the inventory says what the cluster runs (whatever the assertions below find).
      inventory = withExtraVars(await loadInventory(lab.inventoryPath), [`kubernetes.version=${TO}`])
    }
    log(`upgrade: ${changes(r).length} changed; requests through the NodePorts during it: ${sent} sent, ${failed} failed`)
    assert.equal(failures(r), [])
    const order = r.results.filter((x) => x.status === 'changed' && /^Upgrade the (control plane|node)/.test(x.task)).map((x) => x.host)
    assert.equal(order, ['lab2', 'lab3', 'lab4', 'lab5', 'lab6', 'lab7'], 'first master apply, the other masters, then the workers, one at a time')
    assert.ok(sent > 0 && failed / sent < 0.1, `the Deployment kept serving: ${failed}/${sent} requests failed`)
    await waitNodesReady(6)
    // A kubelet restarted on the new binary reports its version with its next status update.
    let versions = ''
    for (let i = 0; i < 24; i++) {
      versions = await kubectl("get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.nodeInfo.kubeletVersion}{\"\\n\"}{end}'")
      if (versions.split('\n').filter(Boolean).every((l) => l.endsWith(`=v${TO}`))) break
      await new Promise((res) => setTimeout(res, 5000))
    }
    assert.equal([...new Set(versions.split('\n').filter(Boolean).map((l) => l.split('=')[1]))], [`v${TO}`], `every kubelet at the target:\n${versions}`)
    assert.match(await kubectl('version -o json'), new RegExp(`"serverVersion"[\\s\\S]*"gitVersion": "v${TO.replace(/\./g, '\\.')}"`))
    assert.is((await kubectl('get nodes -o jsonpath={.items[*].spec.unschedulable}')).trim(), '', 'every node uncordoned')
    const again = await runPlaybook(upgradePlaybook(), { inventory: target, connector: connectorFor(target, { hostKeyPolicy: 'strict' }), reporter: runRecorder(state) })
    assert.equal(failures(again), [])
    assert.equal(changes(again), [], 'the upgrade rerun changes nothing')
    await kubectl('delete -f /root/served.yaml --wait=false')
  })

  test(`after the upgrade, site with kubernetes.version ${TO} brings containerd's pause image along, then nothing is left to change`, async () => {
    const r = await run()
    assert.equal(failures(r), [])
    const unexpected = changes(r).map((l) => l.split(': ')[0]!).filter((l) => !/ (Write containerd config\.toml|Restart containerd|Write the kubeadm configuration)$/.test(l))
    assert.equal(unexpected, [], 'only the pause image in containerd config.toml (and the first master\'s kubeadm config file) follow the new version')
    await waitNodesReady(6)
  })

  test('a second run reports 0 changed', async () => {
    const second = await run()
    assert.equal(failures(second), [])
    assert.equal(changes(second), [])
  })

  test('--check after convergence plans 0 changes', async () => {
    const dry = await run(true)
    assert.equal(failures(dry), [])
    assert.equal(changes(dry), [])
  })

  test('docs/quickstart.md runs as written against this lab (by its name, as docs/lab.md says for a lab not named kubeplay): 6 nodes Ready at the new version, the status, --check plans nothing, verify passes, the HAProxy drift is found (exit 5) with the changed line in the diff, repaired, then 0 changed', async () => {
    const root = new URL('../../', import.meta.url).pathname
    const project = linkedProject(root)
    const seen: string[] = []
    // The secrets this test's runs generated (the HAProxy stats password…) live in the
    // repository's .kubeplay/secrets, where a user running the quickstart there has them too.
    // kubeplay loads as for a user, from dist/ (npm test runs its files with the sources).
    const env = { ...withoutSourceCondition(), KUBEPLAY_STATE_DIR: process.env.KUBEPLAY_STATE_DIR ?? join(root, '.kubeplay') }
    try {
      for (const c of docCommands(readFileSync(join(root, 'docs/quickstart.md'), 'utf8'))) {
        if (c.notRun) { log(`quickstart: not run: ${c.line} (${c.notRun})`); continue }
        const cmd = forLab(c.line, lab.name, dirname(lab.inventoryPath))
        const command = cmd.replace(/\s+#.*$/, '')
        const t = Date.now()
        const r = spawnSync('bash', ['-c', cmd], { cwd: project, env, input: '', encoding: 'utf8', timeout: 900_000 })
        const out = `${r.stdout}${r.stderr}`
        log(`quickstart: ${command} → exit ${r.status} (${((Date.now() - t) / 1000).toFixed(0)} s)`)
        assert.is(r.status, 0, `${cmd}\n${out}`)
        // The same command run again (its comment differs: "rewrites…", then "changed=0").
        const again = seen.includes(command)
        seen.push(command)
        if (/kubectl get nodes/.test(cmd)) {
          const rows = out.split('\n').filter((l) => /^lab\d/.test(l))
          assert.is(rows.length, 6, out)
          for (const row of rows) assert.match(row, new RegExp(`^lab\\d\\s+Ready\\s+\\S+\\s+\\S+\\s+v${TO.replaceAll('.', '\\.')}$`), out)
        } else if (/lab -- status/.test(cmd)) {
          for (let i = 1; i <= 7; i++) assert.match(out, new RegExp(`\\n  lab${i} 10\\.\\S+ up `), out)
        } else if (/--list-hosts/.test(cmd)) {
          assert.match(out, /^play '.+' \(\d+ hosts\): lab\d/m, out)
        } else if (/site\.ts -i \S+ --check --diff\s*(#|$)/.test(cmd)) {
          assert.match(out, /PLAY RECAP/, out)
          assert.not.match(out, /changed=[1-9]/, `a converged lab: --check plans nothing\n${out}`)
        } else if (/--detailed-exitcode/.test(cmd)) {
          assert.match(out, /\nexit 5\n/, out)
          assert.match(out, /^\s*-.*timeout connect 9s/m, `the diff shows the old line\n${out}`)
          assert.match(out, /^\s*\+.*timeout connect 5s/m, `and the new one\n${out}`)
          assert.not.match(out, /\[hidden/, out)
        } else if (/--tags haproxy\s*(#|$)/.test(cmd)) {
          if (!again) {
            assert.match(out, /lab1\s+changed\s+Write the HAProxy configuration/, out)
            assert.match(out, /lab1\s+changed\s+handler: Reload HAProxy/, out)
          } else {
            assert.match(out, /lab1\s+: ok=\d+ changed=0 unreachable=0 failed=0/, out)
          }
        } else if (/verify\.ts/.test(cmd)) {
          for (const h of ['lab2', 'lab3', 'lab4', 'lab5', 'lab6', 'lab7']) assert.match(out, new RegExp(`${h}\\s+: ok=\\d+ changed=0 unreachable=0 failed=0`), out)
          assert.not.match(out, /✗/, out)
        }
      }
      assert.ok(seen.length >= 9, `the quickstart's commands ran: ${seen.length}`)
      assert.match((await hostExec('lab1', 'grep "timeout connect" /etc/haproxy/haproxy.cfg')), /timeout connect 5s/)
    } finally { rmSync(project, { recursive: true, force: true }) }
  })

  test('failover (seed 003): the first master powered off, kubectl through HAProxy answers and a new Deployment runs; powered on, it rejoins by itself', async () => {
    const other = await labConnect(lab, lab.hosts.findIndex((h) => h.name === 'lab3'))
    const k3 = (args: string) => other.exec(sh`kubectl --kubeconfig /etc/kubernetes/admin.conf --request-timeout=15s ${raw(args)}`)
    try {
      await master.close()
      await labPower(lab.name, 'lab2', 'off', { log })
      let answered = 0
      for (let i = 0; i < 10; i++) {
        if ((await k3('get nodes -o name')).code === 0) answered++
        await new Promise((r) => setTimeout(r, 1000))
      }
      log(`lab2 off: ${answered}/10 kubectl calls through HAProxy answered`)
      assert.ok(answered >= 5, `kubectl through HAProxy keeps answering with lab2 off (${answered}/10)`)
      const b = await buildBundle({ kubernetes: FROM })
      const img = b.manifest.images.find((i) => i.ref.startsWith(`${NGINX_IMAGE}:`))!
      await other.writeFile('/root/failover.yaml', `apiVersion: apps/v1
kind: Deployment
metadata: { name: failover, namespace: default }
spec:
  replicas: 2
  selector: { matchLabels: { app: failover } }
  template:
    metadata: { labels: { app: failover } }
    spec:
      containers:
      - { name: nginx, image: "${img.ref}", imagePullPolicy: Never }
`)
      let applied = await k3('apply -f /root/failover.yaml')
      for (let i = 0; i < 5 && applied.code !== 0; i++) { await new Promise((r) => setTimeout(r, 3000)); applied = await k3('apply -f /root/failover.yaml') }
      assert.is(applied.code, 0, applied.stderr)
      const rollout = await k3('rollout status deploy/failover --timeout=180s')
      assert.is(rollout.code, 0, `the new Deployment runs with lab2 off: ${rollout.stdout}${rollout.stderr}`)
      await labPower(lab.name, 'lab2', 'on', { log })
      master = await labConnect(lab, 1)
      log(`lab2 back: ${(await master.exec(sh`systemctl is-system-running; cat /proc/loadavg`)).stdout.replace(/\n/g, ' ')}`)
      await waitNodesReady(6)
      let health = ''
      for (let i = 0; i < 40; i++) {
        const r = await master.exec(etcdctlInContainer(['endpoint', 'health', '--cluster']))
        health = r.stdout + r.stderr
        if (r.code === 0 && (health.match(/is healthy/g) ?? []).length === 3) break
        await new Promise((r) => setTimeout(r, 3000))
      }
      if ((health.match(/is healthy/g) ?? []).length !== 3) {
        // What lab2's kubelet and containerd show, so a slow or failed etcd restart can be told apart.
        const why = await master.exec(sh`crictl ps -a 2>&1 | head -20; journalctl -u kubelet --no-pager -n 30 2>&1; uptime`)
        log(`lab2 etcd not back:\n${why.stdout}${why.stderr}`)
      }
      assert.is((health.match(/is healthy/g) ?? []).length, 3, `etcd: three healthy members after lab2 is back\n${health}`)
      await k3('delete -f /root/failover.yaml --wait=false')
    } finally {
      await other.close()
    }
  })

  test('remove-node refuses to break etcd quorum: with lab3 powered off, removing lab4 stops before lab4 is touched', async () => {
    await labPower(lab.name, 'lab3', 'off', { log })
    try {
      const inv = withExtraVars(inventory, ['confirm=yes', 'node=lab4'])
      // --limit lab4, as an operator would with a host down (the play also covers lab3).
      const r = await runPlaybook(removeNodePlaybook(), { inventory: inv, connector: connectorFor(inv, { hostKeyPolicy: 'strict' }), limit: 'lab4', reporter: runRecorder(state) })
      assert.equal(changes(r), [], 'nothing changed')
      assert.match(failures(r).join('\n'), /lab4 Drain, reset and forget the node: .*lab4: expected the etcd members left after removing it to keep quorum \(2 of 2 answering\), found 1 \(not answering: lab3\)/)
      assert.is((await kubectl('get node lab4 -o name')).trim(), 'node/lab4', 'lab4 is still a Node')
      assert.equal(parseMemberList((await master.exec(etcdctlInContainer(['member', 'list', '-w', 'simple']))).stdout).map((m) => m.name).sort(), ['lab2', 'lab3', 'lab4'])
    } finally {
      await labPower(lab.name, 'lab3', 'on', { log })
    }
    await waitNodesReady(6)
  })
}

test.run()
