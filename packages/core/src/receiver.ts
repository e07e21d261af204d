import { ANSWERS, errorAnswer, okAnswer, toResponse } from './answer.js'
import { DEFAULT_MAX_BODY_BYTES } from './body.js'
import { createMemoryDedupeStore, dedupeKey } from './dedupe.js'
import { createDispatcher, type HandlerFailure, runHandlers } from './dispatch.js'
import { isSuperOfficeWebhookError, methodNotAllowed, SuperOfficeJobError, SuperOfficeWebhookError } from './errors.js'
import { getHeader } from './headers.js'
import { inboxJob } from './inbox.js'
import { createObserver } from './observe.js'
import type { SuperOfficeWebhooksOptions } from './options.js'
import { checkBodySize, isThenable, parseBody } from './parse.js'
import { receiveRequest } from './request.js'
import type { SuperOfficeAnyEvent } from './schemas.js'
import { checkTenant, createSignatureStep } from './secrets.js'
import type {
  AnyHandler,
  SuperOfficeEventContext,
  SuperOfficeWebhookAnswer,
  SuperOfficeWebhookInput,
  SuperOfficeWebhooks,
} from './types.js'
import { createValidator } from './validate.js'

const MAX_FUTURE_MS = 5 * 60 * 1000

/** One delivery on its way through the steps after validation. */
interface Delivery {
  input: SuperOfficeWebhookInput
  event: SuperOfficeAnyEvent
  name: string
  handlers: AnyHandler[]
  context: SuperOfficeEventContext
  /** The dedupe key claimed, if any: completed or released once the handlers ran. */
  key: string | undefined
}
/**
 * Creates the receiving pipeline. The steps, each in its own file: size limit (`parse.ts`),
 * signature over the raw bytes (`secrets.ts`), JSON parse (`parse.ts`), validation
 * (`validate.ts`), freshness (optional), duplicate check (`dedupe.ts`), typed dispatch
 * (`dispatch.ts`), answer (`answer.ts`); logs, listeners and tracing in `observe.ts`.
 *
 * @example
 * ```ts
 * import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
 *
 * const webhooks = createSuperOfficeWebhooks({ secret: process.env.SUPEROFFICE_WEBHOOK_SECRET! })
 * webhooks.on('sale.sold', async (event) => {
 *   console.log('won', event.PrimaryKey, event.ContextIdentifier)
 * })
 * webhooks.on('contact.*', (event) => console.log(event.Event))
 * webhooks.onAny((event) => console.log('any', event.Event))
 *
 * // In any framework: raw bytes and headers in, answer out.
 * const { status, body } = await webhooks.handle({ rawBody, headers })
 * // Or web-standard: export default { fetch: (req: Request) => webhooks.handleRequest(req) }
 * ```
 */
export function createSuperOfficeWebhooks(options: SuperOfficeWebhooksOptions = {}): SuperOfficeWebhooks {
  const signature = createSignatureStep(options.secret, options.allowUnsigned === true)
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!(maxBodyBytes > 0)) throw new RangeError('maxBodyBytes must be a positive number.')
  const strict = options.strict === true
  const maxAgeMs = options.maxEventAgeSeconds === undefined ? undefined : options.maxEventAgeSeconds * 1000
  const respondEarly = options.respond === 'after-claim'
  const dedupe = options.dedupe === false ? undefined : (options.dedupe ?? {})
  const store = dedupe ? (dedupe.store ?? createMemoryDedupeStore()) : undefined
  const ttlMs = (dedupe?.ttlSeconds ?? 24 * 60 * 60) * 1000
  const claimTtlMs = (dedupe?.claimTtlSeconds ?? 5 * 60) * 1000
  const acceptOnStoreError = dedupe?.onStoreError === 'accept'
  const inbox = options.inbox

  const observer = createObserver(
    options.logger === false ? undefined : (options.logger ?? console),
    options.logLevel ?? 'warn',
  )
  const validator = createValidator(strict)
  const dispatcher = createDispatcher()
  const pending = new Set<Promise<unknown>>()

  const fail = (error: SuperOfficeWebhookError, event?: SuperOfficeAnyEvent): SuperOfficeWebhookAnswer => {
    observer.report(error, event ? { event, status: error.status } : { status: error.status })
    return errorAnswer(error, event)
  }

  const settle = (key: string | undefined, failures: HandlerFailure[]): void | Promise<void> => {
    if (!store || key === undefined) return
    const logFailure = (error: unknown) =>
      observer.log('error', 'store-settle', 'the dedupe store failed to record the outcome', error)
    try {
      const result = failures.length > 0 ? store.release(key) : store.complete(key, ttlMs)
      if (isThenable(result)) return Promise.resolve(result).then(undefined, logFailure)
    } catch (error) {
      logFailure(error)
    }
  }

  // One report per failed handler (named in the log line), then the one error the answer carries.
  const handlerFailed = (failures: HandlerFailure[], event: SuperOfficeAnyEvent, status: number, request?: unknown) => {
    for (const failure of failures) {
      const error = new SuperOfficeWebhookError('handler_failed', 'A handler failed; SuperOffice may retry.', {
        cause: failure.error,
      })
      observer.report(
        error,
        request === undefined
          ? { event, status, handler: failure.handler }
          : { event, status, handler: failure.handler, request },
      )
    }
    const cause =
      failures.length === 1
        ? failures[0]?.error
        : new AggregateError(
            failures.map((f) => f.error),
            'Several handlers failed.',
          )
    return new SuperOfficeWebhookError('handler_failed', 'A handler failed; SuperOffice may retry.', { cause })
  }

  // The pipeline runs synchronously until a step really returns a promise (an async secret
  // resolver, an inbox, a shared dedupe store, an async handler); each step hands on to the next
  // directly or through that promise. An in-memory delivery with plain handlers is answered without
  // a single promise, so adapters pay one microtask hop per request rather than five.
  type Answer = SuperOfficeWebhookAnswer | Promise<SuperOfficeWebhookAnswer>

  const run = (input: SuperOfficeWebhookInput): Answer => {
    const tooLarge = checkBodySize(input.rawBody, maxBodyBytes)
    if (tooLarge) return fail(tooLarge)
    // Nothing costly before this: an unauthenticated body is neither parsed nor validated.
    const secretIndex = signature.verify(input)
    return isThenable(secretIndex)
      ? Promise.resolve(secretIndex).then((index) => verified(input, index))
      : verified(input, secretIndex)
  }

  const verified = (
    input: SuperOfficeWebhookInput,
    secretIndex: number | undefined | SuperOfficeWebhookError,
  ): Answer => {
    if (secretIndex instanceof SuperOfficeWebhookError) return fail(secretIndex)
    const { rawBody, headers } = input
    const parsed = parseBody(rawBody)
    if (parsed instanceof SuperOfficeWebhookError) return fail(parsed)
    if (signature.claimedTenant) {
      const forged = checkTenant(signature.claimedTenant(rawBody), parsed)
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
      const time = typeof event.Timestamp === 'string' ? Date.parse(event.Timestamp) : Number.NaN
      const now = Date.now()
      if (Number.isNaN(time) || now - time > maxAgeMs || time - now > MAX_FUTURE_MS) {
        return fail(
          new SuperOfficeWebhookError('timestamp_out_of_range', 'The event Timestamp is outside the accepted window.'),
          event,
        )
      }
    }

    if (verdict.mismatch) observer.report(verdict.mismatch, { event, status: 200 })
    const tenant = typeof event.ContextIdentifier === 'string' ? event.ContextIdentifier : undefined
    const retryHeader = getHeader(headers, 'x-superoffice-retry')
    const retry = retryHeader === undefined ? undefined : Number.parseInt(retryHeader, 10)

    // With an inbox, the answer waits for the store only; workers run the handlers. The test event
    // is answered here (it is no business event), as without an inbox.
    if (inbox && name !== 'test') return enqueue(inbox, inboxJob(rawBody, event, kind, secretIndex, retry), event)

    const set = dispatcher.handlersFor(name)
    const handlers = verdict.mismatch ? set.loose : set.all
    if (handlers.length === 0) return okAnswer(name === 'test' ? ANSWERS.test : ANSWERS.unhandled, event)

    const context: SuperOfficeEventContext = {
      kind,
      eventId,
      tenant,
      retry,
      secretIndex,
      rawBody,
      header: (headerName) => getHeader(headers, headerName),
      request: input.request,
    }
    const delivery: Delivery = { input, event, name, handlers, context, key: undefined }
    // No EventId (a tolerated odd body): nothing to dedupe on, so every delivery is handled.
    if (!store || name === 'test' || eventId === undefined) return claimed(delivery, true)
    delivery.key = dedupeKey(tenant, eventId)
    let claim: boolean | Promise<boolean>
    try {
      claim = store.claim(delivery.key, claimTtlMs)
    } catch (error) {
      return storeFailed(delivery, error)
    }
    return isThenable(claim)
      ? Promise.resolve(claim).then(
          (owned) => claimed(delivery, owned),
          (error: unknown) => storeFailed(delivery, error),
        )
      : claimed(delivery, claim)
  }

  const enqueue = async (
    target: NonNullable<typeof inbox>,
    job: Parameters<NonNullable<typeof inbox>['enqueue']>[0],
    event: SuperOfficeAnyEvent,
  ): Promise<SuperOfficeWebhookAnswer> => {
    try {
      await target.enqueue(job)
    } catch (error) {
      const unavailable = new SuperOfficeWebhookError(
        'inbox_unavailable',
        'The event could not be stored; retry later.',
        {
          cause: error,
        },
      )
      return fail(unavailable, event)
    }
    return okAnswer(ANSWERS.queued, event)
  }

  const storeFailed = (delivery: Delivery, error: unknown): Answer => {
    const storeError = new SuperOfficeWebhookError(
      'dedupe_unavailable',
      'The duplicate check is unavailable; retry later.',
      { cause: error },
    )
    if (!acceptOnStoreError) return fail(storeError, delivery.event)
    observer.log('warn', 'store-accept', 'the dedupe store failed; handling the event without a duplicate check', error)
    delivery.key = undefined
    return claimed(delivery, true)
  }

  const claimed = (delivery: Delivery, owned: boolean): Answer => {
    const { input, event, handlers, context, key } = delivery
    if (!owned) return okAnswer(ANSWERS.duplicate, event)
    if (respondEarly) {
      const work = Promise.resolve()
        .then(() => runHandlers(handlers, event, context))
        .then(async (failures) => {
          await settle(key, failures)
          if (failures.length > 0) handlerFailed(failures, event, 200, input.request)
        })
      pending.add(work)
      work.finally(() => pending.delete(work))
      input.waitUntil?.(work)
      return okAnswer(ANSWERS.deferred, event)
    }
    const failures = runHandlers(handlers, event, context)
    return isThenable(failures)
      ? Promise.resolve(failures).then((list) => handled(delivery, list))
      : handled(delivery, failures)
  }

  const handled = (delivery: Delivery, failures: HandlerFailure[]): Answer => {
    const settled = settle(delivery.key, failures)
    return settled ? settled.then(() => answered(delivery, failures)) : answered(delivery, failures)
  }

  const answered = ({ input, event, name }: Delivery, failures: HandlerFailure[]): SuperOfficeWebhookAnswer => {
    if (failures.length > 0) return errorAnswer(handlerFailed(failures, event, 500, input.request), event)
    return okAnswer(name === 'test' ? ANSWERS.test : ANSWERS.ok, event)
  }

  // Only a bug in the pipeline throws or rejects here; answer 500 (retried), never leak the message.
  const safeRun = (input: SuperOfficeWebhookInput): Answer => {
    try {
      const answer = run(input)
      return isThenable(answer) ? answer.then(undefined, (error: unknown) => webhooks.answerError(error)) : answer
    } catch (error) {
      return webhooks.answerError(error)
    }
  }

  /** The answer, synchronously when nothing on the way returned a promise: what `receive` builds on. */
  const handleNow = (input: SuperOfficeWebhookInput): Answer =>
    observer.observed ? observer.trace(input, () => Promise.resolve(safeRun(input))) : safeRun(input)

  const webhooks: SuperOfficeWebhooks = {
    maxBodyBytes,
    on(selector, handler) {
      if (typeof handler !== 'function') throw new TypeError('on(selector, handler): handler must be a function.')
      dispatcher.add(Array.isArray(selector) ? selector : [selector as string], handler as AnyHandler)
      return webhooks
    },
    off(selector, handler) {
      dispatcher.remove(Array.isArray(selector) ? selector : [selector as string], handler as AnyHandler)
      return webhooks
    },
    onAny(handler) {
      if (typeof handler !== 'function') throw new TypeError('onAny(handler): handler must be a function.')
      dispatcher.addAny(handler)
      return webhooks
    },
    offAny(handler) {
      dispatcher.removeAny(handler)
      return webhooks
    },
    onError(handler) {
      if (typeof handler !== 'function') throw new TypeError('onError(handler): handler must be a function.')
      observer.errorHandlers.push(handler)
      return webhooks
    },
    onOutcome(handler) {
      if (typeof handler !== 'function') throw new TypeError('onOutcome(handler): handler must be a function.')
      observer.outcomeHandlers.push(handler)
      return webhooks
    },
    handle(input) {
      return Promise.resolve(handleNow(input))
    },
    answerError(error) {
      return fail(
        isSuperOfficeWebhookError(error)
          ? error
          : new SuperOfficeWebhookError('handler_failed', 'The webhook could not be processed.', { cause: error }),
      )
    },
    receive: (input) => receiveRequest(webhooks, input, handleNow, () => fail(methodNotAllowed())),
    async handleRequest(request) {
      const answer = await webhooks.receive({
        method: request.method,
        headers: request.headers,
        url: request.url,
        body: { web: request },
        request,
      })
      return toResponse(answer)
    },
    async processJob(job, attempt) {
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
      if (verdict.event === undefined) return
      const { event, name, kind } = verdict
      const set = dispatcher.handlersFor(name)
      const context: SuperOfficeEventContext = {
        kind,
        eventId: job.eventId,
        tenant: job.tenant,
        retry: job.retry,
        secretIndex: job.secretIndex,
        rawBody: job.body,
        header: () => undefined,
      }
      let failures = runHandlers(verdict.mismatch ? set.loose : set.all, event, context)
      if (isThenable(failures)) failures = await failures
      if (failures.length === 0) return
      const where = attempt ?? { attempt: 1, attempts: 1 }
      for (const failure of failures) {
        const error = new SuperOfficeWebhookError('handler_failed', 'A handler failed in the inbox worker.', {
          cause: failure.error,
        })
        observer.report(error, { event, status: 200, handler: failure.handler, job: where })
      }
      throw jobFailure(failures)
    },
    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending])
    },
  }
  return webhooks
}

/** The dead-letter error of a failed attempt: every failing handler by name with its message. */
function jobFailure(failures: HandlerFailure[]): SuperOfficeJobError {
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
  })
}
