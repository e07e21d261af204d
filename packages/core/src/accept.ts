import { ANSWERS, okAnswer } from './answer.js'
import type { Accepted, Delivery } from './delivery.js'
import { SuperOfficeWebhookError } from './errors.js'
import { checkFreshness } from './freshness.js'
import { getHeader } from './headers.js'
import type { createObserver } from './observe.js'
import { checkBodySize, isThenable, parseBody } from './parse.js'
import type { SuperOfficeAnyEvent } from './schemas.js'
import { checkTenant, type SignatureStep } from './secrets.js'
import type { SuperOfficeWebhookAnswer, SuperOfficeWebhookInput } from './types.js'
import type { createValidator } from './validate.js'

/** What the accept step needs from the receiver's options. */
export interface AcceptConfig {
  maxBodyBytes: number
  strict: boolean
  /** `maxEventAgeSeconds` in ms, or `undefined` for no freshness check. */
  maxAgeMs: number | undefined
  signature: SignatureStep
  validator: ReturnType<typeof createValidator>
  observer: ReturnType<typeof createObserver>
  /** Reports a refusal and builds its answer. */
  fail(error: SuperOfficeWebhookError, event?: SuperOfficeAnyEvent): SuperOfficeWebhookAnswer
}

/**
 * The first half of the pipeline: size (`parse.ts`), signature over the raw bytes
 * (`secrets.ts`), JSON parse, tenant (resolver mode), validation (`validate.ts`), the EventId
 * header, freshness (`freshness.ts`). It ends in one {@link Delivery}, or in the answer that ends
 * the request (a refusal, or 200 for signed JSON that is no event). Synchronous unless a secret
 * resolver or WebCrypto returns a promise. Nothing costly happens before the signature matches.
 */
export function createAccept(config: AcceptConfig) {
  const { maxBodyBytes, strict, maxAgeMs, signature, validator, observer, fail } = config

  const verified = (input: SuperOfficeWebhookInput, secretIndex: number | undefined | SuperOfficeWebhookError) => {
    if (secretIndex instanceof SuperOfficeWebhookError) return fail(secretIndex)
    const { rawBody, headers } = input
    const parsed = parseBody(rawBody)
    if (parsed instanceof SuperOfficeWebhookError) return fail(parsed)
    if (signature.claimedTenant) {
      const forged = checkTenant(signature.claimedTenant(input), parsed)
      if (forged) return fail(forged)
    }
    const verdict = validator.validate(parsed)
    if (verdict instanceof SuperOfficeWebhookError) return fail(verdict)
    if (verdict.event === undefined) {
      observer.report(verdict.mismatch, { status: 200 })
      return okAnswer(ANSWERS.unhandled, undefined)
    }
    const { event, name, kind } = verdict
    const eventId = typeof event.EventId === 'string' && event.EventId.length > 0 ? event.EventId : undefined

    const headerEventId = getHeader(headers, 'x-superoffice-eventid')
    if (headerEventId !== undefined && eventId !== undefined && headerEventId !== eventId) {
      const error = new SuperOfficeWebhookError('event_id_mismatch', 'X-SuperOffice-EventId does not match the body.')
      if (strict) return fail(error, event)
      observer.report(error, { event, status: 200 })
    }
    if (maxAgeMs !== undefined) {
      const stale = checkFreshness(event, maxAgeMs)
      if (stale) return fail(stale, event)
    }
    if (verdict.mismatch) observer.report(verdict.mismatch, { event, status: 200 })

    const retryHeader = getHeader(headers, 'x-superoffice-retry')
    const delivery: Delivery = {
      rawBody,
      event,
      name,
      kind,
      loose: verdict.mismatch !== undefined,
      eventId,
      tenant: typeof event.ContextIdentifier === 'string' ? event.ContextIdentifier : undefined,
      retry: retryHeader === undefined ? undefined : Number.parseInt(retryHeader, 10),
      secretIndex,
      headers,
      request: input.request,
      waitUntil: input.waitUntil,
      onFailure: input.onFailure,
    }
    return delivery
  }

  return (input: SuperOfficeWebhookInput): Accepted | Promise<Accepted> => {
    const tooLarge = checkBodySize(input.rawBody, maxBodyBytes)
    if (tooLarge) return fail(tooLarge)
    // Nothing costly before this: an unauthenticated body is neither parsed nor validated.
    const secretIndex = signature.verify(input)
    return isThenable(secretIndex)
      ? Promise.resolve(secretIndex).then((index) => verified(input, index))
      : verified(input, secretIndex)
  }
}
