import { defineConfig } from 'tsup'

export default defineConfig([
  // The worker and the Bun and Deno entries: one self-contained ES module each, core and zod
  // bundled in, no Node built-in imported (core finds node:crypto at run time where it exists).
  {
    entry: ['src/worker.ts', 'src/bun.ts', 'src/deno.ts'],
    format: ['esm'],
    platform: 'neutral',
    target: 'es2022',
    noExternal: [/.*/],
    splitting: false,
    clean: true,
  },
  // The local workerd runner is a Node script around Miniflare.
  { entry: ['src/workerd.ts'], format: ['esm'], platform: 'node', target: 'node20', external: ['miniflare'] },
])
