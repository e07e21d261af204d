import type { Queue } from 'bullmq'
import type { Cluster, Redis, RedisOptions } from 'ioredis'
import type { Engine } from './engine.js'
import { createOperations } from './operations.js'
import { isPostgresConnection, type PgPoolLike, postgresEngine } from './postgres-engine.js'
import { redisEngine } from './redis-engine.js'
import { createStartup } from './startup.js'
import { createInboxState } from './state.js'
import type { BullMQInbox, BullMQInboxOptions } from './types.js'
import { startWorker } from './worker.js'

export type { BullMQCoalesceOptions } from './coalesce.js'
export type { PgPoolLike } from './postgres-engine.js'
export type {
  BullMQFailedJob,
  BullMQInbox,
  BullMQInboxLogger,
  BullMQInboxOptions,
  BullMQInboxStats,
  BullMQInboxStatsByTenant,
  BullMQInboxWorker,
  BullMQInboxWorkerOptions,
  BullMQPurgeResult,
  BullMQReplayResult,
  BullMQReplaySelector,
  BullMQTenantStats,
  SuperOfficeInboxConnection,
} from './types.js'

/**
 * Creates a durable inbox on BullMQ 5 or 6, on Redis or (BullMQ 6) PostgreSQL. The pipeline verifies and validates each delivery,
 * adds it as a job (its id made from tenant and EventId, so a redelivery is dropped), and answers
 * 200 only once Redis has stored it; when Redis cannot be reached it answers 500
 * `inbox_unavailable`, so SuperOffice retries. Workers run the handlers and retry a failing job
 * with backoff for hours; after the last attempt it stays in the failed set with the failing
 * handler's name, message and stack.
 *
 * At start the inbox reads the settings its promise depends on: on Redis it refuses one that may
 * evict keys (`maxmemory-policy` other than `noeviction`) unless `allowEvictingRedis` is set, and
 * warns once when Redis does not persist to disk; on PostgreSQL it runs BullMQ's migrations and
 * warns when `fsync` is off.
 *
 * @example
 * ```ts
 * import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
 * import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
 *
 * const inbox = createBullMQInbox({ connection: process.env.REDIS_URL! }) // or 'postgres://…' (BullMQ 6, pg)
 * await inbox.ready() // fails fast on an evicting Redis
 * const webhooks = createSuperOfficeWebhooks({ secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!, inbox })
 * webhooks.on('sale.sold', async (event) => crm.markWon(event.PrimaryKey)) // runs in the worker
 * const worker = inbox.work(webhooks, { handlerTimeoutMs: 60_000 }) // here, or in a worker process
 * process.once('SIGTERM', () => worker.close())
 * ```
 */
export function createBullMQInbox(options: BullMQInboxOptions): BullMQInbox {
  const queueName = options.queueName ?? 'superoffice-webhooks'
  const logger = options.logger === false ? undefined : (options.logger ?? console)
  const timeoutMs = options.enqueueTimeoutMs ?? 2000
  const engine: Engine = isPostgresConnection(options.connection)
    ? postgresEngine({
        connection: options.connection as string | PgPoolLike,
        queueName,
        timeoutMs,
        migrate: options.migrate !== false,
        logger,
      })
    : redisEngine({
        connection: options.connection as string | RedisOptions | Redis | Cluster,
        queueName,
        prefix: options.prefix,
        timeoutMs,
        allowEvictingRedis: options.allowEvictingRedis === true,
        logger,
      })
  const startup = createStartup(engine, logger, options.configCheckIntervalMs)
  const state = createInboxState(engine, options, logger, startup)
  return {
    engine: engine.name,
    get queue() {
      return engine.queue
    },
    ready: startup.ready,
    async enqueue(job) {
      // One bound for the whole delivery, the start-up checks included: a store that is down
      // costs each delivery at most enqueueTimeoutMs before its 500.
      let timer: ReturnType<typeof setTimeout> | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${engine.name} did not store the job within ${timeoutMs} ms`)),
          timeoutMs,
        )
      })
      const store = async () => {
        if (!startup.opened) await startup.ready()
        if (!engine.connected()) throw new Error(`${engine.name} is not connected`)
        const q = engine.queue as Queue
        if (state.coalescer && (await state.coalescer(q, job))) return
        const place = await state.placeOf(job)
        await q.add(job.event, job, {
          ...state.jobOptions,
          ...place,
          ...(job.id === undefined ? {} : { jobId: job.id }),
        })
      }
      const storing = store()
      storing.catch(() => {}) // when the timeout wins, a later rejection is nobody's to hear
      try {
        await Promise.race([storing, timeout])
      } finally {
        clearTimeout(timer)
      }
    },
    work: (target, workerOptions) => startWorker(state, target, workerOptions),
    ...createOperations(state),
    async close() {
      if (startup.closed) return
      startup.close()
      await Promise.all([...state.workers].map((w) => w.close()))
      await engine.close()
    },
  }
}
