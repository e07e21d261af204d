import { defineConfig, type ViteUserConfig } from 'vitest/config'

/**
 * The vitest set-up every package shares: its own tests, type tests, and a JSON report that
 * scripts/test-summary.mjs adds up into the closing line of `pnpm check`.
 */
export function vitestConfig(
  overrides: { testTimeout?: number; typecheck?: boolean; include?: string[]; reportFile?: string } = {},
): ViteUserConfig {
  return defineConfig({
    test: {
      include: overrides.include ?? ['test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 180_000,
      hookTimeout: 180_000,
      reporters: ['default', ['json', { outputFile: overrides.reportFile ?? 'test-results.json' }]],
      ...(overrides.typecheck === false ? {} : { typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] } }),
    },
  })
}
