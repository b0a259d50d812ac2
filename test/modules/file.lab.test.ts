import { test } from 'uvu'
import { labEnv } from './env.ts'
import { fileSuite } from './suites/file.ts'

fileSuite(test, labEnv(test))

test.run()
