import { createBullMQInbox } from '@superoffice-webhooks/bullmq'

const inbox = createBullMQInbox({ connection: 'redis://localhost:6379', fairness: { by: 'tenant', concurrency: 2 } })

// #region readme
const { tenants } = await inbox.stats({ byTenant: true })
const behind = Object.entries(tenants).filter(([, t]) => t.oldestWaitingMs > 10 * 60_000)

// #endregion readme
export { behind }
