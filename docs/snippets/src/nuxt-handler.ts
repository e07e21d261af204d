import { defineSuperOfficeEventHandler } from '@superoffice-webhooks/nuxt/runtime/define.js'

declare function markWon(saleId: number, path: string): Promise<void>

// #region readme
// server/superoffice/sale-sold.ts: defineSuperOfficeEventHandler is auto-imported in Nuxt
export default defineSuperOfficeEventHandler('sale.sold', async (event, { request }) => {
  // event: SuperOfficeEvent<'sale.sold'>; request: the delivery's H3Event
  await markWon(event.PrimaryKey, request.path)
})
// #endregion readme
