declare const crm: { markWon(saleId: number): Promise<void> }

// #region readme
import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'

const inbox = createBullMQInbox({ connection: process.env.REDIS_URL! }) // redis://…, options or an ioredis client
const webhooks = createSuperOfficeWebhooks({ secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!, inbox })

// Handlers run in the worker, retried with backoff (12 attempts over about 8.5 hours by default).
webhooks.on('sale.sold', async (event) => crm.markWon(event.PrimaryKey))

// In this process, or in a separate worker process that registers the same handlers.
const worker = inbox.work(webhooks, { concurrency: 10 })
process.once('SIGTERM', async () => {
  await worker.close() // lets running jobs finish
  await inbox.close()
})
// #endregion readme
