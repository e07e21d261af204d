import { ANSWERS, errorAnswer, okAnswer } from './answer.js'
import { dedupeKey, type SuperOfficeDedupeStore } from './dedupe.js'
import type { Delivery } from './delivery.js'
import { type createDispatcher, type HandlerFailure, runHandlers } from './dispatch.js'
import { SuperOfficeWebhookError } from './errors.js'
import { getHeader } from './headers.js'
import type { createObserver } from './observe.js'
import { isThenable } from './parse.js'
import { isNewerTimestamp } from './timestamp.js'
import type { AnyHandler, SuperOfficeErrorInfo, SuperOfficeEventContext, SuperOfficeWebhookAnswer } from './types.js'

/** What the deliver step needs from the receiver's options. */
export interface DeliverConfig {
  store: SuperOfficeDedupeStore | undefined
  ttlMs: number
  claimTtlMs: number
  acceptOnStoreError: boolean
  respondEarly: boolean
  dispatcher: ReturnType<typeof createDispatcher>
  observer: ReturnType<typeof createObserver>
  fail(error: SuperOfficeWebhookError, event?: Delivery['event']): SuperOfficeWebhookAnswer
  /** Work started after an early answer, for `drain()`. */
  pending: Set<Promise<unknown>>
  /** `context.fetchEntity()`: the receiver's `api`, or a rejection saying to pass one. */
  fetchEntity(event: Delivery['event']): Promise<unknown>
}

/** What one delivery came to: its answer, and the handler failures behind a failed one (for a worker's retry). */
export interface Delivered {
  answer: SuperOfficeWebhookAnswer
  failures: readonly HandlerFailure[]
}

type Outcome = Delivered | Promise<Delivered>

const NO_FAILURES: readonly HandlerFailure[] = Object.freeze([])
const done = (answer: SuperOfficeWebhookAnswer): Delivered => ({ answer, failures: NO_FAILURES })

/** One delivery in the deliver step: its handlers, their context, and the key it claimed. */
interface Running {
  delivery: Delivery
  handlers: AnyHandler[]
  context: SuperOfficeEventContext
  key: string | undefined
}

/**
 * The second half of the pipeline: claim the EventId (`dedupe.ts`), dispatch to the handlers
 * (`dispatch.ts`), settle the claim, answer (`answer.ts`). It runs on a delivery from a request,
 * and in a worker on a delivery rebuilt from a stored job (no claim there: the queue drops
 * redeliveries by job id; a failure is what the worker turns into a retry). Synchronous until a
 * step returns a promise (a shared store, an async handler).
 */
export function createDeliver(config: DeliverConfig) {
  const {
    store,
    ttlMs,
    claimTtlMs,
    acceptOnStoreError,
    respondEarly,
    dispatcher,
    observer,
    fail,
    pending,
    fetchEntity,
  } = config

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
  const handlerFailed = (failures: HandlerFailure[], delivery: Delivery, status: number) => {
    const { event, request, job, onFailure } = delivery
    const message = job ? 'A handler failed in the inbox worker.' : 'A handler failed; SuperOffice may retry.'
    for (const failure of failures) {
      const error = new SuperOfficeWebhookError('handler_failed', message, { cause: failure.error })
      const info: SuperOfficeErrorInfo = {
        event,
        status,
        handler: failure.handler,
        ...(request === undefined ? {} : { request }),
        ...(job ? { job } : {}),
      }
      observer.report(error, info, onFailure)
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

  const storeFailed = (running: Running, error: unknown): Outcome => {
    const storeError = new SuperOfficeWebhookError(
      'dedupe_unavailable',
      'The duplicate check is unavailable; retry later.',
      { cause: error },
    )
    if (!acceptOnStoreError) return done(fail(storeError, running.delivery.event))
    observer.log('warn', 'store-accept', 'the dedupe store failed; handling the event without a duplicate check', error)
    running.key = undefined
    return claimed(running, true)
  }

  const claimed = (running: Running, owned: boolean): Outcome => {
    const { delivery, handlers, context, key } = running
    const { event } = delivery
    if (!owned) return done(okAnswer(ANSWERS.duplicate, event))
    if (respondEarly && !delivery.job) {
      const work = Promise.resolve()
        .then(() => runHandlers(handlers, event, context))
        .then(async (failures) => {
          await settle(key, failures)
          if (failures.length > 0) handlerFailed(failures, delivery, 200)
        })
      pending.add(work)
      work.finally(() => pending.delete(work))
      delivery.waitUntil?.(work)
      return done(okAnswer(ANSWERS.deferred, event))
    }
    const failures = runHandlers(handlers, event, context)
    return isThenable(failures)
      ? Promise.resolve(failures).then((list) => handled(running, list))
      : handled(running, failures)
  }

  const handled = (running: Running, failures: HandlerFailure[]): Outcome => {
    const settled = settle(running.key, failures)
    return settled ? settled.then(() => answered(running, failures)) : answered(running, failures)
  }

  const answered = ({ delivery }: Running, failures: HandlerFailure[]): Delivered => {
    const { event, name, job } = delivery
    if (failures.length === 0) return done(okAnswer(name === 'test' ? ANSWERS.test : ANSWERS.ok, event))
    // A worker's delivery was answered 200 when it was stored: its failure is an attempt's.
    return { answer: errorAnswer(handlerFailed(failures, delivery, job ? 200 : 500), event), failures }
  }

  const deliver = (delivery: Delivery): Outcome => {
    const { event, name, eventId, tenant, headers } = delivery
    const set = dispatcher.handlersFor(name)
    const handlers = delivery.loose ? set.loose : set.all
    if (handlers.length === 0) return done(okAnswer(name === 'test' ? ANSWERS.test : ANSWERS.unhandled, event))
    const context: SuperOfficeEventContext = {
      kind: delivery.kind,
      eventId,
      tenant,
      retry: delivery.retry,
      secretIndex: delivery.secretIndex,
      rawBody: delivery.rawBody,
      header: headers === undefined ? () => undefined : (headerName) => getHeader(headers, headerName),
      request: delivery.request,
      fetchEntity: () => fetchEntity(event) as Promise<never>,
      isNewerThan: (other) => isNewerTimestamp(event.Timestamp, other),
    }
    if (delivery.job?.signal) context.signal = delivery.job.signal
    if (delivery.replay) context.replay = delivery.replay
    if (delivery.reconciled) context.reconciled = delivery.reconciled
    if (delivery.coalesced) context.coalesced = delivery.coalesced
    const running: Running = { delivery, handlers, context, key: undefined }
    // No EventId (a tolerated odd body): nothing to dedupe on, so every delivery is handled.
    if (!store || name === 'test' || eventId === undefined || delivery.job) return claimed(running, true)
    running.key = dedupeKey(tenant, eventId)
    let claim: boolean | Promise<boolean>
    try {
      claim = store.claim(running.key, claimTtlMs)
    } catch (error) {
      return storeFailed(running, error)
    }
    return isThenable(claim)
      ? Promise.resolve(claim).then(
          (owned) => claimed(running, owned),
          (error: unknown) => storeFailed(running, error),
        )
      : claimed(running, claim)
  }

  return deliver
}
