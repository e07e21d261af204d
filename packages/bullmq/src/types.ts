import type {
  SuperOfficeInbox,
  SuperOfficeInboxJob,
  SuperOfficeJobProcessor,
  SuperOfficeWebhooks,
  SuperOfficeWorkerOptions,
} from '@superoffice-webhooks/core'
import type { KeepJobs, Queue, Worker } from 'bullmq'
import type { Cluster, Redis, RedisOptions } from 'ioredis'
import type { BullMQCoalesceOptions } from './coalesce.js'
import type { PgPoolLike } from './postgres-engine.js'

/**
 * Where the queue lives. Redis: a `redis://` URL, ioredis options, an ioredis instance, or an
 * ioredis `Cluster` for Redis Cluster (then `prefix` needs a hash tag, `'{superoffice}'`) (the
 * inbox makes its own ioredis clients from a URL or options, BullMQ 6 no longer bringing ioredis,
 * and hands BullMQ clients, so BullMQ 5 and 6 behave alike). PostgreSQL (BullMQ 6): a
 * `postgres://` URL (needs the `pg` package) or a `pg.Pool`.
 */
export type SuperOfficeInboxConnection = string | RedisOptions | Redis | Cluster | PgPoolLike

/**
 * Where the inbox writes its warnings (a Redis without persistence, a worker that could not
 * start, an attempt that timed out). Default `console`.
 *
 * @example
 * ```ts
 * const logger: BullMQInboxLogger = { warn: (m) => pino.warn(m), error: (m, e) => pino.error(e, m) }
 * ```
 */
export interface BullMQInboxLogger {
  warn(message: string, ...details: unknown[]): void
  error(message: string, ...details: unknown[]): void
}

/**
 * Options of {@link createBullMQInbox}.
 *
 * @example
 * ```ts
 * const options: BullMQInboxOptions = { connection: process.env.REDIS_URL!, attempts: 12 }
 * ```
 */
export interface BullMQInboxOptions {
  /** The Redis or PostgreSQL the queue lives in. */
  connection: SuperOfficeInboxConnection
  /** The queue's name. Default `superoffice-webhooks`. */
  queueName?: string
  /**
   * BullMQ's key prefix. Default BullMQ's own (`bull`). On Redis Cluster it must hold a hash tag,
   * `'{superoffice}'`, so a queue's keys share a slot; the inbox refuses one without.
   */
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
  /**
   * Accept a Redis whose `maxmemory-policy` is not `noeviction`. By default the inbox refuses one
   * at start (enqueue answers 500, workers do not start), because such a Redis may delete a job
   * that was already answered 200. Default `false`.
   */
  allowEvictingRedis?: boolean
  /**
   * How often the store's settings are checked again while the inbox runs (Redis: the eviction
   * policy, which can be changed live). A Redis that starts evicting is refused from then on:
   * deliveries are answered 500 and stay with SuperOffice, and the log says why. The settings are
   * also checked again before the first delivery after a lost connection. Default 30 s.
   */
  configCheckIntervalMs?: number
  /** Where warnings go, or `false` for none. Default `console`. */
  logger?: BullMQInboxLogger | false
  /**
   * PostgreSQL only: run BullMQ's schema migrations when the inbox opens (idempotent, under an
   * advisory lock, so several instances may start at once). Default `true`; `false` when
   * migrations are a deployment step of their own.
   */
  migrate?: boolean
  /**
   * Merge bursts: events for one row (tenant, Entity, PrimaryKey) matching `events` (default
   * `['*.changed']`) become one job carrying the last body, run after `delayMs` of quiet (default
   * 2 s) and at the latest `maxDelayMs` after the first (default 30 s). Handlers see
   * `context.coalesced` (how many, first and last EventId). `created` and `deleted` are never
   * merged; a `deleted` removes its row's pending merged change.
   */
  coalesce?: BullMQCoalesceOptions
  /**
   * `'entity'`: at most one job at a time per row (tenant, Entity, PrimaryKey) across every
   * worker; a job whose row is busy waits (delayed a moment, not failed, no attempt used).
   * Handlers can then drop stale writes safely with `context.isNewerThan(...)`.
   */
  orderBy?: 'entity'
  /**
   * `'tenant'`: tenants with waiting work are served in turns, so one tenant's burst never holds
   * another tenant's events behind it, and a lone tenant still gets every worker. It holds across
   * every worker process of the queue (each job's place is decided when it is stored), on Redis,
   * Redis Cluster and PostgreSQL. Built on BullMQ's priorities: a job's priority is its place in
   * its tenant's backlog, so every tenant's first waiting job comes before any tenant's second.
   *
   * `{ by: 'tenant', concurrency: 2 }` also caps each tenant: at most that many of its jobs run at
   * once across every worker, and the workers' other slots serve other tenants. A job of a tenant
   * at its cap waits (no attempt used) until one of the tenant's jobs finishes. The slots are locks
   * that expire, so a killed worker's slot is free again after `lockDuration`.
   */
  fairness?: 'tenant' | { by: 'tenant'; concurrency?: number }
}

/**
 * Options of `inbox.work`.
 *
 * @example
 * ```ts
 * inbox.work(webhooks, { concurrency: 10 })
 * ```
 */
export interface BullMQInboxWorkerOptions extends SuperOfficeWorkerOptions {
  /** Jobs run at once by this worker. Default 5. */
  concurrency?: number
  /** How long a job is locked while it runs; a crashed worker's job is taken over after it. Default 30 s. */
  lockDuration?: number
  /** How often stalled jobs (of crashed workers) are looked for. Default 30 s. */
  stalledInterval?: number
  /**
   * How long one attempt's handlers may run. An attempt still running then is failed (and retried
   * with backoff like any failure), so a handler that never settles frees its slot, and the
   * handlers' `context.signal` is aborted. With `orderBy: 'entity'` the row stays locked until the
   * abandoned handler settles (at most this long again, at least a minute), so its retry never
   * runs beside it. Default 5 minutes.
   */
  handlerTimeoutMs?: number
  /**
   * How long `close()` waits for running attempts. Those still running then are given back to
   * the queue (waiting, not failed) for another worker, and `close()` returns. Default 10 s.
   */
  closeTimeoutMs?: number
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
  /** The BullMQ worker, for its events, once it is started (see `started`). */
  readonly worker: Worker<SuperOfficeInboxJob> | undefined
  /**
   * Resolves once the Redis checks passed and the worker takes jobs; rejects when they refused
   * the Redis (the reason is also logged). A Redis that is down at start is waited for.
   */
  readonly started: Promise<void>
  /**
   * Stops taking jobs and waits for the running ones, at most `closeTimeoutMs`; attempts still
   * running then go back to the queue.
   */
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
 * One tenant's jobs, from `inbox.stats({ byTenant: true })`.
 *
 * @example
 * ```ts
 * const { tenants } = await inbox.stats({ byTenant: true })
 * for (const [tenant, t] of Object.entries(tenants)) if (t.oldestWaitingMs > 60_000) alert(tenant)
 * ```
 */
export interface BullMQTenantStats {
  /** Stored, ready to run. */
  waiting: number
  /** Running now. */
  active: number
  /** Waiting for a retry's backoff, a slot of the tenant's cap, a throttle or a busy row. */
  delayed: number
  /** Held because the tenant is paused. */
  parked: number
  /** In the dead letters. */
  failed: number
  /** How long the tenant's oldest job not yet run (waiting, delayed or parked) has been stored, in ms; 0 when none. */
  oldestWaitingMs: number
}

/**
 * `inbox.stats({ byTenant: true })`: the counts, and each tenant's (`''` for events without a
 * ContextIdentifier).
 *
 * @example
 * ```ts
 * const { waiting, tenants } = await inbox.stats({ byTenant: true })
 * ```
 */
export interface BullMQInboxStatsByTenant extends BullMQInboxStats {
  tenants: Record<string, BullMQTenantStats>
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
  /** The event name, or `undefined` when the job's data is gone. */
  event: string | undefined
  tenant: string | undefined
  eventId: string | undefined
  /** The body's PrimaryKey, when the stored body holds one. */
  primaryKey: number | string | undefined
  attempts: number
  /** The handler(s) whose failure ended the last attempt, as named in `failedReason`. */
  handler: string | undefined
  /** The last attempt's error: `Handler onSold failed: downstream answered 503`. */
  failedReason: string
  /** That error's stack, as the worker stored it. */
  stack: string | undefined
  failedAt: string | undefined
}

/**
 * Which stored events `inbox.replay` runs again.
 *
 * @example
 * ```ts
 * await inbox.replay({ since: '2026-11-25T08:00:00Z', events: ['sale.sold'], state: 'completed' })
 * await inbox.replay({ ids: ['so/Cust1/88f9…'] })
 * ```
 */
export type BullMQReplaySelector =
  | { ids: string[] }
  | {
      /** Jobs added at or after this time. */
      since?: Date | string
      /** Jobs added before this time. */
      until?: Date | string
      /** Only these event names. */
      events?: string[]
      /** `completed`, `failed`, or both (default). */
      state?: 'completed' | 'failed'
      /** At most this many. Default 10,000. */
      limit?: number
    }

/**
 * What `inbox.replay` did.
 *
 * @example
 * ```ts
 * const { replayed, ids } = await inbox.replay({ ids: [id] })
 * ```
 */
export interface BullMQReplayResult {
  /** How many jobs were queued again. */
  replayed: number
  /** The new jobs' ids. */
  ids: string[]
}

/**
 * What `inbox.purgeTenant` removed.
 *
 * @example
 * ```ts
 * const { total } = await inbox.purgeTenant('Cust12345')
 * ```
 */
export interface BullMQPurgeResult {
  /** Jobs removed, by the state they were in. */
  waiting: number
  delayed: number
  failed: number
  completed: number
  /** All of them. */
  total: number
}

/**
 * The inbox: give it to `createSuperOfficeWebhooks({ inbox })`, run `work` where handlers run.
 *
 * @example
 * ```ts
 * const inbox = createBullMQInbox({ connection: process.env.REDIS_URL! })
 * await inbox.pauseTenant('Cust12345') // suspended in SuperOffice: keep its events, run none
 * ```
 */
export interface BullMQInbox extends SuperOfficeInbox {
  /** Which store the queue lives in. */
  readonly engine: 'Redis' | 'PostgreSQL'
  /** The BullMQ queue (on PostgreSQL, once `ready()` has resolved; `undefined` before). */
  readonly queue: Queue | undefined
  /**
   * Starts a worker (in this or another process) that runs the receiver's handlers for each job:
   * `webhooks.start()` calls it with the receiver's `processJob`; a worker process may pass the
   * receiver itself.
   */
  work(
    process: SuperOfficeJobProcessor | Pick<SuperOfficeWebhooks, 'processJob'>,
    options?: BullMQInboxWorkerOptions,
  ): BullMQInboxWorker
  /** Job counts by state. */
  stats(): Promise<BullMQInboxStats>
  /**
   * Job counts by state, and by tenant: each tenant's waiting, running, delayed, parked and failed
   * jobs and the age of its oldest job not yet run. This reads every stored job that is not
   * handled (page by page), so it costs more than `stats()` on a large backlog: for a dashboard or
   * a metrics scrape, not for every request.
   */
  stats(options: { byTenant: true }): Promise<BullMQInboxStatsByTenant>
  stats(options?: { byTenant?: boolean }): Promise<BullMQInboxStats | BullMQInboxStatsByTenant>
  /** Jobs in the failed set (dead letters), newest first. */
  failed(options?: { limit?: number }): Promise<BullMQFailedJob[]>
  /**
   * Runs stored events again, after a handler's bug is fixed: by job id, or every job in the
   * `completed` and/or `failed` set added between `since` and `until`, of the given event names.
   * Each becomes a new job (its handlers see `context.replay`), so neither the queue's ids nor the
   * dedupe store drops it. At most `limit` (default 10,000) a call.
   */
  replay(which: BullMQReplaySelector): Promise<BullMQReplayResult>
  /** Sends failed jobs back to the queue: one by id, or all. Returns how many. */
  retry(which: { id: string } | { all: true }): Promise<number>
  /**
   * Stops running one tenant's jobs (SuperOffice suspended it): its deliveries are still answered
   * 200 and stored, and its jobs wait, parked, until {@link BullMQInbox.resumeTenant}. Kept in the
   * store, so it holds across restarts of the app and of Redis or PostgreSQL (with persistence).
   */
  pauseTenant(tenant: string): Promise<void>
  /** Runs a paused tenant's jobs again, the parked ones at once. Returns how many were parked. */
  resumeTenant(tenant: string): Promise<number>
  /**
   * Removes one tenant's stored work (SuperOffice deleted it): its waiting, parked, delayed,
   * failed and handled jobs (the handled ones are what drops a redelivery), by state. Jobs running
   * now finish.
   */
  purgeTenant(tenant: string): Promise<BullMQPurgeResult>
  /** Whether a tenant is paused. */
  isTenantPaused(tenant: string): Promise<boolean>
  /**
   * Checks the Redis once (its eviction policy and persistence); resolves when the inbox can take
   * events, rejects with the reason when it refuses the Redis. `enqueue` and `work` wait for it
   * themselves; call it at start-up to fail fast.
   */
  ready(): Promise<void>
  /** Closes the queue's connection (and every worker started by `work`). */
  close(): Promise<void>
}
