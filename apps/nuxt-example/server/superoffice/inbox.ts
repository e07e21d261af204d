import { createBullMQInbox } from '@superoffice-webhooks/bullmq'

// The app's durable inbox: the module takes this file's default export, queues deliveries in it
// and runs the handler files in its worker. Called once at run time, so it reads the environment:
// SUPEROFFICE_INBOX=bullmq and REDIS_URL switch it on, as in the other examples.
export default () =>
  process.env.SUPEROFFICE_INBOX === 'bullmq' && process.env.REDIS_URL
    ? createBullMQInbox({ connection: process.env.REDIS_URL })
    : undefined
