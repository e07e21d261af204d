import { defineConfig } from 'tsup'

// Nuxt modules are ESM: dist/module.mjs with its types, and the runtime files Nitro bundles into
// the app, one file each (their '#imports' and '#superoffice-webhooks/handlers' are Nitro's).
export default defineConfig([
  {
    entry: { module: 'src/module.ts' },
    format: ['esm'],
    outExtension: () => ({ js: '.mjs', dts: '.d.mts' }),
    dts: true,
    target: 'node20',
    clean: false,
  },
  {
    entry: [
      'src/runtime/define.ts',
      'src/runtime/handler.ts',
      'src/runtime/plugin.ts',
      'src/runtime/tenant-status.ts',
      'src/runtime/webhooks.ts',
    ],
    outDir: 'dist/runtime',
    format: ['esm'],
    bundle: false,
    // Types for the auto-imported helper: Nuxt's generated declarations point at this file.
    dts: { entry: { define: 'src/runtime/define.ts' } },
    target: 'node20',
  },
])
