import { randomUUID } from 'node:crypto'
import {
  isNewerTimestamp,
  type SuperOfficeInbox,
  type SuperOfficeInboxJob,
  type SuperOfficeJobProcessor,
  type SuperOfficeWebhooks,
  type SuperOfficeWorkerOptions,
} from '@superoffice-webhooks/core'
import { DelayedError, type Job, type KeepJobs, type Queue, WaitingError, type Worker } from 'bullmq'
import type { Cluster, Redis, RedisOptions } from 'ioredis'
import { type BullMQCoalesceOptions, type CoalesceStore, createCoalescer, rowOf } from './coalesce.js'
import { type Engine, sleep, withTimeout } from './engine.js'
import { describeJob, failedJob } from './failed-jobs.js'
import { isPostgresConnection, type PgPoolLike, postgresEngine } from './postgres-engine.js'
import { redisEngine } from './redis-engine.js'
import { createTenantGate, tenantKey } from './tenants.js'

export type { BullMQCoalesceOptions } from './coalesce.js'
export type { PgPoolLike } from './postgres-engine.js'

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

const DAY = 24 * 60 * 60
const HANDLER_TIMEOUT_MS = 5 * 60_000
/** BullMQ's largest priority; a tenant with a longer backlog shares its last place. */
const MAX_PRIORITY = 2_097_152
/** How far ahead a paused tenant's job is parked (resumeTenant promotes it sooner). */
const PARKED_MS = 365 * 24 * 60 * 60_000
/** A row lock's time to live (renewed while its job runs): BullMQ's own job lock duration. */
const ROW_LOCK_TTL_MS = 30_000
/** The least time a row stays held for a handler that outlived its attempt. */
const ABANDONED_HOLD_MS = 60_000
const CLOSE_TIMEOUT_MS = 10_000
/** How long a tenant's list of jobs waiting for a slot is kept after its last entry. */
const WAITING_LIST_TTL_MS = 24 * 60 * 60_000
/** The longest a SuperOffice throttle holds a tenant's jobs, whatever its Retry-After says. */
const MAX_THROTTLE_MS = 60 * 60_000
/** How many times one job is held for a throttle before a throttled attempt counts as failed. */
const MAX_THROTTLED_HOLDS = 20
/** How long a refusal of the Redis stands before the settings are read again (they may be fixed live). */
const RECHECK_REFUSED_MS = 10_000
const CONFIG_CHECK_MS = 30_000

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
  const jobOptions = {
    attempts: options.attempts ?? 12,
    backoff: options.backoff ?? { type: 'exponential' as const, delay: 15_000 },
    removeOnComplete: options.removeOnComplete ?? { age: DAY },
    removeOnFail: options.removeOnFail ?? { age: 30 * DAY },
  }
  // Coalescing's bookkeeping, kept as long as handled jobs are (their ids drop redeliveries).
  const keptMs = keepMsOf(jobOptions.removeOnComplete)
  const coalesceStore: CoalesceStore = {
    async withRowLock(row, work) {
      const key = `co-lock/${row}`
      const token = randomUUID()
      for (let delay = 2; !(await engine.lockRow(key, token, 10_000)); delay = Math.min(delay * 2, 50)) {
        await sleep(delay + Math.random() * delay)
      }
      try {
        return await work()
      } finally {
        await engine.unlockRow(key, token).catch(() => {})
      }
    },
    handledMark: (row) => engine.getValue(`co-handled/${row}`),
    async nextOf(row) {
      const text = await engine.getValue(`co-next/${row}`)
      return text === undefined
        ? undefined
        : (JSON.parse(text) as { job: SuperOfficeInboxJob; priority?: number | undefined })
    },
    setNext: (row, next) => engine.setValue(`co-next/${row}`, next && JSON.stringify(next), 60 * 60_000),
  }
  // Fair share: a job's priority is its place in its tenant's backlog (jobs stored and not yet
  // finished), so the queue takes every tenant's first job before any tenant's second.
  const fair = fairnessOf(options.fairness)
  const backlogKey = (tenant: string | undefined) => `fair-backlog/${tenantKey(tenant)}`
  const backlogTtl = Math.max(keptMs, 7 * DAY * 1000)
  const placeOf = async (job: SuperOfficeInboxJob): Promise<{ priority?: number }> => {
    if (!fair) return {}
    const place = await engine.addToCounter(backlogKey(job.tenant), 1, backlogTtl)
    return { priority: Math.min(Math.max(place, 1), MAX_PRIORITY) }
  }
  /** A job left the tenant's backlog (done, or failed for good). */
  const leaveBacklog = (job: SuperOfficeInboxJob | undefined) =>
    fair && job ? engine.addToCounter(backlogKey(job.tenant), -1, backlogTtl).catch(() => 0) : undefined
  // Tenant lifecycle, throttles and caps: values and locks in the store, read by every worker.
  const gate = createTenantGate(engine, { concurrency: fair?.concurrency })
  /** Promotes the first job waiting for one of the tenant's slots (stale entries are skipped). */
  const wakeNext = async (tenant: string | undefined) => {
    const q = engine.queue
    if (!q || fair?.concurrency === undefined) return
    for (let tries = 0; tries < 50; tries++) {
      const id = await gate.next(tenant)
      if (id === undefined) return
      const waiting = (await q.getJob(id)) as Job<SuperOfficeInboxJob> | undefined
      if (!waiting?.data?.waitingForSlot) continue
      try {
        await waiting.promote()
        return
      } catch {} // no longer delayed (taken by its fallback, or purged): the next one
    }
  }
  /** Every job of a tenant in the given states, page by page. */
  const jobsOfTenant = async (
    q: Queue,
    tenant: string,
    states: ('waiting' | 'prioritized' | 'delayed' | 'failed' | 'completed')[],
  ) => {
    const found: Job<SuperOfficeInboxJob>[] = []
    for (const state of states) {
      for (let start = 0; ; start += 500) {
        const page = (await q.getJobs([state], start, start + 499)) as (Job<SuperOfficeInboxJob> | undefined)[]
        for (const job of page) if (job?.data?.tenant === tenant) found.push(job)
        if (page.length < 500) break
      }
    }
    return found
  }
  const coalescer = options.coalesce
    ? createCoalescer(options.coalesce, jobOptions, coalesceStore, placeOf, leaveBacklog)
    : undefined
  /** After a row's job ran: its Timestamp, if newer than the row's mark (a later redelivery of an older event is dropped). */
  const markHandled = async (job: SuperOfficeInboxJob) => {
    const row = rowOf(job)
    if (row === undefined || job.timestamp === undefined) return
    await coalesceStore.withRowLock(row, async () => {
      const mark = await coalesceStore.handledMark(row)
      if (mark === undefined || isNewerTimestamp(job.timestamp, mark)) {
        await engine.setValue(`co-handled/${row}`, job.timestamp, keptMs)
      }
    })
  }
  if (options.orderBy !== undefined && options.orderBy !== 'entity') {
    throw new TypeError(`createBullMQInbox: orderBy must be 'entity', not '${String(options.orderBy)}'.`)
  }
  const workers = new Set<BullMQInboxWorker>()
  let closed = false

  // The start-up: once passed, never again; a refusal stands for a while (the settings may be
  // fixed live); a store that could not be reached is asked again on the next call.
  let opened = false
  let opening: Promise<void> | undefined
  let refusal: { error: Error; at: number } | undefined
  const ready = (): Promise<void> => {
    if (opened) return Promise.resolve()
    if (closed) return Promise.reject(new Error('The inbox is closed.'))
    if (refusal && Date.now() - refusal.at < RECHECK_REFUSED_MS) return Promise.reject(refusal.error)
    opening ??= engine
      .open()
      .then(
        () => {
          refusal = undefined
          opened = true
        },
        (error: unknown) => {
          if (engine.refused(error)) refusal = { error: error as Error, at: Date.now() }
          throw error
        },
      )
      .finally(() => {
        opening = undefined
      })
    return opening
  }
  // Started at once, so a refused store is named in the log at boot, not at the first event.
  ready().catch((error: unknown) => {
    if (engine.refused(error)) logger?.error(`superoffice-webhooks: ${(error as Error).message}`)
  })
  // The settings checked at start can change later (CONFIG SET, a failover to a replica with
  // other settings): checked again on a timer and after every lost connection. A refusal turns the
  // inbox back to "not open", so deliveries are answered 500 until the settings are right.
  const recheck = async () => {
    if (!opened || closed || !engine.recheck) return
    try {
      await engine.recheck()
    } catch (error) {
      if (!engine.refused(error) || !opened) return
      opened = false
      refusal = { error: error as Error, at: Date.now() }
      logger?.error(`superoffice-webhooks: ${(error as Error).message}`)
    }
  }
  const checkTimer = engine.recheck
    ? setInterval(() => void recheck(), options.configCheckIntervalMs ?? CONFIG_CHECK_MS)
    : undefined
  checkTimer?.unref()
  engine.onReconnect?.(() => {
    // The server that answers now may not be the one checked: the next delivery waits for a check.
    opened = false
  })
  const queue = async (): Promise<Queue> => {
    await ready()
    return engine.queue as Queue
  }

  const inbox: BullMQInbox = {
    engine: engine.name,
    get queue() {
      return engine.queue
    },
    ready,
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
        if (!opened) await ready()
        if (!engine.connected()) throw new Error(`${engine.name} is not connected`)
        const q = engine.queue as Queue
        if (coalescer && (await coalescer(q, job))) return
        const place = await placeOf(job)
        await q.add(job.event, job, { ...jobOptions, ...place, ...(job.id === undefined ? {} : { jobId: job.id }) })
      }
      const storing = store()
      storing.catch(() => {}) // when the timeout wins, a later rejection is nobody's to hear
      try {
        await Promise.race([storing, timeout])
      } finally {
        clearTimeout(timer)
      }
    },
    work(target, workerOptions = {}) {
      const run: SuperOfficeJobProcessor =
        typeof target === 'function' ? target : (job, attempt) => target.processJob(job, attempt)
      const handlerTimeoutMs = workerOptions.handlerTimeoutMs ?? HANDLER_TIMEOUT_MS
      const closeTimeoutMs = workerOptions.closeTimeoutMs ?? CLOSE_TIMEOUT_MS
      if (!(handlerTimeoutMs > 0)) throw new RangeError('handlerTimeoutMs must be a positive number.')
      const running = new Map<string, Running>()
      // A busy row: on Redis the job goes back to wait a moment (delayed jobs are promoted at
      // once). PostgreSQL's backend wakes for delayed jobs less eagerly, so there the worker
      // keeps the job and asks again, backing off, for up to a few seconds first.
      // A row's lock lives for the job lock's duration and is renewed while its handler runs, so a
      // crashed worker's row is free again soon after (not only after handlerTimeoutMs).
      const rowTtl = workerOptions.lockDuration ?? ROW_LOCK_TTL_MS
      const lockRow = async (row: string, rowToken: string) => {
        if (await engine.lockRow(row, rowToken, rowTtl)) return true
        if (engine.name !== 'PostgreSQL') return false
        const deadline = Date.now() + 5_000
        for (let delay = 10; Date.now() < deadline; delay = Math.min(delay * 2, 200)) {
          await sleep(delay + Math.random() * delay)
          if (await engine.lockRow(row, rowToken, rowTtl)) return true
        }
        return false
      }
      /** Keeps a row locked until `release()`; renewed every third of its time to live. */
      const holdRow = (row: string, rowToken: string) => {
        const renew = setInterval(() => {
          engine.renewRow(row, rowToken, rowTtl).catch(() => {})
        }, rowTtl / 3)
        return async () => {
          clearInterval(renew)
          await engine.unlockRow(row, rowToken).catch(() => {})
        }
      }
      let stopping = false
      let worker: Worker<SuperOfficeInboxJob> | undefined

      const processor = async (job: Job<SuperOfficeInboxJob>, token?: string) => {
        const abort = new AbortController()
        const attempt = {
          id: job.id,
          attempt: job.attemptsMade + 1,
          attempts: job.opts.attempts ?? 1,
          signal: abort.signal,
          // A throttled failure is held (below), not the job's last, while holds remain.
          holdsThrottled: (job.data?.throttled ?? 0) < MAX_THROTTLED_HOLDS,
        }
        const tenant = job.data?.tenant
        if (job.data) {
          const hold = await gate.hold(tenant)
          // A paused tenant's job is parked (delayed far ahead, marked) until resumeTenant promotes it.
          if (hold.paused) {
            await job.updateData({ ...job.data, parked: true })
            await job.moveToDelayed(Date.now() + PARKED_MS, token)
            throw new DelayedError()
          }
          // SuperOffice throttles the tenant: its jobs wait until then, no attempt used.
          if (hold.throttledUntil !== undefined) {
            await job.moveToDelayed(hold.throttledUntil + Math.floor(Math.random() * 1000), token)
            throw new DelayedError()
          }
        }
        // A cap per tenant: one of its slots, or the job waits on the tenant's list for the next free one.
        const capped = fair?.concurrency !== undefined && job.data !== undefined
        const slot = capped ? await gate.takeSlot(tenant, randomUUID(), rowTtl) : undefined
        if (capped && job.data && !slot) {
          if (!job.data.waitingForSlot) await job.updateData({ ...job.data, waitingForSlot: true })
          await job.moveToDelayed(Date.now() + slotFallbackMs(job, rowTtl), token)
          await gate.wait(tenant, String(job.id), WAITING_LIST_TTL_MS)
          // A slot freed meanwhile, its holder finding the list still empty: look once more.
          const freed = await gate.takeSlot(tenant, randomUUID(), rowTtl)
          if (freed) {
            await freed.release()
            await wakeNext(tenant)
          }
          throw new DelayedError()
        }
        if (job.data?.waitingForSlot) {
          const { waitingForSlot: _, ...data } = job.data
          await job.updateData(data)
          job.data = data
        }
        const freeSlot = async () => {
          if (!slot) return
          await slot.release()
          await wakeNext(tenant).catch(() => {})
        }
        // Ordered work: the row's lock first (its wait is not the handlers' time); a busy row sends
        // the job back to wait a moment.
        const row = options.orderBy === 'entity' && job.data ? rowOf(job.data) : undefined
        const rowToken = randomUUID()
        if (row !== undefined && !(await lockRow(row, rowToken))) {
          await freeSlot()
          await job.moveToDelayed(Date.now() + 50 + Math.floor(Math.random() * 200), token)
          throw new DelayedError()
        }
        let timer: ReturnType<typeof setTimeout> | undefined
        const entry = { job, token, interrupt: (_: Error) => {} }
        const interrupted = new Promise<never>((_, reject) => {
          entry.interrupt = (error) => {
            abort.abort(error)
            reject(error)
          }
          timer = setTimeout(() => {
            const error = new Error(
              `The handlers did not settle within ${handlerTimeoutMs} ms (handlerTimeoutMs); the attempt is failed and retried with backoff.`,
            )
            error.name = 'SuperOfficeHandlerTimeout'
            logger?.error(
              `superoffice-webhooks: handler_timeout (inbox job attempt ${attempt.attempt} of ${attempt.attempts}) ${describeJob(job)}: ${error.message}`,
            )
            abort.abort(error)
            reject(error)
          }, handlerTimeoutMs)
        })
        const heldRow = row === undefined ? undefined : holdRow(row, rowToken)
        const release = async () => {
          await heldRow?.()
          await freeSlot()
        }
        const key = token ?? String(job.id)
        running.set(key, entry)
        const handlers = Promise.resolve().then(() => run(job.data, attempt))
        let settled = false
        handlers.then(
          () => (settled = true),
          () => (settled = true),
        )
        try {
          await Promise.race([handlers, interrupted])
          if (coalescer && job.data) await markHandled(job.data).catch(() => {})
          await leaveBacklog(job.data)
        } catch (error) {
          // SuperOffice throttled the tenant past what the API client waits: the tenant's jobs wait
          // the time it asked for, this one included, without using an attempt (a bounded number
          // of times, so a tenant throttled for ever still reaches its dead letters).
          const after = throttledForMs(error)
          if (after !== undefined && job.data && (job.data.throttled ?? 0) < MAX_THROTTLED_HOLDS) {
            const until = Date.now() + Math.min(after, MAX_THROTTLE_MS)
            await gate.throttle(tenant, until).catch(() => {})
            logger?.warn(
              `superoffice-webhooks: SuperOffice throttles tenant ${tenant ?? '(none)'}: its jobs wait ${Math.round((until - Date.now()) / 1000)} s, no attempt used (${describeJob(job)})`,
            )
            await job.updateData({ ...job.data, throttled: (job.data.throttled ?? 0) + 1 })
            await job.moveToDelayed(until + Math.floor(Math.random() * 1000), token)
            throw new DelayedError()
          }
          // The last attempt failed: the job leaves its tenant's backlog for the dead letters.
          if (attempt.attempt >= attempt.attempts && !(error instanceof WaitingError)) await leaveBacklog(job.data)
          throw error
        } finally {
          clearTimeout(timer)
          running.delete(key)
          if (row === undefined && !slot) {
            // nothing was held
          } else if (settled) await release()
          else {
            // The attempt was given up while its handler still runs: the row (and the tenant's
            // slot) stays held until that handler settles (its context.signal has fired), so the
            // retry never runs beside it; at most handlerTimeoutMs (and never less than a minute) more.
            const bound = setTimeout(() => void release(), Math.max(handlerTimeoutMs, ABANDONED_HOLD_MS))
            handlers.then(
              () => {
                clearTimeout(bound)
                void release()
              },
              () => {
                clearTimeout(bound)
                void release()
              },
            )
          }
        }
      }

      // The worker takes jobs only once the store is open; one that is down is waited for.
      const started = (async () => {
        for (let delay = 250; ; delay = Math.min(delay * 2, 10_000)) {
          if (stopping) return
          try {
            await ready()
            break
          } catch (error) {
            if (engine.refused(error) || closed) throw error
            await sleep(delay)
          }
        }
        if (stopping) return
        worker = engine.worker(processor, {
          concurrency: workerOptions.concurrency ?? 5,
          autorun: false,
          ...(workerOptions.lockDuration === undefined ? {} : { lockDuration: workerOptions.lockDuration }),
          ...(workerOptions.stalledInterval === undefined ? {} : { stalledInterval: workerOptions.stalledInterval }),
        })
        worker.on('error', () => {}) // connection errors: BullMQ reconnects; attempts are logged by core
        worker.run().catch((error: unknown) => logger?.error('superoffice-webhooks: the inbox worker stopped', error))
      })()
      started.catch((error: unknown) =>
        logger?.error(`superoffice-webhooks: the inbox worker did not start: ${(error as Error).message}`),
      )

      const handle: BullMQInboxWorker = {
        get worker() {
          return worker
        },
        started,
        async close() {
          if (stopping) return
          stopping = true
          workers.delete(handle)
          if (!worker) return
          const closing = worker.close()
          let timer: ReturnType<typeof setTimeout> | undefined
          const late = await Promise.race([
            closing.then(() => false),
            new Promise<boolean>((resolve) => {
              timer = setTimeout(() => resolve(true), closeTimeoutMs)
            }),
          ])
          clearTimeout(timer)
          if (late) {
            // Attempts still running go back to the queue for another worker, unfailed; their
            // processors are released so BullMQ's close can finish.
            await Promise.all(
              [...running.values()].map(async ({ job, token, interrupt }) => {
                try {
                  await job.moveToWait(token)
                } catch (error) {
                  logger?.warn(`superoffice-webhooks: could not give back ${describeJob(job)}`, error)
                }
                interrupt(new WaitingError())
              }),
            )
            await closing
          }
        },
      }
      workers.add(handle)
      return handle
    },
    // One body for both overloads: without byTenant the answer has no `tenants`.
    async stats(options?: { byTenant?: boolean }): Promise<BullMQInboxStatsByTenant> {
      const q = await queue()
      const counts = await q.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed')
      const totals: BullMQInboxStats = {
        // Jobs placed by priority (fairness) wait too.
        waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        completed: counts.completed ?? 0,
        failed: counts.failed ?? 0,
      }
      if (!options?.byTenant) return totals as BullMQInboxStatsByTenant
      const tenants: Record<string, BullMQTenantStats> = {}
      const now = Date.now()
      for (const [state, bullStates] of [
        ['waiting', ['waiting', 'prioritized']],
        ['active', ['active']],
        ['delayed', ['delayed']],
        ['failed', ['failed']],
      ] as const) {
        for (const bullState of bullStates) {
          for (let start = 0; ; start += 500) {
            const page = (await q.getJobs([bullState], start, start + 499)) as (Job<SuperOfficeInboxJob> | undefined)[]
            for (const job of page) {
              if (!job) continue
              const tenant = job.data?.tenant ?? ''
              tenants[tenant] ??= { waiting: 0, active: 0, delayed: 0, parked: 0, failed: 0, oldestWaitingMs: 0 }
              const t = tenants[tenant]
              if (state === 'delayed' && job.data?.parked) t.parked++
              else t[state]++
              if (state === 'waiting' || state === 'delayed') {
                t.oldestWaitingMs = Math.max(t.oldestWaitingMs, now - job.timestamp)
              }
            }
            if (page.length < 500) break
          }
        }
      }
      return { ...totals, tenants }
    },
    async failed({ limit = 100 } = {}) {
      const jobs = (await (await queue()).getFailed(0, limit - 1)) as (Job<SuperOfficeInboxJob> | undefined)[]
      return jobs.filter((job): job is Job<SuperOfficeInboxJob> => job !== undefined).map(failedJob)
    },
    async replay(which) {
      const q = await queue()
      const at = new Date()
      const selected: Job<SuperOfficeInboxJob>[] = []
      if ('ids' in which) {
        for (const id of which.ids) {
          const job = (await q.getJob(id)) as Job<SuperOfficeInboxJob> | undefined
          if (job) selected.push(job)
        }
      } else {
        const limit = which.limit ?? 10_000
        const since = which.since === undefined ? Number.NEGATIVE_INFINITY : new Date(which.since).getTime()
        const until = which.until === undefined ? Number.POSITIVE_INFINITY : new Date(which.until).getTime()
        if (Number.isNaN(since) || Number.isNaN(until)) throw new RangeError('replay: since and until must be dates.')
        const states = which.state ? [which.state] : (['completed', 'failed'] as const)
        for (const state of states) {
          for (let start = 0; selected.length < limit; start += 500) {
            const page = (await q.getJobs([state], start, start + 499)) as (Job<SuperOfficeInboxJob> | undefined)[]
            for (const job of page) {
              if (!job || selected.length >= limit) continue
              if (job.timestamp < since || job.timestamp >= until) continue
              if (which.events && !which.events.includes(job.data?.event)) continue
              selected.push(job)
            }
            if (page.length < 500) break
          }
        }
      }
      const ids: string[] = []
      for (const job of selected) {
        if (typeof job.data?.body !== 'string') continue // its data is gone: nothing to run
        const of = job.data.replay?.of ?? String(job.id)
        const id = `${of}/replay/${at.getTime()}`
        const data = { ...job.data, replay: { of, at: at.toISOString() } }
        await q.add(job.data.event, data, { ...jobOptions, ...(await placeOf(data)), jobId: id })
        ids.push(id)
      }
      return { replayed: ids.length, ids }
    },
    async retry(which) {
      const q = await queue()
      if ('id' in which) {
        const job = await q.getJob(which.id)
        if (!job || !(await job.isFailed())) return 0
        await job.retry('failed')
        if (fair) await placeOf(job.data as SuperOfficeInboxJob) // back in its tenant's backlog
        return 1
      }
      if (fair) {
        // One by one, so each returns to its own tenant's backlog.
        let retried = 0
        for (;;) {
          const page = (await q.getJobs(['failed'], 0, 499)) as (Job<SuperOfficeInboxJob> | undefined)[]
          const jobs = page.filter((job): job is Job<SuperOfficeInboxJob> => job !== undefined)
          if (jobs.length === 0) return retried
          for (const job of jobs) {
            await job.retry('failed')
            await placeOf(job.data)
            retried++
          }
        }
      }
      const count = (await q.getJobCounts('failed')).failed ?? 0
      await q.retryJobs({ state: 'failed', count: 1000 })
      return count
    },
    async pauseTenant(tenant) {
      // Bounded like a delivery's store: a store that does not answer fails the call, not hangs it.
      const bound = Math.max(timeoutMs, 5000)
      await withTimeout(ready(), bound, `${engine.name} did not answer`)
      await withTimeout(gate.pause(tenant, PARKED_MS), bound, `${engine.name} did not store the pause`)
      gate.forget(tenant)
    },
    async isTenantPaused(tenant) {
      await ready()
      gate.forget(tenant)
      return (await gate.hold(tenant)).paused
    },
    async resumeTenant(tenant) {
      const q = await queue()
      await withTimeout(gate.unpause(tenant), Math.max(timeoutMs, 5000), `${engine.name} did not store the resume`)
      gate.forget(tenant)
      let resumed = 0
      for (const job of await jobsOfTenant(q, tenant, ['delayed'])) {
        if (!job.data?.parked) continue
        const { parked: _parked, ...data } = job.data
        await job.updateData(data)
        await job.promote().catch(() => {}) // already taken by a worker: nothing to promote
        resumed++
      }
      return resumed
    },
    async purgeTenant(tenant) {
      const q = await queue()
      const result: BullMQPurgeResult = { waiting: 0, delayed: 0, failed: 0, completed: 0, total: 0 }
      for (const [state, states] of [
        ['waiting', ['waiting', 'prioritized']],
        ['delayed', ['delayed']],
        ['failed', ['failed']],
        ['completed', ['completed']],
      ] as const) {
        for (const job of await jobsOfTenant(q, tenant, [...states])) {
          try {
            await job.remove()
            result[state]++
            result.total++
          } catch {} // taken by a worker meanwhile: it finishes
        }
      }
      // Its backlog is gone: its next job is first in its turn again.
      if (fair) await engine.setValue(backlogKey(tenant), undefined, 0)
      if (fair?.concurrency !== undefined) await gate.clear(tenant)
      return result
    },
    async close() {
      if (closed) return
      closed = true
      clearInterval(checkTimer)
      await Promise.all([...workers].map((w) => w.close()))
      await engine.close()
    },
  }
  return inbox
}

interface Running {
  job: Job<SuperOfficeInboxJob>
  token: string | undefined
  interrupt(error: Error): void
}

/** How long handled jobs are kept (`removeOnComplete`), in ms: a day when it does not say. */
function keepMsOf(keep: KeepJobs | boolean | number | undefined): number {
  if (typeof keep === 'object' && keep !== null && 'age' in keep && typeof keep.age === 'number') return keep.age * 1000
  return 24 * 60 * 60_000
}

function fairnessOf(option: BullMQInboxOptions['fairness']): { concurrency: number | undefined } | undefined {
  if (option === undefined) return undefined
  if (option === 'tenant') return { concurrency: undefined }
  if (typeof option === 'object' && option !== null && option.by === 'tenant') {
    const { concurrency } = option
    if (concurrency === undefined) return { concurrency: undefined }
    if (Number.isInteger(concurrency) && concurrency > 0) return { concurrency }
    throw new RangeError(
      `createBullMQInbox: fairness.concurrency must be a whole number of at least 1, not ${JSON.stringify(concurrency)}.`,
    )
  }
  throw new TypeError(
    `createBullMQInbox: fairness must be 'tenant' or { by: 'tenant', concurrency? }, not ${JSON.stringify(option)}.`,
  )
}

/**
 * How long a job waiting for its tenant's slot stays delayed if nobody wakes it (a killed worker's
 * slot, which expires after `slotTtlMs`, frees no waiter): twice the slot's time to live, more the
 * deeper the job sits in its tenant's backlog, so a long backlog does not come back all at once.
 */
function slotFallbackMs(job: Job<SuperOfficeInboxJob>, slotTtlMs: number): number {
  const place = job.opts.priority ?? 1
  const base = 2 * slotTtlMs
  return Math.min(base * (1 + Math.floor(place / 100)), 60 * 60_000) + Math.floor(Math.random() * base)
}

/** The wait a throttled handler's error asks for (`SuperOfficeJobError.retryAfterMs`), or `undefined`. */
function throttledForMs(error: unknown): number | undefined {
  const after = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs
  return typeof after === 'number' && Number.isFinite(after) && after > 0 ? after : undefined
}
