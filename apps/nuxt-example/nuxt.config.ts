import { cpSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

// NUXT_BUILD_PRESET=aws-lambda builds the same app for a serverless preset into .output-lambda
// (tested by invoking its handler as Lambda would): there Nitro hands the app a mocked request.
const lambda = process.env.NUXT_BUILD_PRESET === 'aws-lambda'
// The BullMQ inbox is the app's own file, server/superoffice/inbox.ts, switched on at run time
// (SUPEROFFICE_INBOX=bullmq and REDIS_URL); the server then also runs its worker.

// The inbox page (server/routes/admin/inbox) renders bull-board's page files, which no import
// names, so the build's file tracing leaves them out: copy the package beside the built server.
const bullBoardUi = dirname(createRequire(import.meta.url).resolve('@bull-board/ui/package.json'))

export default defineNuxtConfig({
  compatibilityDate: '2026-11-01',
  devtools: { enabled: false },
  telemetry: false,
  // The module registers POST /webhooks/superoffice and runs the handlers in server/superoffice/.
  // The secret comes from NUXT_SUPEROFFICE_WEBHOOKS_SECRET at run time.
  modules: ['@superoffice-webhooks/nuxt'],
  superofficeWebhooks: { route: '/webhooks/superoffice' },
  nitro: {
    ...(lambda ? { preset: 'aws-lambda', output: { dir: '.output-lambda' } } : {}),
    hooks: {
      compiled(nitro) {
        const target = join(nitro.options.output.serverDir, 'node_modules/@bull-board/ui')
        cpSync(bullBoardUi, target, { recursive: true, dereference: true })
      },
    },
  },
})
