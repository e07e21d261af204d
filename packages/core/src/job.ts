import type { Delivered } from './deliver.js'
import type { Delivery } from './delivery.js'
import type { HandlerFailure } from './dispatch.js'
import { SuperOfficeJobError, SuperOfficeWebhookError, throttledFor } from './errors.js'
import { inboxJob, type SuperOfficeInboxJob, type SuperOfficeJobAttempt } from './inbox.js'
import { publishInbox } from './observe.js'
import { parseBody } from './parse.js'
import type { createValidator } from './validate.js'

/** The job an inbox stores for a delivery: the exact body text and what a worker needs besides. */
export function jobOf(delivery: Delivery): SuperOfficeInboxJob {
  return inboxJob(delivery.rawBody, delivery.event, delivery.kind, delivery.secretIndex, delivery.retry)
}

/**
 * A stored job back into a {@link Delivery}: the body parsed and validated again (the exact text
 * the signature covered), so the worker runs the same deliver step as the receiver. `undefined`
 * for signed JSON that is no event (nothing to run); a {@link SuperOfficeJobError} when the job
 * cannot be run at all.
 */
export function deliveryOfJob(
  job: SuperOfficeInboxJob,
  attempt: SuperOfficeJobAttempt,
  validator: ReturnType<typeof createValidator>,
): Delivery | undefined {
  // A job whose hash lost its fields (an evicting Redis, a manual delete) has no body to run.
  if (typeof job?.body !== 'string') {
    throw new SuperOfficeJobError(
      'job_data_missing',
      'The stored job has no body: its data was evicted or deleted from the queue store (see "The Redis the inbox needs" in docs/production.md).',
    )
  }
  const parsed = parseBody(job.body)
  if (parsed instanceof SuperOfficeWebhookError) {
    throw new SuperOfficeJobError('invalid_json', 'The stored body is not valid JSON.')
  }
  const verdict = validator.validate(parsed)
  if (verdict instanceof SuperOfficeWebhookError) {
    throw new SuperOfficeJobError('invalid_json', `The stored body was refused: ${verdict.message}`)
  }
  if (verdict.event === undefined) return undefined
  // A merged job's event changed every field any event of its burst changed.
  const union = job.coalesced?.changes
  if (union && Array.isArray((verdict.event as { Changes?: unknown }).Changes)) {
    ;(verdict.event as { Changes: string[] }).Changes = union
  }
  return {
    rawBody: job.body,
    event: verdict.event,
    name: verdict.name,
    kind: verdict.kind,
    loose: verdict.mismatch !== undefined,
    eventId: job.eventId,
    tenant: job.tenant,
    retry: job.retry,
    secretIndex: job.secretIndex,
    headers: undefined,
    job: attempt,
    ...(job.replay ? { replay: job.replay } : {}),
    ...(job.reconciled ? { reconciled: job.reconciled } : {}),
    ...(job.coalesced ? { coalesced: job.coalesced } : {}),
  }
}

/** The dead-letter error of a failed attempt: every failing handler by name with its message. */
export function jobFailure(failures: readonly HandlerFailure[]): SuperOfficeJobError {
  const reason = (error: unknown) =>
    error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error)
  const first = failures[0] as HandlerFailure
  const message =
    failures.length === 1
      ? `Handler ${first.handler} failed: ${reason(first.error)}`
      : `${failures.length} handlers failed. ${failures.map((f) => `${f.handler}: ${reason(f.error)}`).join('; ')}`
  const cause =
    failures.length === 1
      ? first.error
      : new AggregateError(
          failures.map((f) => f.error),
          'Several handlers failed.',
        )
  return new SuperOfficeJobError('handler_failed', message.length > 2000 ? `${message.slice(0, 2000)}…` : message, {
    cause,
    handlers: failures.map((f) => f.handler),
    stack: first.error instanceof Error ? first.error.stack : undefined,
    retryAfterMs: failures.reduce<number | undefined>((longest, f) => {
      const after = throttledFor(f.error)
      return after === undefined || (longest !== undefined && longest >= after) ? longest : after
    }, undefined),
  })
}

/**
 * A worker's attempt at a stored job: rebuilt into a delivery, run through the same deliver step
 * as a request, a failure turned into the dead-letter error the queue retries. Each attempt goes to
 * the inbox diagnostics channel (for metrics).
 */
export async function runJob(
  job: SuperOfficeInboxJob,
  attempt: SuperOfficeJobAttempt,
  validator: ReturnType<typeof createValidator>,
  deliver: (delivery: Delivery) => Delivered | Promise<Delivered>,
): Promise<void> {
  const started = performance.now()
  const report = (ok: boolean) =>
    publishInbox({
      type: 'attempt',
      event: typeof job?.event === 'string' ? job.event : 'unknown',
      attempt: attempt.attempt,
      attempts: attempt.attempts,
      ok,
      dead: !ok && attempt.attempt >= attempt.attempts,
      durationMs: performance.now() - started,
    })
  try {
    const delivery = deliveryOfJob(job, attempt, validator)
    if (delivery !== undefined) {
      const { failures } = await deliver(delivery)
      if (failures.length > 0) throw jobFailure(failures)
    }
    report(true)
  } catch (error) {
    report(false)
    throw error
  }
}
