import { test } from 'uvu'
import { labEnv } from './env.ts'
import { commandSuite } from './suites/command.ts'

commandSuite(test, labEnv(test))

test.run()
