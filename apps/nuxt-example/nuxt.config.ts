// NUXT_BUILD_PRESET=aws-lambda builds the same app for a serverless preset into .output-lambda
// (tested by invoking its handler as Lambda would): there Nitro hands the app a mocked request.
const lambda = process.env.NUXT_BUILD_PRESET === 'aws-lambda'
// NUXT_BUILD_INBOX=1 builds it with the BullMQ inbox into .output-inbox (Redis from
// NUXT_SUPEROFFICE_WEBHOOKS_REDIS_URL at run time; the server also runs the worker).
const inbox = process.env.NUXT_BUILD_INBOX === '1'

export default defineNuxtConfig({
  compatibilityDate: '2026-11-01',
  devtools: { enabled: false },
  telemetry: false,
  // The module registers POST /webhooks/superoffice and runs the handlers in server/superoffice/.
  // The secret comes from NUXT_SUPEROFFICE_WEBHOOKS_SECRET at run time.
  modules: ['@superoffice-webhooks/nuxt'],
  superofficeWebhooks: { route: '/webhooks/superoffice', ...(inbox ? { inbox: { worker: true } } : {}) },
  ...(lambda ? { nitro: { preset: 'aws-lambda', output: { dir: '.output-lambda' } } } : {}),
  ...(inbox ? { nitro: { output: { dir: '.output-inbox' } } } : {}),
})
