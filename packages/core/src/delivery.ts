import type { SuperOfficeWebhookError } from './errors.js'
import type { HeadersLike } from './headers.js'
import type { SuperOfficeCoalesced, SuperOfficeJobAttempt, SuperOfficeReconciled, SuperOfficeReplay } from './inbox.js'
import type { SuperOfficeAnyEvent, SuperOfficeEventKind } from './schemas.js'
import type { RawBody } from './signature.js'
import type { SuperOfficeErrorInfo, SuperOfficeWebhookAnswer } from './types.js'

/**
 * One verified, validated event on its way to the handlers: what `accept` produces from a request
 * and `deliver` consumes. A worker builds the same value from a stored job, so both run one path.
 */
export interface Delivery {
  /** The body exactly as received (the text, for a stored job). */
  rawBody: RawBody
  event: SuperOfficeAnyEvent
  name: string
  kind: SuperOfficeEventKind
  /** A tolerated schema mismatch: handlers registered for the exact name are skipped. */
  loose: boolean
  eventId: string | undefined
  tenant: string | undefined
  retry: number | undefined
  secretIndex: number | undefined
  /** The request's headers; none for a stored job. */
  headers: HeadersLike | undefined
  request?: unknown
  waitUntil?: ((work: Promise<unknown>) => void) | undefined
  /** The adapter's report hook for this request's handler failures. */
  onFailure?: ((error: SuperOfficeWebhookError, info: SuperOfficeErrorInfo) => void) | undefined
  /** Set when a worker runs a stored job: which attempt. The queue deduplicates it, so no claim. */
  job?: SuperOfficeJobAttempt
  /** Set on a job an operator replayed. */
  replay?: SuperOfficeReplay
  /** Set on an event gap recovery made. */
  reconciled?: SuperOfficeReconciled
  /** Set on a job an engine merged from a burst of events for one row. */
  coalesced?: SuperOfficeCoalesced
}

/** What the accept step hands on: a delivery, or the answer that ends the request there. */
export type Accepted = Delivery | SuperOfficeWebhookAnswer

/** Whether the accept step produced a delivery rather than an answer. */
export function isDelivery(value: Accepted): value is Delivery {
  return (value as Partial<SuperOfficeWebhookAnswer>).status === undefined
}
