import type { SuperOfficeInboxJob } from '@superoffice-webhooks/core'
import type { Job } from 'bullmq'
import type { BullMQFailedJob } from './types.js'

/** A failed job as `inbox.failed()` lists it, also when its data is gone. */
export function failedJob(job: Job<SuperOfficeInboxJob>): BullMQFailedJob {
  const data = (job.data ?? {}) as Partial<SuperOfficeInboxJob>
  const reason = job.failedReason ?? ''
  const stack = Array.isArray(job.stacktrace) ? job.stacktrace[job.stacktrace.length - 1] : undefined
  return {
    id: String(job.id),
    event: typeof data.event === 'string' ? data.event : undefined,
    tenant: typeof data.tenant === 'string' ? data.tenant : undefined,
    eventId: typeof data.eventId === 'string' ? data.eventId : undefined,
    primaryKey: primaryKeyOf(data.body),
    attempts: job.attemptsMade,
    handler: handlerOf(reason),
    failedReason: reason,
    stack: typeof stack === 'string' && stack.length > 0 ? stack : undefined,
    failedAt: job.finishedOn === undefined ? undefined : new Date(job.finishedOn).toISOString(),
  }
}

/** The handler names in a reason core wrote: `Handler X failed: …` or `2 handlers failed. X: …; Y: …`. */
function handlerOf(reason: string): string | undefined {
  const one = /^Handler (.+?) failed: /.exec(reason)
  if (one) return one[1]
  if (/^\d+ handlers failed\. /.test(reason)) {
    const names = reason
      .replace(/^\d+ handlers failed\. /, '')
      .split('; ')
      .map((part) => part.slice(0, part.indexOf(': ')))
    return names.filter(Boolean).join(', ') || undefined
  }
  return undefined
}

function primaryKeyOf(body: unknown): number | string | undefined {
  if (typeof body !== 'string') return undefined
  try {
    const key = (JSON.parse(body) as { PrimaryKey?: unknown }).PrimaryKey
    return typeof key === 'number' || typeof key === 'string' ? key : undefined
  } catch {
    return undefined
  }
}

export function describeJob(job: Job<SuperOfficeInboxJob>): string {
  const data = (job.data ?? {}) as Partial<SuperOfficeInboxJob>
  return [`job=${job.id}`, data.event && `event=${data.event}`, data.tenant && `tenant=${data.tenant}`]
    .filter(Boolean)
    .join(' ')
}
