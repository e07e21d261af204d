import {
  createSuperOfficeApi,
  createSuperOfficeTenantStatus,
  superOfficeApiOptionsFromEnv,
} from '@superoffice-webhooks/api'
import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import {
  createSuperOfficeWebhooks,
  meterSuperOfficeWebhooks,
  type SuperOfficeAnyEvent,
  type SuperOfficeWebhooksOptions,
} from '@superoffice-webhooks/core'
import { superOfficeWebhooks } from '@superoffice-webhooks/koa'
import { createRedisDedupeStore } from '@superoffice-webhooks/redis'
import { Redis } from 'ioredis'
import Koa from 'koa'

const port = Number(process.env.PORT ?? 3000)
const secret = process.env.SUPEROFFICE_WEBHOOK_SECRET
// Multi-tenant: one endpoint for many SuperOffice tenants, each with its own webhook secret,
// e.g. SUPEROFFICE_TENANT_SECRETS='{"Cust12345":"secret-a","Cust67890":"secret-b"}'.
const tenantSecrets = process.env.SUPEROFFICE_TENANT_SECRETS
  ? new Map(Object.entries(JSON.parse(process.env.SUPEROFFICE_TENANT_SECRETS) as Record<string, string>))
  : undefined
if (!secret && !tenantSecrets) {
  console.error('koa-example: set SUPEROFFICE_WEBHOOK_SECRET to the secret of your SuperOffice webhook.')
  process.exit(1)
}

// Inbox mode (REDIS_URL and SUPEROFFICE_INBOX=bullmq): verified events are queued in BullMQ and
// answered once stored; this process also runs a worker for them unless SUPEROFFICE_WORKER=0.
const inbox =
  process.env.SUPEROFFICE_INBOX === 'bullmq' && process.env.REDIS_URL
    ? createBullMQInbox({ connection: process.env.REDIS_URL })
    : undefined
if (process.env.SUPEROFFICE_INBOX === 'bullmq' && !inbox) {
  console.error('koa-example: SUPEROFFICE_INBOX=bullmq needs REDIS_URL.')
  process.exit(1)
}

// Several instances behind a load balancer share one Redis, so each EventId is handled once.
const redis =
  process.env.REDIS_URL && !inbox ? new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1 }) : undefined
redis?.on('error', () => {}) // outages are reported per delivery by the store; keep the log readable

// SuperOffice Online (SUPEROFFICE_APP_TOKEN, SUPEROFFICE_PRIVATE_KEY[_FILE],
// SUPEROFFICE_SYSTEM_USER_TOKEN, SUPEROFFICE_ENVIRONMENT): handlers can fetch the entity behind
// their event, and the tenant status webhook is served at /superoffice/tenant-status.
const apiOptions = superOfficeApiOptionsFromEnv()
const api = apiOptions ? createSuperOfficeApi(apiOptions) : undefined

const options: SuperOfficeWebhooksOptions = {
  ...(api ? { api } : {}),
  secret: tenantSecrets ? ({ tenant }) => (tenant ? tenantSecrets.get(tenant) : undefined) : secret,
  ...(inbox ? { inbox } : {}),
  dedupe: redis ? { store: createRedisDedupeStore(redis) } : {},
}
const webhooks = createSuperOfficeWebhooks(options)

// Metrics for Prometheus (METRICS_PORT): core's OpenTelemetry meter helper on the SDK's
// MeterProvider, read by the OpenTelemetry Prometheus exporter at http://localhost:<port>/metrics.
if (process.env.METRICS_PORT) {
  const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus')
  const { MeterProvider } = await import('@opentelemetry/sdk-metrics')
  const exporter = new PrometheusExporter({
    port: Number(process.env.METRICS_PORT),
    host: process.env.HOST ?? '127.0.0.1',
  })
  const provider = new MeterProvider({ readers: [exporter] })
  meterSuperOfficeWebhooks(provider.getMeter('koa-example'), inbox ? { inbox } : {})
}
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

// With the inbox, this process also runs its worker (unless SUPEROFFICE_WORKER=0): core starts it
// with these handlers. An inbox that refuses its Redis (say, one that evicts keys) stops the app.
if (inbox && process.env.SUPEROFFICE_WORKER !== '0') {
  webhooks.start().catch((error: unknown) => {
    console.error(`koa-example: the inbox worker did not start: ${(error as Error).message}`)
    process.exit(1)
  })
}

const tenantStatus = createSuperOfficeTenantStatus({
  environment: apiOptions?.environment ?? 'online',
  applicationId: process.env.SUPEROFFICE_CLIENT_ID,
  api,
})
tenantStatus.on('*', (n) => console.log(`superoffice tenant-status ${n.ChangeName} ${n.ContextIdentifier}`))

const app = new Koa()
app.use(superOfficeWebhooks(webhooks, { path: '/webhooks/superoffice' }))
app.use(superOfficeWebhooks(tenantStatus, { path: '/superoffice/tenant-status' }))
app.use((ctx) => {
  if (ctx.method === 'GET' && ctx.path === '/healthz') ctx.body = { status: 'ok' }
  else if (ctx.method === 'GET' && ctx.path === '/stats') ctx.body = stats
})

const server = app.listen(port, process.env.HOST, () => {
  console.error(`koa-example: listening on http://localhost:${port}, POST /webhooks/superoffice`)
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () =>
    server.close(async () => {
      await webhooks.close() // early-answered work, then the worker (bounded), then the inbox
      redis?.disconnect()
      process.exit(0)
    }),
  )
}
