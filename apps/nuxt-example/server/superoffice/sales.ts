// A local wildcard: every sale event.
export default defineSuperOfficeEventHandler('sale.*', () => {
  stats.saleEvents++
})
