import { createSuperOfficeWebhooks, type SuperOfficeAnyEvent } from '@superoffice-webhooks/core'
import { superOfficeWebhooks } from '@superoffice-webhooks/koa'
import Koa from 'koa'

const port = Number(process.env.PORT ?? 3000)
const secret = process.env.SUPEROFFICE_WEBHOOK_SECRET
if (!secret) {
  console.error('koa-example: set SUPEROFFICE_WEBHOOK_SECRET to the secret of your SuperOffice webhook.')
  process.exit(1)
}

const webhooks = createSuperOfficeWebhooks({ secret })
const stats = { sold: 0, soldByCurrency: {} as Record<string, number>, saleEvents: 0, events: 0 }

// Typed by name: event is SuperOfficeEvent<'sale.sold'>.
webhooks.on('sale.sold', (event) => {
  stats.sold++
  const currency = String(event.FieldValues?.currency_id ?? 'unknown')
  stats.soldByCurrency[currency] = (stats.soldByCurrency[currency] ?? 0) + 1
})

// A local wildcard: every sale event, documented or custom.
webhooks.on('sale.*', () => {
  stats.saleEvents++
})

// The catch-all: every event but `test`, one line each.
webhooks.onAny((event: SuperOfficeAnyEvent) => {
  stats.events++
  console.log(
    `superoffice event=${event.Event} key=${event.PrimaryKey} tenant=${event.ContextIdentifier} id=${event.EventId}`,
  )
})

const app = new Koa()
app.use(superOfficeWebhooks(webhooks, { path: '/webhooks/superoffice' }))
app.use((ctx) => {
  if (ctx.method === 'GET' && ctx.path === '/healthz') ctx.body = { status: 'ok' }
  else if (ctx.method === 'GET' && ctx.path === '/stats') ctx.body = stats
})

const server = app.listen(port, process.env.HOST, () => {
  console.error(`koa-example: listening on http://localhost:${port}, POST /webhooks/superoffice`)
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => server.close(() => process.exit(0)))
}
