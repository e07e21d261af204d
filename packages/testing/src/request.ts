import { signPayload } from '@superoffice-webhooks/core'

/** Options of {@link signedPayload} and {@link signedRequest}. */
export interface SignedRequestOptions {
  /** The webhook secret. Leave out to send an unsigned request (a webhook without a secret). */
  secret?: string
  /** Replace the signature with this value (tests of bad signatures). */
  signature?: string
  /** `X-SuperOffice-Retry`, for retried deliveries. */
  retry?: number
  /** Extra headers (the webhook's custom `Headers`). */
  headers?: Record<string, string>
}

/** A body and the headers SuperOffice sends with it. */
export interface SignedPayload {
  /** The exact JSON text to send; the signature is over its UTF-8 bytes. */
  body: string
  /** Headers in SuperOffice's casing. */
  headers: Record<string, string>
}

/** The NetServer version our requests claim in `User-Agent`. */
export const NETSERVER_USER_AGENT = 'NetServer-Webhook/11.4'

/**
 * Serialises an event (or takes a body as is) and builds the headers SuperOffice sends:
 * `X-SuperOffice-Event`, `X-SuperOffice-EventId`, `X-SuperOffice-Signature` over the exact bytes,
 * `X-Hook-Test: true` for the `test` event.
 *
 * @example
 * ```ts
 * import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
 *
 * const { body, headers } = signedPayload(createTestEvent('sale.sold'), { secret: 's3cret' })
 * await fetch(url, { method: 'POST', body, headers })
 * ```
 */
export function signedPayload(event: object | string, options: SignedRequestOptions = {}): SignedPayload {
  const body = typeof event === 'string' ? event : JSON.stringify(event)
  const parsed = typeof event === 'string' ? safeParse(body) : (event as Record<string, unknown>)
  const headers: Record<string, string> = {
    'Content-Type': 'application/json; charset=utf-8',
    'User-Agent': NETSERVER_USER_AGENT,
  }
  if (typeof parsed?.Event === 'string') headers['X-SuperOffice-Event'] = parsed.Event
  if (typeof parsed?.EventId === 'string') headers['X-SuperOffice-EventId'] = parsed.EventId
  if (options.signature !== undefined) headers['X-SuperOffice-Signature'] = options.signature
  else if (options.secret !== undefined) headers['X-SuperOffice-Signature'] = signPayload(body, options.secret)
  if (options.retry !== undefined) headers['X-SuperOffice-Retry'] = String(options.retry)
  if (parsed?.Event === 'test') headers['X-Hook-Test'] = 'true'
  return { body, headers: { ...headers, ...options.headers } }
}

/**
 * A web `Request` exactly as SuperOffice would post it: for `handleRequest`, `fetch`, or a
 * framework's test client.
 *
 * @example
 * ```ts
 * import { createTestEvent, signedRequest } from '@superoffice-webhooks/testing'
 *
 * const response = await webhooks.handleRequest(
 *   signedRequest(createTestEvent('contact.created'), { secret, url: 'http://localhost/webhooks/superoffice' }),
 * )
 * expect(response.status).toBe(200)
 * ```
 */
export function signedRequest(event: object | string, options: SignedRequestOptions & { url: string }): Request {
  const { body, headers } = signedPayload(event, options)
  return new Request(options.url, { method: 'POST', body, headers })
}

function safeParse(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text)
    return typeof value === 'object' && value !== null ? value : undefined
  } catch {
    return undefined
  }
}
