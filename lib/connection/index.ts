export * from './quote.ts'
export * from './types.ts'
export { LocalConnection, type LocalOptions } from './local.ts'
export { run, readFileVia, writeFileVia, atomicWriteCommand } from './commands.ts'
