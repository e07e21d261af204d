import { ANSWERS, okAnswer } from './answer.js'
import type { Delivery } from './delivery.js'
import { SuperOfficeWebhookError } from './errors.js'
import type { SuperOfficeInbox } from './inbox.js'
import { jobOf } from './job.js'
import { publishInbox } from './observe.js'
import type { SuperOfficeAnyEvent } from './schemas.js'
import type { SuperOfficeWebhookAnswer } from './types.js'

/**
 * The hand-off between the pipeline's halves when there is an inbox: the delivery is stored as a
 * job and answered 200 `queued` once the inbox has it, or 500 `inbox_unavailable` (SuperOffice
 * retries) when it could not be stored. Its latency goes to the inbox diagnostics channel.
 */
export function createEnqueue(
  fail: (error: SuperOfficeWebhookError, event?: SuperOfficeAnyEvent) => SuperOfficeWebhookAnswer,
) {
  return (inbox: SuperOfficeInbox, delivery: Delivery): Promise<SuperOfficeWebhookAnswer> => {
    const started = performance.now()
    const report = (stored: boolean) =>
      publishInbox({ type: 'enqueue', event: delivery.name, stored, durationMs: performance.now() - started })
    return inbox.enqueue(jobOf(delivery)).then(
      () => {
        report(true)
        return okAnswer(ANSWERS.queued, delivery.event)
      },
      (error: unknown) => {
        report(false)
        return fail(
          new SuperOfficeWebhookError('inbox_unavailable', 'The event could not be stored; retry later.', {
            cause: error,
          }),
          delivery.event,
        )
      },
    )
  }
}
