/**
 * Where a named lab keeps its state, and which names are valid: the inventory layer reads a lab's
 * inventory (`-i lab`, `-i lab:NAME`) and the lab layer builds on the same names and paths.
 */
import { join } from 'node:path'
import { ConfigError } from '../errors.ts'

/** Read when asked, so a test or a wrapper can set KUBEPLAY_LAB_ROOT before its first use. */
export const labRoot = (): string => process.env.KUBEPLAY_LAB_ROOT ?? '/var/lib/kubeplay-lab'

/** A lab's name, or a ConfigError naming what a name must be. */
export function validateLabName(name: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(name) || /^(base-|debootstrap-)/.test(name) || name === 'locks') {
    throw new ConfigError('lab', 'name', "1-31 chars of [a-z0-9-], starting alphanumeric, not 'base-*', 'debootstrap-*' or 'locks'", JSON.stringify(name))
  }
  return name
}

/** The lab's state directory. */
export const labStateDir = (name: string): string => join(labRoot(), name)

/** `lab` / `lab:NAME` → the lab's inventory.json (the lab writes it on `up`). */
export function labInventoryFile(name: string): string {
  return join(labStateDir(validateLabName(name)), 'inventory.json')
}
