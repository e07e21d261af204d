import { createBullMQInbox } from '@superoffice-webhooks/bullmq'

declare const nodes: { host: string; port: number }[]

// #region readme
import { Cluster } from 'ioredis'

const inbox = createBullMQInbox({
  connection: new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: null } }),
  prefix: '{superoffice}',
})
// #endregion readme
await inbox.close()
