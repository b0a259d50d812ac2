/**
 * `npm run lab -- up [N] [--distro D] [--name NAME] [--layout flat|seed001] [--kubernetes]`
 * `npm run lab -- down [--name NAME | --all-labs] [--purge]`
 * `npm run lab -- status [--name NAME]`
 * `npm run lab -- poweroff|poweron HOST [--name NAME]`
 */
import { parseArgs } from 'node:util'
import { allLabStatus, DEFAULT_NAME, formatStatus, labDown, labPower, labStatus, labUp } from './index.ts'
import { parseLayout } from './layout.ts'
import { parseDistro, type Distro } from './paths.ts'

const USAGE = `usage:
  lab up [N] [--distro debian12|ubuntu2204|ubuntu2404] [--name NAME] [--layout flat|seed001] [--kubernetes]
  lab down [--name NAME | --all-labs] [--purge]
  lab status [--name NAME]
  lab poweroff|poweron HOST [--name NAME]`

const t0 = Date.now()
const log = (msg: string): void => { process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`) }

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      distro: { type: 'string' },
      layout: { type: 'string' },
      'all-labs': { type: 'boolean' },
      kubernetes: { type: 'boolean' },
      purge: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const [cmd, ...rest] = positionals
  if (values.help || !cmd) { console.log(USAGE); return cmd ? 0 : 2 }
  if (process.getuid?.() !== 0) { console.error('lab: must run as root (mounts, bridges, nft, nspawn)'); return 1 }
  switch (cmd) {
    case 'up': {
      if (rest.length > 1 || (rest[0] !== undefined && !/^\d+$/.test(rest[0]))) { console.error(`lab up: expected one host count, found ${rest.join(' ')}`); return 2 }
      const distro: Distro = parseDistro(values.distro ?? 'debian12')
      const info = await labUp({
        name: values.name, distro, layout: parseLayout(values.layout ?? 'flat'),
        hosts: rest[0] === undefined ? undefined : Number(rest[0]), kubernetes: values.kubernetes, log,
      })
      console.log(`lab ${info.name}: ${info.hosts.map((h) => `${h.name}=${h.address}`).join(' ')}`)
      console.log(`  ssh -F ${info.sshConfigPath} ${info.hosts[0]?.name}`)
      console.log(`  inventory ${info.inventoryPath}`)
      return 0
    }
    case 'down': {
      if (values['all-labs'] && values.name) { console.error('lab down: --name and --all-labs exclude each other'); return 2 }
      const names = await labDown({ name: values.name, allLabs: values['all-labs'], purge: values.purge, log })
      log(`down: ${names.length ? names.join(', ') : 'no labs'}`)
      return 0
    }
    case 'status': {
      const all = values.name ? [labStatus(values.name)].filter((s) => s !== null) : allLabStatus()
      if (all.length === 0) console.log(values.name ? `${values.name}: down (no state)` : 'no labs')
      for (const s of all) console.log(formatStatus(s))
      return 0
    }
    case 'poweroff':
    case 'poweron': {
      if (rest.length !== 1) { console.error(`lab ${cmd}: expected one host name, found ${rest.length ? rest.join(' ') : 'none'}`); return 2 }
      await labPower(values.name ?? DEFAULT_NAME, rest[0]!, cmd === 'poweroff' ? 'off' : 'on', { log })
      return 0
    }
    default:
      console.error(`lab: unknown command ${cmd}\n${USAGE}`)
      return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (e: unknown) => {
    console.error(`lab: ${e instanceof Error ? e.message : String(e)}`)
    process.exitCode = 1
  },
)
