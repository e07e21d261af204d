import { randomUUID } from 'node:crypto'
import type { SuperOfficeInboxJob } from '@superoffice-webhooks/core'
import { isNewerTimestamp } from '@superoffice-webhooks/core/adapter'
import type { Job, KeepJobs, Queue } from 'bullmq'
import { type CoalesceStore, createCoalescer, rowOf } from './coalesce.js'
import { type Engine, type EngineLogger, sleep } from './engine.js'
import type { Startup } from './startup.js'
import { createTenantGate, type TenantGate, tenantKey } from './tenants.js'
import type { BullMQInboxOptions, BullMQInboxWorker } from './types.js'

const DAY = 24 * 60 * 60
/** BullMQ's largest priority; a tenant with a longer backlog shares its last place. */
const MAX_PRIORITY = 2_097_152

/** What the inbox's parts share: the engine, the job options, and the per-tenant and per-row state. */
export interface InboxState {
  engine: Engine
  options: BullMQInboxOptions
  logger: EngineLogger | undefined
  startup: Startup
  /** How long `enqueue` may take. */
  timeoutMs: number
  jobOptions: {
    attempts: number
    backoff: { type: 'exponential' | 'fixed'; delay: number }
    removeOnComplete: KeepJobs | boolean | number
    removeOnFail: KeepJobs | boolean | number
  }
  /** Fair share per tenant, and its cap. */
  fair: { concurrency: number | undefined } | undefined
  gate: TenantGate
  coalescer: ReturnType<typeof createCoalescer> | undefined
  workers: Set<BullMQInboxWorker>
  /** A job's place in its tenant's backlog, as a BullMQ priority (fairness), or nothing. */
  placeOf(job: SuperOfficeInboxJob): Promise<{ priority?: number }>
  /** A job left its tenant's backlog (done, or failed for good). */
  leaveBacklog(job: SuperOfficeInboxJob | undefined): Promise<number> | undefined
  backlogKey(tenant: string | undefined): string
  /** Promotes the first job waiting for one of the tenant's slots (stale entries are skipped). */
  wakeNext(tenant: string | undefined): Promise<void>
  /** After a row's job ran: its Timestamp, if newer than the row's mark (a later redelivery of an older event is dropped). */
  markHandled(job: SuperOfficeInboxJob): Promise<void>
  /** Every job of a tenant in the given states, page by page. */
  jobsOfTenant(
    q: Queue,
    tenant: string,
    states: ('waiting' | 'prioritized' | 'delayed' | 'failed' | 'completed')[],
  ): Promise<Job<SuperOfficeInboxJob>[]>
}

/**
 * The state behind one inbox. Fair share: a job's priority is its place in its tenant's backlog
 * (jobs stored and not yet finished, a counter per tenant), so the queue takes every tenant's first
 * job before any tenant's second. Coalescing's bookkeeping is kept as long as handled jobs are
 * (their ids drop redeliveries).
 */
export function createInboxState(
  engine: Engine,
  options: BullMQInboxOptions,
  logger: EngineLogger | undefined,
  startup: Startup,
): InboxState {
  if (options.orderBy !== undefined && options.orderBy !== 'entity') {
    throw new TypeError(`createBullMQInbox: orderBy must be 'entity', not '${String(options.orderBy)}'.`)
  }
  const jobOptions = {
    attempts: options.attempts ?? 12,
    backoff: options.backoff ?? { type: 'exponential' as const, delay: 15_000 },
    removeOnComplete: options.removeOnComplete ?? { age: DAY },
    removeOnFail: options.removeOnFail ?? { age: 30 * DAY },
  }
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
  const fair = fairnessOf(options.fairness)
  const backlogKey = (tenant: string | undefined) => `fair-backlog/${tenantKey(tenant)}`
  const backlogTtl = Math.max(keptMs, 7 * DAY * 1000)
  const placeOf = async (job: SuperOfficeInboxJob): Promise<{ priority?: number }> => {
    if (!fair) return {}
    const place = await engine.addToCounter(backlogKey(job.tenant), 1, backlogTtl)
    return { priority: Math.min(Math.max(place, 1), MAX_PRIORITY) }
  }
  const leaveBacklog = (job: SuperOfficeInboxJob | undefined) =>
    fair && job ? engine.addToCounter(backlogKey(job.tenant), -1, backlogTtl).catch(() => 0) : undefined
  // Tenant lifecycle, throttles and caps: values and locks in the store, read by every worker.
  const gate = createTenantGate(engine, { concurrency: fair?.concurrency })
  return {
    engine,
    options,
    logger,
    startup,
    timeoutMs: options.enqueueTimeoutMs ?? 2000,
    jobOptions,
    fair,
    gate,
    coalescer: options.coalesce
      ? createCoalescer(options.coalesce, jobOptions, coalesceStore, placeOf, leaveBacklog)
      : undefined,
    workers: new Set(),
    placeOf,
    leaveBacklog,
    backlogKey,
    async wakeNext(tenant) {
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
    },
    async markHandled(job) {
      const row = rowOf(job)
      if (row === undefined || job.timestamp === undefined) return
      await coalesceStore.withRowLock(row, async () => {
        const mark = await coalesceStore.handledMark(row)
        if (mark === undefined || isNewerTimestamp(job.timestamp, mark)) {
          await engine.setValue(`co-handled/${row}`, job.timestamp, keptMs)
        }
      })
    },
    async jobsOfTenant(q, tenant, states) {
      const found: Job<SuperOfficeInboxJob>[] = []
      for (const state of states) {
        for (let start = 0; ; start += 500) {
          const page = (await q.getJobs([state], start, start + 499)) as (Job<SuperOfficeInboxJob> | undefined)[]
          for (const job of page) if (job?.data?.tenant === tenant) found.push(job)
          if (page.length < 500) break
        }
      }
      return found
    },
  }
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
