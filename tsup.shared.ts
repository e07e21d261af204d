import { defineConfig, type Options } from 'tsup'

/** The build every published package shares: ESM and CJS with types, for Node 20 and later. */
export const packageBuild: Options = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  target: 'node20',
  clean: true,
  sourcemap: false,
}

export default defineConfig(packageBuild)
