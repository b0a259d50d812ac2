import { test } from 'uvu'
import { labEnv } from './env.ts'
import { blockInFileSuite } from './suites/block-in-file.ts'

blockInFileSuite(test, labEnv(test))

test.run()
