import { randomUUID } from 'node:crypto'
import type { SuperOfficeInboxJob, SuperOfficeJobProcessor, SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { DelayedError, type Job, WaitingError, type Worker } from 'bullmq'
import { rowOf } from './coalesce.js'
import { sleep } from './engine.js'
import { describeJob } from './failed-jobs.js'
import type { InboxState } from './state.js'
import type { BullMQInboxWorker, BullMQInboxWorkerOptions } from './types.js'

const HANDLER_TIMEOUT_MS = 5 * 60_000
/** How far ahead a paused tenant's job is parked (resumeTenant promotes it sooner). */
export const PARKED_MS = 365 * 24 * 60 * 60_000
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

interface Running {
  job: Job<SuperOfficeInboxJob>
  token: string | undefined
  interrupt(error: Error): void
}

/**
 * A worker for the inbox's queue: each job's tenant checked first (paused: parked; throttled by
 * SuperOffice: delayed until then; at its cap: waiting for a slot), then its row's lock (ordered
 * work), then the handlers with a time limit. A SuperOffice throttle met by a handler holds the
 * tenant without using an attempt; a last attempt that fails leaves the tenant's backlog.
 */
export function startWorker(
  state: InboxState,
  target: SuperOfficeJobProcessor | Pick<SuperOfficeWebhooks, 'processJob'>,
  workerOptions: BullMQInboxWorkerOptions = {},
): BullMQInboxWorker {
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
    if (await state.engine.lockRow(row, rowToken, rowTtl)) return true
    if (state.engine.name !== 'PostgreSQL') return false
    const deadline = Date.now() + 5_000
    for (let delay = 10; Date.now() < deadline; delay = Math.min(delay * 2, 200)) {
      await sleep(delay + Math.random() * delay)
      if (await state.engine.lockRow(row, rowToken, rowTtl)) return true
    }
    return false
  }
  /** Keeps a row locked until `release()`; renewed every third of its time to live. */
  const holdRow = (row: string, rowToken: string) => {
    const renew = setInterval(() => {
      state.engine.renewRow(row, rowToken, rowTtl).catch(() => {})
    }, rowTtl / 3)
    return async () => {
      clearInterval(renew)
      await state.engine.unlockRow(row, rowToken).catch(() => {})
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
      const hold = await state.gate.hold(tenant)
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
    const capped = state.fair?.concurrency !== undefined && job.data !== undefined
    const slot = capped ? await state.gate.takeSlot(tenant, randomUUID(), rowTtl) : undefined
    if (capped && job.data && !slot) {
      if (!job.data.waitingForSlot) await job.updateData({ ...job.data, waitingForSlot: true })
      await job.moveToDelayed(Date.now() + slotFallbackMs(job, rowTtl), token)
      await state.gate.wait(tenant, String(job.id), WAITING_LIST_TTL_MS)
      // A slot freed meanwhile, its holder finding the list still empty: look once more.
      const freed = await state.gate.takeSlot(tenant, randomUUID(), rowTtl)
      if (freed) {
        await freed.release()
        await state.wakeNext(tenant)
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
      await state.wakeNext(tenant).catch(() => {})
    }
    // Ordered work: the row's lock first (its wait is not the handlers' time); a busy row sends
    // the job back to wait a moment.
    const row = state.options.orderBy === 'entity' && job.data ? rowOf(job.data) : undefined
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
        state.logger?.error(
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
      if (state.coalescer && job.data) await state.markHandled(job.data).catch(() => {})
      await state.leaveBacklog(job.data)
    } catch (error) {
      // SuperOffice throttled the tenant past what the API client waits: the tenant's jobs wait
      // the time it asked for, this one included, without using an attempt (a bounded number
      // of times, so a tenant throttled for ever still reaches its dead letters).
      const after = throttledForMs(error)
      if (after !== undefined && job.data && (job.data.throttled ?? 0) < MAX_THROTTLED_HOLDS) {
        const until = Date.now() + Math.min(after, MAX_THROTTLE_MS)
        await state.gate.throttle(tenant, until).catch(() => {})
        state.logger?.warn(
          `superoffice-webhooks: SuperOffice throttles tenant ${tenant ?? '(none)'}: its jobs wait ${Math.round((until - Date.now()) / 1000)} s, no attempt used (${describeJob(job)})`,
        )
        await job.updateData({ ...job.data, throttled: (job.data.throttled ?? 0) + 1 })
        await job.moveToDelayed(until + Math.floor(Math.random() * 1000), token)
        throw new DelayedError()
      }
      // The last attempt failed: the job leaves its tenant's backlog for the dead letters.
      if (attempt.attempt >= attempt.attempts && !(error instanceof WaitingError)) await state.leaveBacklog(job.data)
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
        await state.startup.ready()
        break
      } catch (error) {
        if (state.engine.refused(error) || state.startup.closed) throw error
        await sleep(delay)
      }
    }
    if (stopping) return
    worker = state.engine.worker(processor, {
      concurrency: workerOptions.concurrency ?? 5,
      autorun: false,
      ...(workerOptions.lockDuration === undefined ? {} : { lockDuration: workerOptions.lockDuration }),
      ...(workerOptions.stalledInterval === undefined ? {} : { stalledInterval: workerOptions.stalledInterval }),
    })
    worker.on('error', () => {}) // connection errors: BullMQ reconnects; attempts are logged by core
    worker.run().catch((error: unknown) => state.logger?.error('superoffice-webhooks: the inbox worker stopped', error))
  })()
  started.catch((error: unknown) =>
    state.logger?.error(`superoffice-webhooks: the inbox worker did not start: ${(error as Error).message}`),
  )

  const handle: BullMQInboxWorker = {
    get worker() {
      return worker
    },
    started,
    async close() {
      if (stopping) return
      stopping = true
      state.workers.delete(handle)
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
              state.logger?.warn(`superoffice-webhooks: could not give back ${describeJob(job)}`, error)
            }
            interrupt(new WaitingError())
          }),
        )
        await closing
      }
    },
  }
  state.workers.add(handle)
  return handle
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
