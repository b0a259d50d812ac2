/**
 * kubeplay lab: booted Debian/Ubuntu hosts on this machine (systemd-nspawn + overlayfs), reachable
 * over SSH with strict host keys, described by a generated inventory. Several named labs can run at once.
 */
export { labUp, labDown, labPower, labInfo, labInventoryPath, labNames, assertLabAddress } from './lab.ts'
export type { LabUpOptions, LabDownOptions } from './lab.ts'
export { labStatus, allLabStatus, formatStatus } from './status.ts'
export type { LabStatus, HostStatus } from './status.ts'
export type { LabInfo, LabHostInfo } from './state.ts'
export type { Distro } from './paths.ts'
export { DISTROS, DEFAULT_NAME } from './paths.ts'
export type { Layout } from './layout.ts'
export { LAYOUTS, planLayout } from './layout.ts'
export { sshArgs } from './proc.ts'
