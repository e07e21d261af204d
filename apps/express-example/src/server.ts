import {
  createSuperOfficeApi,
  createSuperOfficeTenantStatus,
  superOfficeApiOptionsFromEnv,
} from '@superoffice-webhooks/api'
import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { createSuperOfficeWebhooks, type SuperOfficeAnyEvent } from '@superoffice-webhooks/core'
import { superOfficeWebhooks } from '@superoffice-webhooks/express'
import express from 'express'

const port = Number(process.env.PORT ?? 3000)
const secret = process.env.SUPEROFFICE_WEBHOOK_SECRET
if (!secret) {
  console.error('express-example: set SUPEROFFICE_WEBHOOK_SECRET to the secret of your SuperOffice webhook.')
  process.exit(1)
}

// Inbox mode (REDIS_URL and SUPEROFFICE_INBOX=bullmq): verified events are queued in BullMQ and
// answered once stored; this process also runs a worker for them unless SUPEROFFICE_WORKER=0.
const inbox =
  process.env.SUPEROFFICE_INBOX === 'bullmq' && process.env.REDIS_URL
    ? createBullMQInbox({ connection: process.env.REDIS_URL })
    : undefined

// SuperOffice Online (SUPEROFFICE_APP_TOKEN, SUPEROFFICE_PRIVATE_KEY[_FILE],
// SUPEROFFICE_SYSTEM_USER_TOKEN, SUPEROFFICE_ENVIRONMENT): handlers can fetch the entity behind
// their event, and the tenant status webhook is served at /superoffice/tenant-status.
const apiOptions = superOfficeApiOptionsFromEnv()
const api = apiOptions ? createSuperOfficeApi(apiOptions) : undefined

const webhooks = createSuperOfficeWebhooks({ secret, ...(inbox ? { inbox } : {}), ...(api ? { api } : {}) })
const stats = { sold: 0, soldByCurrency: {} as Record<string, number>, saleEvents: 0, events: 0 }

// Typed by name: event is SuperOfficeEvent<'sale.sold'>.
webhooks.on('sale.sold', async (event, context) => {
  stats.sold++
  const currency = String(event.FieldValues?.currency_id ?? 'unknown')
  stats.soldByCurrency[currency] = (stats.soldByCurrency[currency] ?? 0) + 1
  if (api) {
    // The Sale behind the event, from the tenant's API (null when it was deleted since).
    const sale = await context.fetchEntity()
    console.log(`superoffice fetched sale ${event.PrimaryKey}: ${sale ? sale.Heading : '(deleted)'}`)
  }
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

const tenantStatus = createSuperOfficeTenantStatus({
  environment: apiOptions?.environment ?? 'online',
  applicationId: process.env.SUPEROFFICE_CLIENT_ID,
  api,
})
tenantStatus.on('*', (n) => console.log(`superoffice tenant-status ${n.ChangeName} ${n.ContextIdentifier}`))

if (inbox && process.env.SUPEROFFICE_WORKER !== '0') {
  webhooks.start().catch((error: unknown) => {
    console.error(`express-example: the inbox worker did not start: ${(error as Error).message}`)
    process.exit(1)
  })
}

const app = express()
// The webhook routes read their raw bytes themselves: before express.json().
app.use(superOfficeWebhooks(webhooks, { path: '/webhooks/superoffice' }))
app.use(superOfficeWebhooks(tenantStatus, { path: '/superoffice/tenant-status' }))
app.use(express.json())
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' })
})
app.get('/stats', (_req, res) => {
  res.json(stats)
})

const server = app.listen(port, process.env.HOST ?? '0.0.0.0', () => {
  console.error(`express-example: listening on http://localhost:${port}, POST /webhooks/superoffice`)
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () =>
    server.close(async () => {
      await webhooks.close()
      process.exit(0)
    }),
  )
}
