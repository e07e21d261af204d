import type { SuperOfficeWebhookError } from './errors.js'
import type { SuperOfficeAnyEvent } from './schemas.js'
import type { SuperOfficeAnswerBody, SuperOfficeWebhookAnswer } from './types.js'

const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json; charset=utf-8' })

/** The answer bodies of success, shared and frozen: no allocation per request. */
export const ANSWERS = {
  ok: Object.freeze({ ok: true }),
  duplicate: Object.freeze({ ok: true, duplicate: true }),
  test: Object.freeze({ ok: true, test: true }),
  unhandled: Object.freeze({ ok: true, handled: false }),
  deferred: Object.freeze({ ok: true, deferred: true }),
  queued: Object.freeze({ ok: true, queued: true }),
  ignored: Object.freeze({ ok: true, ignored: true }),
} as const satisfies Record<string, SuperOfficeAnswerBody>

/** A 200 answer. */
export function okAnswer(
  body: SuperOfficeAnswerBody,
  event: SuperOfficeAnyEvent | undefined,
): SuperOfficeWebhookAnswer {
  const answer: SuperOfficeWebhookAnswer = { status: 200, headers: JSON_HEADERS, body }
  if (event) answer.event = event
  return answer
}

/** The answer for an error: its status, and a body with its code and safe message only. */
export function errorAnswer(error: SuperOfficeWebhookError, event?: SuperOfficeAnyEvent): SuperOfficeWebhookAnswer {
  const answer: SuperOfficeWebhookAnswer = {
    status: error.status,
    headers: error.status === 405 ? { ...JSON_HEADERS, allow: 'POST' } : JSON_HEADERS,
    body: { ok: false, error: error.code, message: error.message },
    error,
  }
  if (event) answer.event = event
  return answer
}

/**
 * Writes an answer as a web `Response`.
 *
 * @example
 * ```ts
 * return toResponse(await webhooks.handle({ rawBody, headers }))
 * ```
 */
export function toResponse(answer: SuperOfficeWebhookAnswer): Response {
  return new Response(JSON.stringify(answer.body), { status: answer.status, headers: answer.headers })
}
