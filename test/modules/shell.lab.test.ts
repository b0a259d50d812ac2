import { test } from 'uvu'
import { labEnv } from './env.ts'
import { shellSuite } from './suites/shell.ts'

shellSuite(test, labEnv(test))

test.run()
