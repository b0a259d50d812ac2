import { test } from 'uvu'
import { labEnv } from './env.ts'
import { templateSuite } from './suites/template.ts'

templateSuite(test, labEnv(test))

test.run()
