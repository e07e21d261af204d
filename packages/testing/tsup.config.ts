import { defineConfig } from 'tsup'

export default defineConfig([
  { entry: ['src/index.ts'], format: ['esm', 'cjs'], dts: true, target: 'node20', clean: true },
  { entry: ['src/cli.ts'], format: ['esm'], target: 'node20', banner: { js: '#!/usr/bin/env node' } },
])
