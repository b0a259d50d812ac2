/** kubeplay: the engine, connections, inventory and CLI entry in one import. */
export * from './engine/index.ts'
export * from './connection/index.ts'
export { defineInventory, type InventorySpec, type HostSpec, type GroupSpec, type Inventory } from './inventory/types.ts'
export { loadInventory } from './inventory/load.ts'
export { selectHosts } from './inventory/pattern.ts'
export { main, runCli } from './cli/main.ts'
export { secretFromEnv, secretFromFile, generatedSecret } from './secrets.ts'
export * from './errors.ts'
