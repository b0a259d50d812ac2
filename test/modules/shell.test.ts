import { test } from 'uvu'
import { localEnv } from './env.ts'
import { shellSuite } from './suites/shell.ts'

shellSuite(test, localEnv(test))

test.run()
