// #region readme
// server/superoffice/inbox.ts
import { createBullMQInbox } from '@superoffice-webhooks/bullmq'

export default () => (process.env.REDIS_URL ? createBullMQInbox({ connection: process.env.REDIS_URL }) : undefined)
// #endregion readme
