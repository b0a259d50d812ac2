/** ansible-playbook style arguments → typed options. Pure; errors are ConfigErrors naming the flag. */
import { ConfigError } from '../errors.ts'

export interface CliOptions {
  inventory?: string
  tags?: string[]
  skipTags?: string[]
  limit?: string
  check: boolean
  diff: boolean
  forks?: number
  verbose: number
  extraVars: string[]
  listHosts: boolean
  listTasks: boolean
  listTags: boolean
  startAtTask?: string
  retry: boolean
  stateDir: string
  hostKeyPolicy: 'strict' | 'accept-new'
  detailedExitcode: boolean
  json?: string
  report?: string
  help: boolean
  /** Take the run lock of every host even when another run holds it. */
  breakLock: boolean
  /** Time limit of each task without its own. */
  taskTimeoutMs?: number
  /** After a first Ctrl-C, how long commands in flight may run before they are killed. */
  interruptGraceMs?: number
  vaultPasswordFile?: string
  /** `--shard I/N`: only the I-th of N deterministic slices of the inventory's hosts. */
  shard?: Shard
}

/** The I-th (1-based) of N slices of the hosts: `--shard 2/4`. */
export interface Shard { readonly index: number; readonly count: number }

/** Pure: `2/4` → { index: 2, count: 4 }, or a ConfigError naming the flag. */
export function parseShard(v: string, flag = '--shard'): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim())
  const index = Number(m?.[1]), count = Number(m?.[2])
  if (!m || count < 1 || count > 1000 || index < 1 || index > count) {
    throw new ConfigError('command line', flag, 'I/N with 1 ≤ I ≤ N ≤ 1000 (the I-th of N slices of the hosts, e.g. 2/4)', `'${v}'`)
  }
  return { index, count }
}

/** Documented exit codes (docs/cli.md). */
export const EXIT = {
  ok: 0,
  internal: 1,
  failed: 2,
  unreachable: 3,
  invalidInput: 4,
  pendingChanges: 5,
  interrupted: 130,
} as const

export const USAGE = `usage: npx tsx playbooks/PLAYBOOK.ts [options]

  -i, --inventory SRC     inventory.ts | hosts.ini | hosts.yml | inventory.json | DIR | lab[:NAME]
                          (default: lab — the built-in lab's generated inventory)
  -t, --tags A,B          run only tasks with these tags (roles are tags too)
      --skip-tags A,B     skip tasks with these tags
  -l, --limit PATTERN     further limit hosts (masters:!lab3, workers[0], @file)
  -C, --check             plan only: report what would change, change nothing
  -D, --diff              show file diffs of changed tasks
      --detailed-exitcode with --check: exit 5 when changes are pending
  -f, --forks N           hosts worked on at once (default 20)
  -e, --extra-vars K=V    override vars (repeatable; @file.yml|json for a file)
      --list-hosts        print the hosts of each play and exit (no connection)
      --list-tasks        print the tasks of each play and exit (no connection)
      --list-tags         print the tags and exit (no connection)
      --start-at-task T   skip every task before the one titled T
      --shard I/N         run only the I-th of N slices of the hosts (one per CI job; kubeplay report merges them)
      --retry             rerun only the hosts that failed or were unreachable last run
      --state-dir DIR     run records and locks (default .kubeplay)
      --host-key-policy P strict (default) | accept-new (record unknown keys)
      --json FILE         write the run report as JSON (schema kubeplay.run/v1, docs/json-report.md)
      --report FILE.html  write a self-contained HTML run report (timeline, diffs, failures)
      --task-timeout T    fail a task running longer than T (30s, 5m, 1h; plain number = seconds)
      --interrupt-grace T after Ctrl-C, let commands in flight finish for T (default 10s), then kill them
      --break-lock        take each host's run lock even if another run holds it
      --vault-password-file F  password for Ansible Vault content (or $KUBEPLAY_VAULT_PASSWORD_FILE)
  -v, -vv                 verbose: commands and outputs (secrets masked)
  -h, --help

exit codes: 0 ok, 2 a host failed, 3 a host unreachable, 4 invalid input (nothing contacted),
            5 --check --detailed-exitcode found pending changes, 130 interrupted, 1 internal error`

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean)

/** `90`, `90s`, `1.5m`, `2h`, `500ms` → milliseconds (a plain number is seconds). */
/** The value after a flag at `argv[i]` (`-i hosts.ini`), or a ConfigError naming the flag. */
export function valueAfter(argv: readonly string[], i: number, flag: string): string {
  const v = argv[i]
  if (v === undefined) throw new ConfigError('command line', flag, 'a value after it', 'nothing')
  return v
}

export function parseDuration(v: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim())
  const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'] : NaN
  if (!(ms >= 1 && ms <= 7 * 86_400_000)) throw new ConfigError('command line', flag, 'a duration like 30s, 5m or 1h (up to 7 days)', `'${v}'`)
  return Math.round(ms)
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const o: CliOptions = {
    check: false, diff: false, verbose: 0, extraVars: [], listHosts: false, listTasks: false, listTags: false,
    retry: false, stateDir: '.kubeplay', hostKeyPolicy: 'strict', detailedExitcode: false, help: false, breakLock: false,
  }
  const args = [...argv]
  while (args.length) {
    let a = args.shift()!
    let inline: string | undefined
    const eq = a.startsWith('--') ? a.indexOf('=') : -1
    if (eq > 0) { inline = a.slice(eq + 1); a = a.slice(0, eq) }
    const value = (): string => {
      const v = inline ?? args.shift()
      if (v === undefined || v === '') throw new ConfigError('command line', a, 'a value', 'nothing')
      return v
    }
    switch (a) {
      case '-i': case '--inventory': o.inventory = value(); break
      case '-t': case '--tags': o.tags = [...(o.tags ?? []), ...list(value())]; break
      case '--skip-tags': o.skipTags = [...(o.skipTags ?? []), ...list(value())]; break
      case '-l': case '--limit': o.limit = value(); break
      case '-C': case '--check': o.check = true; break
      case '-D': case '--diff': o.diff = true; break
      case '--detailed-exitcode': o.detailedExitcode = true; break
      case '-f': case '--forks': {
        const v = value()
        const n = Number(v)
        if (!Number.isInteger(n) || n < 1 || n > 1000) throw new ConfigError('command line', a, 'an integer from 1 to 1000', `'${v}'`)
        o.forks = n
        break
      }
      case '-e': case '--extra-vars': o.extraVars.push(value()); break
      case '--list-hosts': o.listHosts = true; break
      case '--list-tasks': o.listTasks = true; break
      case '--list-tags': o.listTags = true; break
      case '--start-at-task': o.startAtTask = value(); break
      case '--shard': o.shard = parseShard(value(), a); break
      case '--retry': o.retry = true; break
      case '--state-dir': o.stateDir = value(); break
      case '--host-key-policy': {
        const v = value()
        if (v !== 'strict' && v !== 'accept-new') throw new ConfigError('command line', a, "'strict' or 'accept-new'", `'${v}'`)
        o.hostKeyPolicy = v
        break
      }
      case '--json': o.json = value(); break
      case '--report': o.report = value(); break
      case '--break-lock': o.breakLock = true; break
      case '--vault-password-file': o.vaultPasswordFile = value(); break
      case '--task-timeout': o.taskTimeoutMs = parseDuration(value(), a); break
      case '--interrupt-grace': o.interruptGraceMs = parseDuration(value(), a); break
      case '-h': case '--help': o.help = true; break
      default:
        if (/^-v+$/.test(a)) { o.verbose += a.length - 1; break }
        throw new ConfigError('command line', a, 'an option from --help', `unknown argument '${a}'`)
    }
  }
  if (o.detailedExitcode && !o.check) throw new ConfigError('command line', '--detailed-exitcode', '--check with it', 'no --check')
  return o
}
