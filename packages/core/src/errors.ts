/**
 * Stable error codes of the receiving pipeline. Each maps to one HTTP status of the answer
 * contract; the code is what an answer body and `onError` carry.
 *
 * @example
 * ```ts
 * webhooks.onError((error) => {
 *   if (error.code === 'signature_invalid') metrics.increment('superoffice.bad_signature')
 * })
 * ```
 */
export type SuperOfficeWebhookErrorCode =
  | 'payload_too_large'
  | 'signature_missing'
  | 'signature_invalid'
  | 'timestamp_out_of_range'
  | 'invalid_json'
  | 'invalid_envelope'
  | 'unknown_event'
  | 'schema_mismatch'
  | 'event_id_mismatch'
  | 'handler_failed'
  | 'secret_unavailable'
  | 'dedupe_unavailable'
  | 'raw_body_unavailable'
  | 'method_not_allowed'
  | 'request_aborted'
  | 'inbox_unavailable'
  | 'token_missing'
  | 'token_invalid'
  | 'token_replayed'
  | 'keys_unavailable'
  | 'application_id_missing'
  | 'internal_error'

const statusByCode = {
  payload_too_large: 413,
  signature_missing: 401,
  signature_invalid: 401,
  timestamp_out_of_range: 401,
  invalid_json: 400,
  invalid_envelope: 400,
  unknown_event: 400,
  schema_mismatch: 400,
  event_id_mismatch: 400,
  handler_failed: 500,
  secret_unavailable: 500,
  dedupe_unavailable: 500,
  raw_body_unavailable: 500,
  method_not_allowed: 405,
  // The client is gone and never reads it; 400 keeps it out of 5xx alarms.
  request_aborted: 400,
  inbox_unavailable: 500,
  // The tenant status webhook: its JWT is missing, forged, expired or for another tenant.
  token_missing: 401,
  token_invalid: 401,
  // A token already handled: a replay (or a resend of a notification that was answered 200).
  token_replayed: 401,
  // SuperOffice's key set could not be read: the notification may be genuine, so SuperOffice is
  // asked to retry rather than told it was refused.
  keys_unavailable: 503,
  // The deployment has no application id to check the token's audience against.
  application_id_missing: 500,
  // Not the request's fault nor a handler's: a bug in the pipeline or an adapter. SuperOffice retries.
  internal_error: 500,
} as const satisfies Record<SuperOfficeWebhookErrorCode, number>

/** HTTP status the pipeline answers with for an error code. Never 410. */
export type SuperOfficeWebhookErrorStatus = (typeof statusByCode)[SuperOfficeWebhookErrorCode]

/**
 * The one error type of the toolkit: a stable `code`, the HTTP `status` it answers with, and a
 * short message that is safe to send to SuperOffice (it never holds a secret, a stack or a
 * handler's own message; the handler's error is kept in `cause` for your logs).
 *
 * @example
 * ```ts
 * import { SuperOfficeWebhookError } from '@superoffice-webhooks/core'
 *
 * webhooks.onError((error) => {
 *   console.error(error.code, error.status, error.cause)
 * })
 * const err = new SuperOfficeWebhookError('invalid_json', 'The body is not valid JSON.')
 * err.status // 400
 * ```
 */
export class SuperOfficeWebhookError extends Error {
  override readonly name = 'SuperOfficeWebhookError'
  /** Stable, machine-readable code. */
  readonly code: SuperOfficeWebhookErrorCode
  /** The HTTP status this error answers with. */
  readonly status: SuperOfficeWebhookErrorStatus

  constructor(code: SuperOfficeWebhookErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.status = statusByCode[code]
  }
}

/**
 * Whether a value is a {@link SuperOfficeWebhookError} (also across two copies of the package).
 *
 * @example
 * ```ts
 * try { await readRawBody(req, { limit: 1024 }) }
 * catch (error) { if (isSuperOfficeWebhookError(error)) ctx.status = error.status }
 * ```
 */
export function isSuperOfficeWebhookError(value: unknown): value is SuperOfficeWebhookError {
  return (
    value instanceof SuperOfficeWebhookError ||
    (value instanceof Error &&
      value.name === 'SuperOfficeWebhookError' &&
      typeof (value as { code?: unknown }).code === 'string')
  )
}

/**
 * The error for a request that is not a POST on the webhook route (405 `method_not_allowed`),
 * the same wherever an adapter meets one.
 *
 * @example
 * ```ts
 * if (req.method !== 'POST') return webhooks.answerError(methodNotAllowed())
 * ```
 */
export function methodNotAllowed(): SuperOfficeWebhookError {
  return new SuperOfficeWebhookError('method_not_allowed', 'SuperOffice webhooks are POST requests.')
}

/**
 * The error for a request whose client dropped the connection before the body was complete: not
 * a handler failure, logged quietly (debug).
 *
 * @example
 * ```ts
 * req.on('aborted', () => reject(requestAborted()))
 * ```
 */
export function requestAborted(cause?: unknown): SuperOfficeWebhookError {
  return new SuperOfficeWebhookError('request_aborted', 'The request was closed before its body was complete.', {
    cause,
  })
}

/**
 * Why an inbox job's attempt failed, as a worker stores it with the job (BullMQ keeps `message`
 * as the failed reason and `stack` as its stack trace): the failing handler's name and its
 * error's message, and that error's stack. It is for the operator reading dead letters in their
 * own queue, never an answer to SuperOffice, so unlike {@link SuperOfficeWebhookError} it does
 * hold the handler's message.
 *
 * @example
 * ```ts
 * try { await webhooks.processJob(job.data) }
 * catch (error) {
 *   if (error instanceof SuperOfficeJobError) console.log(error.handlers, error.message)
 * }
 * ```
 */
export class SuperOfficeJobError extends Error {
  override readonly name = 'SuperOfficeJobError'
  /** `handler_failed`, or why the job could not be run at all. */
  readonly code: 'handler_failed' | 'invalid_json' | 'job_data_missing'
  /** The handlers that failed, by name (empty when none ran). */
  readonly handlers: readonly string[]
  /**
   * Set when a failing handler was throttled by SuperOffice for longer than it waits (its error,
   * or an error in its `cause` chain, carries a numeric `retryAfterMs`, as the API client's
   * `SuperOfficeApiError` does): the longest wait asked for, in ms. An inbox holds the tenant's
   * jobs that long instead of using an attempt.
   */
  readonly retryAfterMs: number | undefined

  constructor(
    code: SuperOfficeJobError['code'],
    message: string,
    options: {
      cause?: unknown
      handlers?: readonly string[]
      stack?: string | undefined
      retryAfterMs?: number | undefined
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.handlers = options.handlers ?? []
    this.retryAfterMs = options.retryAfterMs
    if (options.stack !== undefined) this.stack = options.stack
  }
}

/**
 * How long an error says to wait before trying again, in ms: a positive finite `retryAfterMs` on
 * the error or on one in its `cause` chain (a few levels deep), or `undefined`.
 *
 * @example
 * ```ts
 * throttledFor(new SuperOfficeApiError(429, 'GET /Sale/1', 'throttled', 90_000)) // 90000
 * ```
 */
export function throttledFor(error: unknown): number | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const after = (current as { retryAfterMs?: unknown }).retryAfterMs
    if (typeof after === 'number' && Number.isFinite(after) && after > 0) return after
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}
