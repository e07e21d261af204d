import { SuperOfficeWebhookError } from './errors.js'
import type { SuperOfficeAnyEvent } from './schemas.js'

/** How far in the future a signed Timestamp may be (clock skew), whatever the age limit. */
const MAX_FUTURE_MS = 5 * 60 * 1000

/**
 * The freshness step (with `maxEventAgeSeconds`): a 401 error when the signed Timestamp is
 * missing, older than the limit, or too far ahead; else `undefined`.
 *
 * @example
 * ```ts
 * checkFreshness(event, 300_000) // undefined, or SuperOfficeWebhookError('timestamp_out_of_range')
 * ```
 */
export function checkFreshness(event: SuperOfficeAnyEvent, maxAgeMs: number): SuperOfficeWebhookError | undefined {
  const time = typeof event.Timestamp === 'string' ? Date.parse(event.Timestamp) : Number.NaN
  const now = Date.now()
  if (Number.isNaN(time) || now - time > maxAgeMs || time - now > MAX_FUTURE_MS) {
    return new SuperOfficeWebhookError('timestamp_out_of_range', 'The event Timestamp is outside the accepted window.')
  }
  return undefined
}
