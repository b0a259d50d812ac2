/** Inventory: what users write, how it is loaded (TS, JSON, Ansible INI/YAML, lab), validated and resolved. */
export * from './types.ts'
export { selectHosts } from './pattern.ts'
export { loadInventory, readInventoryFile, keyFileProblem, DIRECTORY_CANDIDATES, type LoadOptions } from './load.ts'
export { inventoryFromSpec, resolveInventory, connectionSchema, hostSchema, groupSchema, type ResolveOptions } from './resolve.ts'
export { parseAnsibleIni, parseAnsibleYaml, parseIniValue, expandHostRange, parseYaml, type Imported } from './ansible.ts'
export { ANSIBLE_CONNECTION_VARS, splitAnsibleVars, jumpFromSshArgs, shellSplit, toBoolean } from './ansible-vars.ts'
export { loadAllVars, loadVarsFor, varsFilesFor, varsDirs, readVarsFile, isSecretVarName, wrapSecretVars, type VarsLoadOptions } from './group-vars.ts'
export { labInventoryFile } from './lab-name.ts'
