import { SuperOfficeWebhookError } from './errors.js'
import type { RawBody } from './signature.js'

const hasBuffer = typeof Buffer === 'function'
const decoder = new TextDecoder()
const encoder = new TextEncoder()

/**
 * The size step: a 413 error when the body is over the limit, else `undefined`.
 *
 * @example
 * ```ts
 * checkBodySize(rawBody, 1024 * 1024) // undefined, or SuperOfficeWebhookError('payload_too_large')
 * ```
 */
export function checkBodySize(rawBody: RawBody, limit: number): SuperOfficeWebhookError | undefined {
  const over = typeof rawBody === 'string' ? textExceeds(rawBody, limit) : rawBody.byteLength > limit
  return over ? new SuperOfficeWebhookError('payload_too_large', `The body is larger than ${limit} bytes.`) : undefined
}

/**
 * The parse step, run only after the signature matched: the body as JSON, or a 400
 * `invalid_json` error. A leading UTF-8 BOM is allowed, as JSON text permits.
 *
 * @example
 * ```ts
 * const parsed = parseBody(rawBody) // unknown, or SuperOfficeWebhookError('invalid_json')
 * ```
 */
export function parseBody(rawBody: RawBody): unknown {
  try {
    return JSON.parse(bodyText(rawBody))
  } catch {
    return new SuperOfficeWebhookError('invalid_json', 'The body is not valid JSON.')
  }
}

/** The body as text (UTF-8, without a leading BOM). */
export function bodyText(rawBody: RawBody): string {
  let text: string
  if (typeof rawBody === 'string') text = rawBody
  else if (hasBuffer) {
    // A zero-copy Buffer view: plain Uint8Arrays (web streams, h3 v2) have no utf8Slice on Node 20.
    const buffer = Buffer.isBuffer(rawBody)
      ? rawBody
      : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength)
    text = buffer.toString('utf8')
  } else return decoder.decode(rawBody) // TextDecoder drops a BOM itself
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

function textExceeds(text: string, limit: number): boolean {
  // UTF-8 takes at most 3 bytes per UTF-16 unit, so most bodies need no byte count at all.
  if (text.length * 3 <= limit) return false
  const bytes = hasBuffer ? Buffer.byteLength(text) : encoder.encode(text).byteLength
  return bytes > limit
}

/** Whether a value is a JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Whether a value is a promise (or any thenable). */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}
