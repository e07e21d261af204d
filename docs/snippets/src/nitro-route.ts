declare function markWon(saleId: number): void

// #region readme
// server/routes/webhooks/superoffice.ts (no .post: the handler answers other methods with 405),
// with `srcDir: 'server'` in nitro.config.ts (Nitro 3)
import { defineSuperOfficeWebhookHandler } from '@superoffice-webhooks/h3'
import { useRuntimeConfig } from 'nitro/runtime'

export default defineSuperOfficeWebhookHandler({
  // Read per request: runtimeConfig: { superofficeWebhookSecret: '' } in nitro.config.ts,
  // set at run time by NITRO_SUPEROFFICE_WEBHOOK_SECRET.
  secret: () => useRuntimeConfig().superofficeWebhookSecret as string,
  on: {
    'sale.sold': (event) => markWon(event.PrimaryKey), // SuperOfficeEvent<'sale.sold'>
    'contact.*': (event) => console.log(event.Event), // every contact event
  },
  onAny: (event) => console.log(event.Event),
  onError: (error) => console.warn(error.code),
})
// #endregion readme
