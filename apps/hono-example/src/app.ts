// SuperOffice webhooks in Hono: the webhook route hands Hono's web Request to core's one request
// entry (`handleRequest`), so the same app runs on Node (@hono/node-server), Bun, Deno and Workers.
import { sValidator } from '@hono/standard-validator'
import {
  createSuperOfficeApi,
  createSuperOfficeTenantStatus,
  superOfficeApiOptionsFromEnv,
} from '@superoffice-webhooks/api'
import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { createSuperOfficeWebhooks, superOfficeEventStandardSchema } from '@superoffice-webhooks/core'
import { Hono } from 'hono'

const env = process.env
if (!env.SUPEROFFICE_WEBHOOK_SECRET) {
  console.error('hono-example: set SUPEROFFICE_WEBHOOK_SECRET to the secret of your SuperOffice webhook.')
  process.exit(1)
}

// Inbox mode (REDIS_URL and SUPEROFFICE_INBOX=bullmq): events are queued before the answer and this
// process runs the worker.
const inbox =
  env.SUPEROFFICE_INBOX === 'bullmq' && env.REDIS_URL ? createBullMQInbox({ connection: env.REDIS_URL }) : undefined

// SuperOffice Online (SUPEROFFICE_APP_TOKEN, SUPEROFFICE_PRIVATE_KEY, SUPEROFFICE_SYSTEM_USER_TOKEN,
// SUPEROFFICE_ENVIRONMENT): handlers fetch the entity behind their event.
const apiOptions = superOfficeApiOptionsFromEnv()
const api = apiOptions ? createSuperOfficeApi(apiOptions) : undefined

export const webhooks = createSuperOfficeWebhooks({
  secret: env.SUPEROFFICE_WEBHOOK_SECRET,
  ...(api ? { api } : {}),
  ...(inbox ? { inbox } : {}),
})
const stats = { sold: 0, saleEvents: 0, events: 0 }

webhooks.on('sale.sold', async (event, context) => {
  stats.sold++
  if (api) {
    const sale = await context.fetchEntity()
    console.log(`superoffice fetched sale ${event.PrimaryKey}: ${sale ? sale.Heading : '(deleted)'}`)
  }
})
webhooks.on('sale.*', () => void stats.saleEvents++)
webhooks.onAny((event) => {
  stats.events++
  console.log(
    `superoffice event=${event.Event} key=${event.PrimaryKey} tenant=${event.ContextIdentifier} id=${event.EventId}`,
  )
})
if (inbox) {
  webhooks.start().catch((error: unknown) => {
    console.error(`hono-example: the inbox worker did not start: ${(error as Error).message}`)
    process.exit(1)
  })
}

const tenantStatus = createSuperOfficeTenantStatus({
  environment: apiOptions?.environment ?? 'online',
  applicationId: process.env.SUPEROFFICE_CLIENT_ID,
  api,
})
tenantStatus.on('*', (n) => console.log(`superoffice tenant-status ${n.ChangeName} ${n.ContextIdentifier}`))

export const app = new Hono()
// Every method goes to the receiver: it answers 405 with `Allow: POST` itself. The raw Request
// keeps the exact bytes the signature is over, so no body middleware may run before this route.
app.all('/webhooks/superoffice', (c) => webhooks.handleRequest(c.req.raw))
app.all('/superoffice/tenant-status', (c) => tenantStatus.handleRequest(c.req.raw))
app.get('/healthz', (c) => c.text('ok'))
app.get('/stats', (c) => c.json(stats))

// The zod schemas are Standard Schema: any validator that takes one takes them. Here, events that
// another service of yours already verified and forwards internally (INTERNAL_TOKEN), checked by
// shape with Hono's Standard Schema validator: 400 for a body that is not a SuperOffice event.
app.post(
  '/internal/events',
  async (c, next) => {
    if (!env.INTERNAL_TOKEN || c.req.header('authorization') !== `Bearer ${env.INTERNAL_TOKEN}`) {
      return c.json({ ok: false, error: 'unauthorized' }, 401)
    }
    await next()
  },
  sValidator('json', superOfficeEventStandardSchema, (result, c) => {
    if (!result.success) return c.json({ ok: false, error: 'invalid_event', issues: result.error.length }, 400)
  }),
  (c) => {
    const event = c.req.valid('json')
    console.log(`internal event=${event.Event} id=${event.EventId}`)
    return c.json({ ok: true })
  },
)

/** Closes the inbox and its worker (on SIGTERM). */
export const close = () => webhooks.close()
