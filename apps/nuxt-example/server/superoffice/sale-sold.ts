// Typed by name: event is SuperOfficeEvent<'sale.sold'>; request is the delivery's H3Event.
export default defineSuperOfficeEventHandler('sale.sold', (event) => {
  stats.sold++
  const currency = String(event.FieldValues?.currency_id ?? 'unknown')
  stats.soldByCurrency[currency] = (stats.soldByCurrency[currency] ?? 0) + 1
})
