import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { mergeConfig } from 'vitest/config'
import { vitestConfig } from '../../vitest.shared.js'

// ZOD=floor runs the suite against the lowest zod 4 that `dependencies.zod` allows (a pinned
// `zod-floor` alias), so the published range is tested at both ends; the default is the latest.
const floor = process.env.ZOD === 'floor'
const zodFloor = floor ? dirname(createRequire(import.meta.url).resolve('zod-floor/package.json')) : undefined

export default mergeConfig(
  vitestConfig(floor ? { typecheck: false, reportFile: 'test-results-zod-floor.json' } : {}),
  zodFloor ? { resolve: { alias: [{ find: /^zod$/, replacement: zodFloor }] } } : {},
)
