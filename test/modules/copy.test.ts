import { test } from 'uvu'
import { localEnv } from './env.ts'
import { copySuite } from './suites/copy.ts'

copySuite(test, localEnv(test))

test.run()
