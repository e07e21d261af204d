import { defineSuperOfficeEventHandler } from '@superoffice-webhooks/nuxt/runtime/define.js'

// #region readme
// server/superoffice/sale-sold.ts
export default defineSuperOfficeEventHandler('sale.sold', async (event, context) => {
  const sale = await context.fetchEntity() // SaleEntity | null
  console.log(event.PrimaryKey, sale?.Heading)
})
// #endregion readme
