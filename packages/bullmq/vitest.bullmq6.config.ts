import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { mergeConfig } from 'vitest/config'
import { vitestConfig } from '../../vitest.shared.js'

// The inbox's own suites once more on BullMQ 6 (installed as `bullmq6`): the package's source
// imports 'bullmq', which this run points at the other major.
const require = createRequire(import.meta.url)
const bullmq6 = join(dirname(require.resolve('bullmq6/package.json')), 'dist/esm/index.js')

export default mergeConfig(
  vitestConfig({
    include: [
      'test/inbox.test.ts',
      'test/faults.test.ts',
      'test/postgres.test.ts',
      'test/cluster.test.ts',
      'test/replay.test.ts',
      'test/after-the-200.test.ts',
      'test/row-lock.test.ts',
      'test/fairness.test.ts',
      'test/tenant-lifecycle.test.ts',
      'test/tenant-cap.test.ts',
    ],
    reportFile: 'test-results-bullmq6.json',
    typecheck: false,
  }),
  { resolve: { alias: { bullmq: bullmq6 } }, test: { env: { SUPEROFFICE_BULLMQ_MAJOR: '6' } } },
)
