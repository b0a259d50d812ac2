import { test } from 'uvu'
import { localEnv } from './env.ts'
import { commandSuite } from './suites/command.ts'

commandSuite(test, localEnv(test))

test.run()
