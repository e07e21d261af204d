// Runs this process's `import 'bullmq'` on BullMQ 6 (npm's latest), whichever major the
// workspace's packages were installed with: the inbox bench measures Redis and PostgreSQL on the
// same BullMQ. Loaded with `node --import ./src/bullmq6.ts`.
import { createRequire, registerHooks } from 'node:module'
import { pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)
// BullMQ's `main` (CommonJS), as Node resolves `bullmq` itself: its ESM build is for bundlers.
const target = pathToFileURL(require.resolve('bullmq6')).href
registerHooks({
  resolve(specifier, context, next) {
    if (specifier === 'bullmq') return { url: target, format: 'commonjs', shortCircuit: true }
    return next(specifier, context)
  },
})
