import { defineNitroConfig } from 'nitro/config'

export default defineNitroConfig({
  srcDir: 'server',
  preset: 'node-server',
  // Overridden at run time by NITRO_SUPEROFFICE_WEBHOOK_SECRET; the route also reads
  // SUPEROFFICE_WEBHOOK_SECRET, the name every example app uses.
  runtimeConfig: { superofficeWebhookSecret: '' },
})
