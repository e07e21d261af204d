import { inboxJobId, isNewerTimestamp, type SuperOfficeInboxJob } from '@superoffice-webhooks/core'
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

/**
 * The enqueue step with coalescing, on BullMQ's deduplication (`replace` keeps the last body and
 * restarts the delay while the job waits; `keepLastIfActive` keeps the last body arriving while
 * one runs and queues it after, so a row's merged job never runs twice at once). Ours on top: the
 * `maxDelayMs` BullMQ lacks (the delay shrinks so the burst's first event waits no longer), the
 * count and first EventId, an older redelivery never replacing a newer body, and a `deleted`
 * removing a pending merged `changed` of its row.
 */
export function createCoalescer(options: BullMQCoalesceOptions, jobOptions: JobsOptions) {
  const delayMs = options.delayMs ?? 2000
  const maxDelayMs = options.maxDelayMs ?? 30_000
  if (!(delayMs >= 0) || !(maxDelayMs >= delayMs)) {
    throw new RangeError('coalesce: delayMs must be >= 0 and maxDelayMs >= delayMs.')
  }
  const matchers = (options.events ?? ['*.changed']).map(matcher)
  const merges = (name: string) =>
    !name.endsWith('.created') && !name.endsWith('.deleted') && matchers.some((match) => match(name))

  /** The merged job waiting for a row, if one is still delayed. */
  const pendingOf = async (queue: Queue, id: string) => {
    const jobId = await queue.getDeduplicationJobId(id)
    if (!jobId) return undefined
    const job = await queue.getJob(jobId)
    return job && (await job.isDelayed()) ? job : undefined
  }

  /** Adds the job, merged with its row's pending one where it applies; `false` when not ours to add. */
  return async (queue: Queue, job: SuperOfficeInboxJob): Promise<boolean> => {
    const row = rowOf(job)
    if (row === undefined) return false
    const id = `co/${row}`
    if (job.event.endsWith('.deleted')) {
      // The row is gone: its pending merged change has nothing left to fetch.
      const pending = await pendingOf(queue, id)
      if (pending) {
        await pending.remove().catch(() => {})
        await queue.removeDeduplicationKey(id).catch(() => 0)
      }
      return false
    }
    if (!merges(job.event)) return false
    const pending = await pendingOf(queue, id)
    const before = pending?.data as SuperOfficeInboxJob | undefined
    // Only a pending body that is really newer wins; without Timestamps the arriving one does.
    if (before?.timestamp && job.timestamp && isNewerTimestamp(before.timestamp, job.timestamp)) {
      // An older event arriving late (a redelivery): the pending job already has a newer body.
      const coalesced = before.coalesced ?? {
        count: 1,
        firstEventId: before.eventId,
        lastEventId: before.eventId,
        firstReceivedAt: before.receivedAt,
      }
      await pending?.updateData({ ...before, coalesced: { ...coalesced, count: coalesced.count + 1 } }).catch(() => {})
      return true
    }
    const first =
      before?.coalesced ??
      (before ? { count: 1, firstEventId: before.eventId, firstReceivedAt: before.receivedAt } : undefined)
    const firstReceivedAt = first?.firstReceivedAt ?? job.receivedAt
    const delay = Math.max(0, Math.min(delayMs, Date.parse(firstReceivedAt) + maxDelayMs - Date.now()))
    const data: SuperOfficeInboxJob = {
      ...job,
      coalesced: {
        count: (first?.count ?? 0) + 1,
        firstEventId: first ? first.firstEventId : job.eventId,
        lastEventId: job.eventId,
        firstReceivedAt,
      },
    }
    await queue.add(job.event, data, {
      ...jobOptions,
      ...(job.id === undefined ? {} : { jobId: job.id }),
      delay,
      deduplication: { id, replace: true, keepLastIfActive: true },
    })
    return true
  }
}
