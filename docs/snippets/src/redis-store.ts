declare const secret: string

// #region readme
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { createRedisDedupeStore } from '@superoffice-webhooks/redis'
import { Redis } from 'ioredis' // or: createClient({ url }) from 'redis', connected

const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 })
const webhooks = createSuperOfficeWebhooks({
  secret,
  dedupe: {
    store: createRedisDedupeStore(redis, { prefix: 'so-hooks:', commandTimeoutMs: 1000 }),
    ttlSeconds: 24 * 60 * 60, // how long a handled EventId is remembered
    claimTtlSeconds: 5 * 60, // how long a claim holds while handlers run (a crash frees it after)
    onStoreError: 'refuse', // or 'accept'
  },
})

// #endregion readme
export { webhooks }
