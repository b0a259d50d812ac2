import { test } from 'uvu'
import { localEnv } from './env.ts'
import { fileSuite } from './suites/file.ts'

fileSuite(test, localEnv(test))

test.run()
