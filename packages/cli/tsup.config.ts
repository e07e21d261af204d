import { defineConfig } from 'tsup'

// A command, not a library: one ESM file with its shebang, no types to publish.
export default defineConfig({
  entry: ['src/cli.ts'],
  format: ['esm'],
  target: 'node20',
  clean: true,
  banner: { js: '#!/usr/bin/env node' },
})
