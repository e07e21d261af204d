import type { SuperOfficeInbox, SuperOfficeInboxJob, SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { type ConnectionOptions, type Job, type KeepJobs, Queue, Worker } from 'bullmq'

/** Where the inbox's Redis is: a `redis://` URL, BullMQ connection options, or an ioredis instance. */
export type SuperOfficeInboxConnection = string | ConnectionOptions

/**
 * Options of {@link createBullMQInbox}.
 *
 * @example
 * ```ts
 * const options: BullMQInboxOptions = { connection: process.env.REDIS_URL!, attempts: 12 }
 * ```
 */
export interface BullMQInboxOptions {
  /** The Redis the queue lives in. */
  connection: SuperOfficeInboxConnection
  /** The queue's name. Default `superoffice-webhooks`. */
  queueName?: string
  /** BullMQ's key prefix. Default BullMQ's own (`bull`). */
  prefix?: string
  /**
   * How many times a job's handlers are tried. Default 12: with the default backoff that is
   * about 8.5 hours of retries, long enough to outlast most downstream outages.
   */
  attempts?: number
  /** The delay between tries. Default exponential from 15 seconds (15 s, 30 s, 1 min, … 4.3 h). */
  backoff?: { type: 'exponential' | 'fixed'; delay: number }
  /**
   * How long handled jobs are kept. Their ids are what drops a redelivery of the same event, so
   * this must cover SuperOffice's redeliveries. Default 24 hours.
   */
  removeOnComplete?: KeepJobs | boolean | number
  /** How long jobs whose last attempt failed stay in the failed set (dead letters). Default 30 days. */
  removeOnFail?: KeepJobs | boolean | number
  /** How long `enqueue` may take before the delivery is answered 500 `inbox_unavailable`. Default 2000 ms. */
  enqueueTimeoutMs?: number
}

/**
 * Options of `inbox.work`.
 *
 * @example
 * ```ts
 * inbox.work(webhooks, { concurrency: 10 })
 * ```
 */
export interface BullMQInboxWorkerOptions {
  /** Jobs run at once by this worker. Default 5. */
  concurrency?: number
  /** How long a job is locked while it runs; a crashed worker's job is taken over after it. Default 30 s. */
  lockDuration?: number
  /** How often stalled jobs (of crashed workers) are looked for. Default 30 s. */
  stalledInterval?: number
}

/**
 * A running worker.
 *
 * @example
 * ```ts
 * const worker = inbox.work(webhooks)
 * process.on('SIGTERM', () => worker.close())
 * ```
 */
export interface BullMQInboxWorker {
  /** The BullMQ worker, for its events. */
  readonly worker: Worker<SuperOfficeInboxJob>
  /** Stops taking jobs and waits for the running ones. */
  close(): Promise<void>
}

/**
 * Counts of the inbox's jobs by state.
 *
 * @example
 * ```ts
 * const { failed, waiting } = await inbox.stats()
 * ```
 */
export interface BullMQInboxStats {
  waiting: number
  active: number
  delayed: number
  completed: number
  failed: number
}

/**
 * A job that ran out of attempts.
 *
 * @example
 * ```ts
 * for (const job of await inbox.failed()) console.log(job.id, job.event, job.failedReason)
 * ```
 */
export interface BullMQFailedJob {
  id: string
  event: string
  tenant: string | undefined
  eventId: string | undefined
  attempts: number
  failedReason: string
  failedAt: string | undefined
}

/**
 * The inbox: give it to `createSuperOfficeWebhooks({ inbox })`, run `work` where handlers run.
 *
 * @example
 * ```ts
 * const inbox = createBullMQInbox({ connection: process.env.REDIS_URL! })
 * ```
 */
export interface BullMQInbox extends SuperOfficeInbox {
  /** The BullMQ queue. */
  readonly queue: Queue
  /** Starts a worker (in this or another process) that runs the receiver's handlers for each job. */
  work(webhooks: SuperOfficeWebhooks, options?: BullMQInboxWorkerOptions): BullMQInboxWorker
  /** Job counts by state. */
  stats(): Promise<BullMQInboxStats>
  /** Jobs in the failed set (dead letters), newest first. */
  failed(options?: { limit?: number }): Promise<BullMQFailedJob[]>
  /** Sends failed jobs back to the queue: one by id, or all. Returns how many. */
  retry(which: { id: string } | { all: true }): Promise<number>
  /** Closes the queue's connection (and every worker started by `work`). */
  close(): Promise<void>
}

const DAY = 24 * 60 * 60

/**
 * Creates a durable inbox on BullMQ. The pipeline verifies and validates each delivery, adds it
 * as a job (its id made from tenant and EventId, so a redelivery is dropped), and answers 200
 * only once Redis has stored it; when Redis cannot be reached it answers 500
 * `inbox_unavailable`, so SuperOffice retries. Workers run the handlers and retry a failing job
 * with backoff for hours; after the last attempt it stays in the failed set.
 *
 * @example
 * ```ts
 * import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
 * import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
 *
 * const inbox = createBullMQInbox({ connection: process.env.REDIS_URL! })
 * const webhooks = createSuperOfficeWebhooks({ secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!, inbox })
 * webhooks.on('sale.sold', async (event) => crm.markWon(event.PrimaryKey)) // runs in the worker
 * inbox.work(webhooks) // here, or in a worker process with the same handlers
 * ```
 */
export function createBullMQInbox(options: BullMQInboxOptions): BullMQInbox {
  const queueName = options.queueName ?? 'superoffice-webhooks'
  const base = connectionOptions(options.connection)
  const prefix = options.prefix === undefined ? {} : { prefix: options.prefix }
  // The producer fails fast while Redis is down (no offline queue): an event that is not stored
  // must be answered 500 at once, never 200 and never after SuperOffice has given up waiting.
  const queue: Queue = new Queue(queueName, {
    connection: isClient(base) ? base : ({ ...base, enableOfflineQueue: false, maxRetriesPerRequest: 1 } as Base),
    ...prefix,
  })
  queue.on('error', () => {}) // reported per delivery as inbox_unavailable
  const jobOptions = {
    attempts: options.attempts ?? 12,
    backoff: options.backoff ?? { type: 'exponential' as const, delay: 15_000 },
    removeOnComplete: options.removeOnComplete ?? { age: DAY },
    removeOnFail: options.removeOnFail ?? { age: 30 * DAY },
  }
  const timeoutMs = options.enqueueTimeoutMs ?? 2000
  const workers = new Set<BullMQInboxWorker>()

  return {
    queue,
    async enqueue(job) {
      let timer: ReturnType<typeof setTimeout> | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not store the job within ${timeoutMs} ms`)), timeoutMs)
      })
      try {
        await Promise.race([
          queue.add(job.event, job, job.id === undefined ? jobOptions : { ...jobOptions, jobId: job.id }),
          timeout,
        ])
      } finally {
        clearTimeout(timer)
      }
    },
    work(webhooks, workerOptions = {}) {
      const worker = new Worker<SuperOfficeInboxJob>(
        queueName,
        (job: Job<SuperOfficeInboxJob>) => webhooks.processJob(job.data),
        {
          // Workers block on Redis; BullMQ needs them to retry forever rather than give up.
          connection: isClient(base) ? base : ({ ...base, maxRetriesPerRequest: null } as Base),
          concurrency: workerOptions.concurrency ?? 5,
          ...(workerOptions.lockDuration === undefined ? {} : { lockDuration: workerOptions.lockDuration }),
          ...(workerOptions.stalledInterval === undefined ? {} : { stalledInterval: workerOptions.stalledInterval }),
          ...prefix,
        },
      )
      worker.on('error', () => {}) // connection errors: BullMQ reconnects; job failures are logged by core
      const handle: BullMQInboxWorker = {
        worker,
        async close() {
          workers.delete(handle)
          await worker.close()
        },
      }
      workers.add(handle)
      return handle
    },
    async stats() {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed')
      return {
        waiting: counts.waiting ?? 0,
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        completed: counts.completed ?? 0,
        failed: counts.failed ?? 0,
      }
    },
    async failed({ limit = 100 } = {}) {
      const jobs = await queue.getFailed(0, limit - 1)
      return (jobs as Job<SuperOfficeInboxJob>[]).map((job) => ({
        id: String(job.id),
        event: job.data.event,
        tenant: job.data.tenant,
        eventId: job.data.eventId,
        attempts: job.attemptsMade,
        failedReason: job.failedReason,
        failedAt: job.finishedOn === undefined ? undefined : new Date(job.finishedOn).toISOString(),
      }))
    },
    async retry(which) {
      if ('id' in which) {
        const job = await queue.getJob(which.id)
        if (!job || !(await job.isFailed())) return 0
        await job.retry('failed')
        return 1
      }
      const count = (await queue.getJobCounts('failed')).failed ?? 0
      await queue.retryJobs({ state: 'failed', count: 1000 })
      return count
    },
    async close() {
      await Promise.all([...workers].map((w) => w.close()))
      await queue.close()
    },
  }
}

type Base = ConnectionOptions

/** An ioredis instance (which BullMQ reuses) rather than options (from which it connects). */
function isClient(connection: Base): boolean {
  return typeof (connection as { duplicate?: unknown }).duplicate === 'function'
}

/** A `redis://` or `rediss://` URL becomes ioredis options; anything else is passed on. */
function connectionOptions(connection: SuperOfficeInboxConnection): Base {
  if (typeof connection !== 'string') return connection
  const url = new URL(connection)
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TypeError(`createBullMQInbox: connection must be a redis:// or rediss:// URL, not ${url.protocol}`)
  }
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 6379,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(db === undefined || Number.isNaN(db) ? {} : { db }),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  }
}
