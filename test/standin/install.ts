/**
 * Installs the kubeplay TEST STAND-INS (kubeadm, kubectl, kubelet, etcdctl, crictl) on a lab host: the
 * python implementation under /usr/local/lib/kubeplay-standin, thin wrappers in /usr/local/bin, a
 * kubelet.service that runs the stand-in kubelet, and the version the stand-in tools report.
 * Test-only: never shipped, never used outside lab hosts.
 */
import { readFileSync } from 'node:fs'
import { sh } from '../../lib/connection/quote.ts'
import { run } from '../../lib/connection/commands.ts'
import type { Connection } from '../../lib/connection/types.ts'

const here = (f: string): string => new URL(f, import.meta.url).pathname
export const STANDIN_LOG = '/var/log/kubeplay-standin.log'
export const STANDIN_TOOLS = ['kubeadm', 'kubectl', 'kubelet', 'etcdctl', 'crictl'] as const

const KUBELET_UNIT = `# kubeplay TEST STAND-IN kubelet service (lab only)
[Unit]
Description=kubelet (kubeplay stand-in)
[Service]
ExecStart=/usr/local/bin/kubelet
Restart=always
[Install]
WantedBy=multi-user.target
`

export async function installStandins(conn: Connection, o: { version: string; nodes: readonly string[] }): Promise<void> {
  await run(conn, sh`mkdir -p /usr/local/lib/kubeplay-standin /var/lib/kubeplay-standin /etc/kubeplay-standin`)
  await conn.writeFile('/usr/local/lib/kubeplay-standin/standin.py', readFileSync(here('./standin.py')), { mode: '0755' })
  for (const t of STANDIN_TOOLS) await conn.writeFile(`/usr/local/bin/${t}`, readFileSync(here(`./${t}`)), { mode: '0755' })
  await conn.writeFile('/var/lib/kubeplay-standin/version', `${o.version}\n`)
  await conn.writeFile('/etc/kubeplay-standin/nodes', `${o.nodes.join('\n')}\n`)
  await conn.writeFile('/etc/systemd/system/kubelet.service', KUBELET_UNIT)
  await run(conn, sh`systemctl daemon-reload`)
}

/** Sets the version the stand-in tools report (what installing another kubeadm package would do). */
export async function setStandinVersion(conn: Connection, version: string): Promise<void> {
  await conn.writeFile('/var/lib/kubeplay-standin/version', `${version}\n`)
}

export interface StandinCall { readonly at: string; readonly host: string; readonly tool: string; readonly argv: readonly string[] }

/** Pure: the stand-in log's lines. */
export function parseStandinLog(text: string): StandinCall[] {
  return text.split('\n').filter(Boolean).map((l) => {
    const [at, host, tool, ...argv] = l.split(' ')
    return { at: at!, host: host!, tool: tool!, argv }
  })
}

export async function readStandinLog(conn: Connection): Promise<StandinCall[]> {
  const b = await conn.readFile(STANDIN_LOG)
  return b ? parseStandinLog(b.toString('utf8')) : []
}
