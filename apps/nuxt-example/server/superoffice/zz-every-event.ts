// The catch-all: every event but `test`, one line each (files run in name order).
export default defineSuperOfficeEventHandler('*', (event) => {
  stats.events++
  console.log(
    `superoffice event=${event.Event} key=${event.PrimaryKey} tenant=${event.ContextIdentifier} id=${event.EventId}`,
  )
})
