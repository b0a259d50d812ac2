/**
 * kubeplay's public API: what a playbook, role or module author needs, listed in docs/concepts.md
 * ("The public API") and checked against that list by test/public-api.test.ts. Everything else is
 * internal and importable by path only (`kubeplay/engine`, `kubeplay/modules`, `kubeplay/roles`…).
 */

// Playbooks and roles
export {
  play, playbook, role, task, handler, flushHandlers,
  type Play, type PlayOptions, type Playbook, type Role, type RoleVars, type Task, type TaskOptions, type Handler,
  type Preflight, type PreflightContext, type Params, type Item,
} from './engine/task.ts'
export { defineSettings, type RoleSettings } from './engine/vars.ts'
export { main, runCli } from './cli/main.ts'

// Modules and facts
export {
  defineModule, defineFact, change, noChange, hostValue,
  type Module, type Fact, type FactRead, type FactReadahead, type HostContext, type Plan, type FileDiff, type HostValue,
} from './engine/module.ts'
export { sh, raw, quote, type ShellCommand, type ShellValue } from './connection/quote.ts'
export type { Connection, ExecOptions, ExecResult, WriteOptions } from './connection/types.ts'

// Secrets
export { Secret, secret, isSecret, reveal, mask } from './secret.ts'
export { secretFromEnv, secretFromFile, generatedSecret } from './secrets.ts'

// Inventories
export { defineInventory, type InventorySpec, type HostSpec, type GroupSpec, type Inventory, type InventoryHost } from './inventory/types.ts'
export { loadInventory } from './inventory/load.ts'
export { selectHosts } from './inventory/pattern.ts'

// Running from a script
export { runPlaybook, planPlaybook, type RunOptions } from './engine/run.ts'
export { runModule, type AdhocResult } from './engine/adhoc.ts'
export type { RunResult, HostRecap, TaskResult, TaskStatus } from './engine/results.ts'
export { connectSsh } from './connection/connect-ssh.ts'
export { LocalConnection } from './connection/local.ts'

// Errors
export { KubeplayError, ConfigError, ConfigErrors, ConnectError, CommandError, TimeoutError, ModuleError } from './errors.ts'
