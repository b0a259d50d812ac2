import { test } from 'uvu'
import { labEnv } from './env.ts'
import { lineInFileSuite } from './suites/line-in-file.ts'

lineInFileSuite(test, labEnv(test))

test.run()
