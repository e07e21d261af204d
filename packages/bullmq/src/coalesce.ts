import type { SuperOfficeCoalesced, SuperOfficeInboxJob } from '@superoffice-webhooks/core'
import { COALESCED_EVENT_IDS_KEPT, inboxJobId, isNewerTimestamp } from '@superoffice-webhooks/core/adapter'
import type { JobsOptions, Queue } from 'bullmq'

/**
 * Coalescing: a burst of events for one row (tenant, Entity, PrimaryKey) becomes one job.
 *
 * @example
 * ```ts
 * createBullMQInbox({ connection, coalesce: { events: ['*.changed'], delayMs: 2000, maxDelayMs: 30_000 } })
 * ```
 */
export interface BullMQCoalesceOptions {
  /** Which events are merged: names or patterns. Default `['*.changed']`. `created` and `deleted` never are. */
  events?: string[]
  /** The job runs after this much quiet for its row. Default 2000 ms. */
  delayMs?: number
  /** ...and at the latest this long after the burst's first event. Default 30 s. */
  maxDelayMs?: number
}

/**
 * The row a job is about, or `undefined` when its body names none. Tenant and Entity are encoded
 * as core encodes a job id's parts (URI-encoded, a lone surrogate as `%uD800`): any text SuperOffice
 * sends makes a distinct key, and none throws.
 */
export function rowOf(job: SuperOfficeInboxJob): string | undefined {
  if (job.primaryKey === undefined || job.entity === undefined) return undefined
  return `${inboxJobId(job.tenant, job.entity).slice(3)}/${job.primaryKey}`
}

function matcher(pattern: string): (name: string) => boolean {
  if (pattern === '*') return () => true
  if (pattern.startsWith('*.')) return (name) => name.endsWith(pattern.slice(1))
  if (pattern.endsWith('.*')) return (name) => name.startsWith(pattern.slice(0, -1))
  return (name) => name === pattern
}

/** What the coalescer needs of the engine: a short lock per row, and small values per row. */
export interface CoalesceStore {
  /** Runs `work` holding the row's merge lock (one merge of a row at a time, across processes). */
  withRowLock<T>(row: string, work: () => Promise<T>): Promise<T>
  /** The newest Timestamp a handled job of the row carried, if any is remembered. */
  handledMark(row: string): Promise<string | undefined>
  /** The job queued to run after the row's running one (BullMQ keeps it out of sight), with its priority. */
  nextOf(row: string): Promise<{ job: SuperOfficeInboxJob; priority?: number | undefined } | undefined>
  /** Remembers (or, with `undefined`, forgets) the job queued after the row's running one. */
  setNext(row: string, next: { job: SuperOfficeInboxJob; priority?: number | undefined } | undefined): Promise<void>
}

/** The union of two `Changes` lists, first spelling kept, compared without regard to case. */
export function unionOfChanges(a: readonly string[] | undefined, b: readonly string[] | undefined): string[] {
  const out = [...(a ?? [])]
  const seen = new Set(out.map((c) => c.toLowerCase()))
  for (const change of b ?? []) {
    if (!seen.has(change.toLowerCase())) {
      seen.add(change.toLowerCase())
      out.push(change)
    }
  }
  return out
}

/** The merge of a pending job's `coalesced` with one more event (its id and Changes). */
function merged(
  before: SuperOfficeInboxJob | undefined,
  job: SuperOfficeInboxJob,
  newest: SuperOfficeInboxJob,
): SuperOfficeCoalesced {
  const prior: SuperOfficeCoalesced | undefined =
    before?.coalesced ??
    (before
      ? {
          count: 1,
          firstEventId: before.eventId,
          lastEventId: before.eventId,
          firstReceivedAt: before.receivedAt,
          eventIds: before.eventId === undefined ? [] : [before.eventId],
          changes: before.changes ?? [],
        }
      : undefined)
  const ids = prior?.eventIds ?? []
  return {
    count: (prior?.count ?? 0) + 1,
    firstEventId: prior ? prior.firstEventId : job.eventId,
    lastEventId: newest.eventId,
    firstReceivedAt: prior?.firstReceivedAt ?? job.receivedAt,
    eventIds: job.eventId === undefined || ids.length >= COALESCED_EVENT_IDS_KEPT ? ids : [...ids, job.eventId],
    changes: unionOfChanges(prior?.changes, job.changes),
  }
}

/**
 * The enqueue step with coalescing, on BullMQ's deduplication (`replace` keeps the last body and
 * restarts the delay while the job waits; `keepLastIfActive` keeps the last body arriving while
 * one runs and queues it after, so a row's merged job never runs twice at once). Ours on top: the
 * `maxDelayMs` BullMQ lacks (the delay shrinks so the burst's first event waits no longer), the
 * count, the EventIds and the union of every merged event's `Changes`, the newest body always
 * kept (merges of one row are serialised by a lock, so two events arriving together cannot both
 * read the same pending job), an event older than the row's running or handled job dropped, and a
 * `deleted` removing a pending merged `changed` of its row.
 */
export function createCoalescer(
  options: BullMQCoalesceOptions,
  jobOptions: JobsOptions,
  store: CoalesceStore,
  placeOf: (job: SuperOfficeInboxJob) => Promise<{ priority?: number }>,
  leave: (job: SuperOfficeInboxJob) => unknown,
) {
  const delayMs = options.delayMs ?? 2000
  const maxDelayMs = options.maxDelayMs ?? 30_000
  if (!(delayMs >= 0) || !(maxDelayMs >= delayMs)) {
    throw new RangeError('coalesce: delayMs must be >= 0 and maxDelayMs >= delayMs.')
  }
  const matchers = (options.events ?? ['*.changed']).map(matcher)
  const merges = (name: string) =>
    !name.endsWith('.created') && !name.endsWith('.deleted') && matchers.some((match) => match(name))
  const older = (job: SuperOfficeInboxJob, than: string | undefined) =>
    job.timestamp !== undefined && than !== undefined && !isNewerTimestamp(job.timestamp, than)

  /** The row's merged job, when one is waiting (delayed) or running (active). */
  const currentOf = async (queue: Queue, id: string) => {
    const jobId = await queue.getDeduplicationJobId(id)
    if (!jobId) return undefined
    const job = await queue.getJob(jobId)
    if (!job) return undefined
    if (await job.isDelayed()) return { job, state: 'delayed' as const }
    if (await job.isActive()) return { job, state: 'active' as const }
    return undefined
  }

  /** Adds the job, merged with its row's pending one where it applies; `false` when not ours to add. */
  return async (queue: Queue, job: SuperOfficeInboxJob): Promise<boolean> => {
    const row = rowOf(job)
    if (row === undefined) return false
    const id = `co/${row}`
    if (job.event.endsWith('.deleted')) {
      // The row is gone: its pending merged change has nothing left to fetch.
      await store.withRowLock(row, async () => {
        const current = await currentOf(queue, id)
        if (current?.state === 'delayed') {
          await current.job.remove().catch(() => {})
          await queue.removeDeduplicationKey(id).catch(() => 0)
          await leave(current.job.data as SuperOfficeInboxJob)
        }
      })
      return false
    }
    if (!merges(job.event)) return false
    return store.withRowLock(row, async () => {
      // A redelivery of an event the row's handled job already covered (an older or equal Timestamp).
      if (older(job, await store.handledMark(row))) return true
      const current = await currentOf(queue, id)
      const before = current?.job.data as SuperOfficeInboxJob | undefined
      let data: SuperOfficeInboxJob
      let place: { priority?: number } | undefined
      if (current?.state === 'active') {
        // Older than the body running now: that run already sees a newer state of the row.
        if (older(job, before?.timestamp)) return true
        // A running job is not merged into (its handler has its body already): the arriving one
        // joins the row's next job, queued after it by keepLastIfActive, whose data we keep too.
        const next = await store.nextOf(row)
        const after = next?.job
        data =
          after && older(job, after.timestamp)
            ? { ...after, coalesced: merged(after, job, after) }
            : { ...job, coalesced: merged(after, job, job) }
        place = next ? (next.priority === undefined ? {} : { priority: next.priority }) : await placeOf(data)
        await store.setNext(row, { job: data, ...place })
      } else {
        if (current === undefined) await store.setNext(row, undefined)
        if (before && current && older(job, before.timestamp)) {
          // An older event arriving late: the pending job keeps its newer body and gains its changes.
          await current.job.updateData({ ...before, coalesced: merged(before, job, before) }).catch(() => {})
          return true
        }
        data = { ...job, coalesced: merged(before, job, job) }
      }
      const first = Date.parse(data.coalesced?.firstReceivedAt ?? job.receivedAt)
      const delay = Math.max(0, Math.min(delayMs, first + maxDelayMs - Date.now()))
      // A merge replaces the pending job and keeps its place; a new job of the row takes one.
      if (place === undefined) {
        const replaced = current?.state === 'delayed' ? current.job.opts.priority : undefined
        place =
          current?.state === 'delayed' ? (replaced === undefined ? {} : { priority: replaced }) : await placeOf(data)
      }
      await queue.add(data.event, data, {
        ...jobOptions,
        ...place,
        ...(data.id === undefined ? {} : { jobId: data.id }),
        delay,
        deduplication: { id, replace: true, keepLastIfActive: true },
      })
      return true
    })
  }
}
