import { api } from './api'

// Typed by name: event is SuperOfficeEvent<'sale.sold'>; request is the delivery's H3Event.
export default defineSuperOfficeEventHandler('sale.sold', async (event, context) => {
  stats.sold++
  const currency = String(event.FieldValues?.currency_id ?? 'unknown')
  stats.soldByCurrency[currency] = (stats.soldByCurrency[currency] ?? 0) + 1
  if (api) {
    // The Sale behind the event, from the tenant's API (null when it was deleted since).
    const sale = await context.fetchEntity()
    console.log(`superoffice fetched sale ${event.PrimaryKey}: ${sale ? sale.Heading : '(deleted)'}`)
  }
})
