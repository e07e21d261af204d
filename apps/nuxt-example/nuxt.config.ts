// NUXT_BUILD_PRESET=aws-lambda builds the same app for a serverless preset into .output-lambda
// (tested by invoking its handler as Lambda would): there Nitro hands the app a mocked request.
const lambda = process.env.NUXT_BUILD_PRESET === 'aws-lambda'
// The BullMQ inbox is the app's own file, server/superoffice/inbox.ts, switched on at run time
// (SUPEROFFICE_INBOX=bullmq and REDIS_URL); the server then also runs its worker.

export default defineNuxtConfig({
  compatibilityDate: '2026-11-01',
  devtools: { enabled: false },
  telemetry: false,
  // The module registers POST /webhooks/superoffice and runs the handlers in server/superoffice/.
  // The secret comes from NUXT_SUPEROFFICE_WEBHOOKS_SECRET at run time.
  modules: ['@superoffice-webhooks/nuxt'],
  superofficeWebhooks: { route: '/webhooks/superoffice' },
  ...(lambda ? { nitro: { preset: 'aws-lambda', output: { dir: '.output-lambda' } } } : {}),
})
