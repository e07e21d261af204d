// Nuxt auto-imports useRuntimeConfig in server/ files; here it is declared with the shape the
// nuxt.config.ts snippet gives it.
declare function useRuntimeConfig(): { superofficeWebhookSecret: string }
declare function markWon(saleId: number): void

// #region readme
// server/routes/webhooks/superoffice.ts (Nuxt 4; no .post: other methods get 405, not a page)
import { defineSuperOfficeWebhookHandler } from '@superoffice-webhooks/h3'

export default defineSuperOfficeWebhookHandler({
  // Read per request, from runtimeConfig (set by NUXT_SUPEROFFICE_WEBHOOK_SECRET at run time).
  secret: () => useRuntimeConfig().superofficeWebhookSecret,
  on: {
    'sale.sold': (event) => markWon(event.PrimaryKey),
  },
  onAny: (event) => console.log(event.Event),
})
// #endregion readme
