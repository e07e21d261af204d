export default defineNuxtConfig({
  compatibilityDate: '2026-11-01',
  devtools: { enabled: false },
  telemetry: false,
  // Overridden at run time by NUXT_SUPEROFFICE_WEBHOOK_SECRET; the route also reads
  // SUPEROFFICE_WEBHOOK_SECRET, the name every example app uses.
  runtimeConfig: { superofficeWebhookSecret: '' },
})
