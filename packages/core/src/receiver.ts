import { createAccept } from './accept.js'
import { ANSWERS, errorAnswer, okAnswer, toResponse } from './answer.js'
import { DEFAULT_MAX_BODY_BYTES } from './body.js'
import { createMemoryDedupeStore } from './dedupe.js'
import { createDeliver } from './deliver.js'
import { type Accepted, type Delivery, isDelivery } from './delivery.js'
import { createDispatcher } from './dispatch.js'
import { createEchoRule } from './echo.js'
import { createEnqueue } from './enqueue.js'
import { isSuperOfficeWebhookError, methodNotAllowed, SuperOfficeWebhookError, throttledFor } from './errors.js'
import { inboxJob, type SuperOfficeInbox, type SuperOfficeInboxWorker } from './inbox.js'
import { runJob } from './job.js'
import { createObserver } from './observe.js'
import type { SuperOfficeWebhooksOptions } from './options.js'
import { isThenable } from './parse.js'
import { receiveRequest } from './request.js'
import type { SuperOfficeAnyEvent } from './schemas.js'
import { createSignatureStep } from './secrets.js'
import type {
  AnyHandler,
  SuperOfficeDeadLetter,
  SuperOfficeDeadLetterHandler,
  SuperOfficeWebhookAnswer,
  SuperOfficeWebhookInput,
  SuperOfficeWebhooks,
} from './types.js'
import { createValidator } from './validate.js'

type Answer = SuperOfficeWebhookAnswer | Promise<SuperOfficeWebhookAnswer>

/**
 * Creates the receiving pipeline: two halves joined by one delivery. `accept` (`accept.ts`): size
 * limit, signature over the raw bytes (`secrets.ts`), JSON parse, tenant check, validation
 * (`validate.ts`), freshness (`freshness.ts`). `deliver` (`deliver.ts`): duplicate check
 * (`dedupe.ts`), typed dispatch (`dispatch.ts`), answer (`answer.ts`). With an inbox the delivery
 * is stored in between, and the worker rebuilds it from the job (`job.ts`) and runs the same
 * `deliver`. Logs, listeners and tracing in `observe.ts`. This file holds the options and the
 * public object.
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
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!(maxBodyBytes > 0)) throw new RangeError('maxBodyBytes must be a positive number.')
  const dedupe = options.dedupe === false ? undefined : (options.dedupe ?? {})
  const inbox: SuperOfficeInbox | undefined = options.inbox
  const api = options.api
  if (api !== undefined && typeof api?.fetchEntity !== 'function') {
    throw new TypeError(
      'createSuperOfficeWebhooks: api must have fetchEntity(event) (createSuperOfficeApi from @superoffice-webhooks/api).',
    )
  }
  const deadLetterHandlers: SuperOfficeDeadLetterHandler[] = []
  const observer = createObserver(
    options.logger === false ? undefined : (options.logger ?? console),
    options.logLevel ?? 'warn',
  )
  const validator = createValidator(options.strict === true)
  const dispatcher = createDispatcher()
  const pending = new Set<Promise<unknown>>()
  const fail = (error: SuperOfficeWebhookError, event?: SuperOfficeAnyEvent): SuperOfficeWebhookAnswer => {
    observer.report(error, event ? { event, status: error.status } : { status: error.status })
    return errorAnswer(error, event)
  }

  const accept = createAccept({
    maxBodyBytes,
    strict: options.strict === true,
    maxAgeMs: options.maxEventAgeSeconds === undefined ? undefined : options.maxEventAgeSeconds * 1000,
    signature: createSignatureStep(options.secret, options.allowUnsigned === true),
    validator,
    observer,
    fail,
  })
  const deliverOutcome = createDeliver({
    store: dedupe ? (dedupe.store ?? createMemoryDedupeStore()) : undefined,
    ttlMs: (dedupe?.ttlSeconds ?? 24 * 60 * 60) * 1000,
    claimTtlMs: (dedupe?.claimTtlSeconds ?? 5 * 60) * 1000,
    acceptOnStoreError: dedupe?.onStoreError === 'accept',
    respondEarly: options.respond === 'after-claim',
    dispatcher,
    observer,
    fail,
    pending,
    fetchEntity: api
      ? (event) => api.fetchEntity(event)
      : () =>
          Promise.reject(
            new TypeError(
              'context.fetchEntity() needs a SuperOffice API client: createSuperOfficeWebhooks({ api: createSuperOfficeApi(...) }) (@superoffice-webhooks/api).',
            ),
          ),
  })

  /** A request's delivery: only the answer goes back (its failures were reported). */
  const deliver = (delivery: Delivery): Answer => {
    const outcome = deliverOutcome(delivery)
    return isThenable(outcome) ? outcome.then((delivered) => delivered.answer) : outcome.answer
  }

  // With an inbox, the answer waits for the store only; workers run the handlers (enqueue.ts).
  const enqueue = createEnqueue(fail)
  const isEcho = createEchoRule(options.ignoreChangesBy)
  const route = (accepted: Accepted): Answer => {
    if (!isDelivery(accepted)) return accepted
    if (isEcho && accepted.name !== 'test' && isEcho(accepted.event)) {
      observer.log(
        'debug',
        'ignored',
        `ignored ${accepted.name} ${accepted.eventId ?? ''}: a change by the integration itself (ignoreChangesBy)`,
      )
      return okAnswer(ANSWERS.ignored, accepted.event)
    }
    return inbox && accepted.name !== 'test' ? enqueue(inbox, accepted) : deliver(accepted)
  }
  // Synchronous until a step really returns a promise (an async resolver, an inbox, a shared
  // store, an async handler): an in-memory delivery with plain handlers costs adapters one hop.
  // Only a bug in the pipeline throws or rejects here; it is answered 500 (retried), never leaked.
  const safeRun = (input: SuperOfficeWebhookInput): Answer => {
    try {
      const accepted = accept(input)
      const answer = isThenable(accepted) ? accepted.then(route) : route(accepted)
      return isThenable(answer) ? answer.then(undefined, (error: unknown) => webhooks.answerError(error)) : answer
    } catch (error) {
      return webhooks.answerError(error)
    }
  }
  const handleNow = (input: SuperOfficeWebhookInput): Answer =>
    observer.observed ? observer.trace(input, () => Promise.resolve(safeRun(input))) : safeRun(input)

  const drain = async () => {
    while (pending.size > 0) await Promise.allSettled([...pending])
  }
  let worker: SuperOfficeInboxWorker | undefined
  const register = (name: string, handler: unknown) => {
    if (typeof handler !== 'function') throw new TypeError(`${name}: handler must be a function.`)
  }

  const webhooks: SuperOfficeWebhooks = {
    maxBodyBytes,
    on(selector, handler, handlerOptions) {
      register('on(selector, handler)', handler)
      dispatcher.add(
        Array.isArray(selector) ? selector : [selector as string],
        handler as AnyHandler,
        handlerOptions?.changed as readonly string[] | undefined,
      )
      return webhooks
    },
    off(selector, handler) {
      dispatcher.remove(Array.isArray(selector) ? selector : [selector as string], handler as AnyHandler)
      return webhooks
    },
    onAny(handler) {
      register('onAny(handler)', handler)
      dispatcher.addAny(handler)
      return webhooks
    },
    offAny(handler) {
      dispatcher.removeAny(handler)
      return webhooks
    },
    onError(handler) {
      register('onError(handler)', handler)
      observer.errorHandlers.push(handler)
      return webhooks
    },
    onOutcome(handler) {
      register('onOutcome(handler)', handler)
      observer.outcomeHandlers.push(handler)
      return webhooks
    },
    onDeadLetter(handler) {
      register('onDeadLetter(handler)', handler)
      deadLetterHandlers.push(handler)
      return webhooks
    },
    handle: (input) => Promise.resolve(handleNow(input)),
    answerError: (error) =>
      fail(
        isSuperOfficeWebhookError(error)
          ? error
          : new SuperOfficeWebhookError('internal_error', 'The webhook could not be processed.', { cause: error }),
      ),
    receive: (input) => receiveRequest(webhooks, input, handleNow, () => fail(methodNotAllowed())),
    async handleRequest(request) {
      const { method, headers, url } = request
      return toResponse(await webhooks.receive({ method, headers, url, body: { web: request }, request }))
    },
    async inject(event, injectOptions) {
      const rawBody = JSON.stringify(event)
      const verdict = validator.validate(JSON.parse(rawBody))
      if (verdict instanceof SuperOfficeWebhookError) throw verdict
      if (verdict.event === undefined) throw verdict.mismatch
      const reconciled = injectOptions.reconciled
      if (inbox) {
        const job = { ...inboxJob(rawBody, verdict.event, verdict.kind, undefined, undefined), reconciled }
        try {
          await inbox.enqueue(job)
        } catch (error) {
          throw new SuperOfficeWebhookError('inbox_unavailable', 'The event could not be stored; retry later.', {
            cause: error,
          })
        }
        return 'queued'
      }
      const { answer, failures } = await deliverOutcome({
        rawBody,
        event: verdict.event,
        name: verdict.name,
        kind: verdict.kind,
        loose: verdict.mismatch !== undefined,
        eventId: typeof verdict.event.EventId === 'string' ? verdict.event.EventId : undefined,
        tenant: typeof verdict.event.ContextIdentifier === 'string' ? verdict.event.ContextIdentifier : undefined,
        retry: undefined,
        secretIndex: undefined,
        headers: undefined,
        reconciled,
      })
      const body = answer.body
      if (body.ok === false) {
        throw new SuperOfficeWebhookError(body.error, body.message, {
          cause: failures.length === 1 ? failures[0]?.error : failures.map((f) => f.error),
        })
      }
      return body.duplicate ? 'duplicate' : 'handled'
    },
    processJob: (job, attempt = { attempt: 1, attempts: 1 }) => {
      // Told once per job: on the last attempt's failure, or when the engine gives the last
      // attempt up for good (its handler timed out and may hang on).
      let told = false
      const tellDeadLetter = (error: unknown) => {
        if (told || attempt.attempt < attempt.attempts || deadLetterHandlers.length === 0) return
        if (attempt.holdsThrottled && throttledFor(error) !== undefined) return // held, not dead
        told = true
        const letter: SuperOfficeDeadLetter = {
          tenant: job?.tenant,
          event: typeof job?.event === 'string' ? job.event : 'unknown',
          eventId: job?.eventId,
          jobId: attempt.id,
          attempts: attempt.attempts,
          reason: error instanceof Error ? error.message : String(error),
          error,
        }
        for (const handler of deadLetterHandlers) {
          try {
            const result = handler(letter)
            if (isThenable(result)) {
              result.then(undefined, (e: unknown) =>
                observer.log('error', 'listener', 'a dead-letter listener failed', e),
              )
            }
          } catch (e) {
            observer.log('error', 'listener', 'a dead-letter listener failed', e)
          }
        }
      }
      const onAbort = () => {
        const reason: unknown = attempt.signal?.reason
        if (reason instanceof Error && reason.name === 'SuperOfficeHandlerTimeout') tellDeadLetter(reason)
      }
      attempt.signal?.addEventListener('abort', onAbort, { once: true })
      return runJob(job, attempt, validator, deliverOutcome).then(
        () => attempt.signal?.removeEventListener('abort', onAbort),
        (error: unknown) => {
          attempt.signal?.removeEventListener('abort', onAbort)
          tellDeadLetter(error)
          throw error
        },
      )
    },
    async start(workerOptions) {
      if (worker) return
      if (!inbox?.work) throw new TypeError('start(): this receiver has no inbox with a worker (options.inbox.work).')
      worker = inbox.work((job, attempt) => webhooks.processJob(job, attempt), workerOptions)
      await worker.started
    },
    async close() {
      await drain()
      const running = worker
      worker = undefined
      await running?.close()
      await inbox?.close?.()
    },
    drain,
  }
  return webhooks
}
