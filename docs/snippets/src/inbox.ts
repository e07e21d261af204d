declare const crm: { markWon(saleId: number): Promise<void> }

// #region readme
import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'

const inbox = createBullMQInbox({ connection: process.env.REDIS_URL! }) // redis://…, options or an ioredis client
await inbox.ready() // refuses a Redis that may evict jobs (maxmemory-policy must be noeviction)
const webhooks = createSuperOfficeWebhooks({ secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!, inbox })

// Handlers run in the worker, retried with backoff (12 attempts over about 8.5 hours by default).
webhooks.on('sale.sold', async (event) => crm.markWon(event.PrimaryKey))

// The worker, in this process or in a separate one that registers the same handlers. An attempt
// still running after handlerTimeoutMs fails and is retried, so a hung handler frees its slot.
await webhooks.start({ concurrency: 10, handlerTimeoutMs: 60_000 })
// Running jobs get up to closeTimeoutMs (10 s), then go back to the queue; then the inbox closes.
process.once('SIGTERM', () => webhooks.close())
// #endregion readme
