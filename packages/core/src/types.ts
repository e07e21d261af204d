import type { SuperOfficeWebhookError, SuperOfficeWebhookErrorCode } from './errors.js'
import type { HeadersLike } from './headers.js'
import type {
  SuperOfficeCoalesced,
  SuperOfficeInboxJob,
  SuperOfficeJobAttempt,
  SuperOfficeReconciled,
  SuperOfficeReplay,
  SuperOfficeWorkerOptions,
} from './inbox.js'
import type { SuperOfficeEventFor, SuperOfficeEventSelector } from './routing.js'
import type { SuperOfficeAnyEvent, SuperOfficeEventKind } from './schemas.js'
import type { RawBody } from './signature.js'

/**
 * What a handler gets besides the event.
 *
 * @example
 * ```ts
 * webhooks.on('sale.sold', (event, context) => {
 *   if (context.retry) console.log('retry', context.retry, 'of', context.eventId)
 * })
 * ```
 */
/**
 * The carriers behind events, by the entity part of the event name (`sale` for `sale.sold`). Empty
 * here; `@superoffice-webhooks/api` fills it (module augmentation) with the types generated from
 * SuperOffice's OpenAPI files, so `context.fetchEntity()` is typed once that package is imported.
 *
 * @example
 * ```ts
 * import type { SuperOfficeEntities } from '@superoffice-webhooks/core'
 * type Sale = SuperOfficeEntities extends { sale: infer T } ? T : unknown
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by module augmentation
export interface SuperOfficeEntities {}

/**
 * The carrier `fetchEntity` returns for a selector: `SuperOfficeEntityFor<'sale.sold'>` is the
 * Sale; extra tables (`y_…`) give the custom object; anything else `unknown`.
 *
 * @example
 * ```ts
 * type Sale = SuperOfficeEntityFor<'sale.sold'>
 * ```
 */
export type SuperOfficeEntityFor<S extends string> = S extends `${infer P}.${string}`
  ? P extends keyof SuperOfficeEntities
    ? SuperOfficeEntities[P]
    : P extends `y_${string}`
      ? SuperOfficeEntities extends { customobject: infer C }
        ? C
        : unknown
      : unknown
  : unknown

/**
 * What the receiver's `api` option needs: `fetchEntity(event)`. `createSuperOfficeApi` from
 * `@superoffice-webhooks/api` is one.
 *
 * @example
 * ```ts
 * const api: SuperOfficeEntityFetcher = createSuperOfficeApi({ environment: 'online', ... })
 * ```
 */
export interface SuperOfficeEntityFetcher {
  fetchEntity(event: SuperOfficeAnyEvent): Promise<unknown>
}

export interface SuperOfficeEventContext<S extends string = string> {
  /** Which family the event's schema came from. `unknown` for custom events and tolerated mismatches. */
  kind: SuperOfficeEventKind
  /** The body's `EventId` (absent only on a tolerated body that lacks it). */
  eventId: string | undefined
  /** The body's `ContextIdentifier`, trusted: the signature matched. */
  tenant: string | undefined
  /** `X-SuperOffice-Retry`, when SuperOffice says this is a retry. */
  retry: number | undefined
  /** Index of the secret that matched (rotation), `undefined` when unsigned. */
  secretIndex: number | undefined
  /** The exact body bytes (or text) as received. */
  rawBody: RawBody
  /** Reads a request header, case-insensitively (custom headers of the webhook). */
  header(name: string): string | undefined
  /** The framework's own request object, when the adapter passes one (`H3Event`, Koa `Context`…). */
  request?: unknown
  /**
   * In an inbox worker: aborted when the attempt is given up (`handlerTimeoutMs` passed, or the
   * worker is closing). Pass it to `fetch` and other calls, or check `signal.aborted` between
   * steps, so an abandoned attempt stops instead of running on beside its retry. Absent when the
   * event is handled inline.
   */
  signal?: AbortSignal
  /** Set when an operator replayed this event from the inbox (`inbox.replay(...)`). */
  replay?: SuperOfficeReplay
  /**
   * Set when gap recovery made this event (`reconcile` in `@superoffice-webhooks/api`): SuperOffice
   * did not send it; the row was found changed after a window without deliveries.
   */
  reconciled?: SuperOfficeReconciled
  /**
   * Set when the inbox merged a burst of events for this row into one job (its `coalesce`
   * option): how many, and the first and last EventId. The event is the last one.
   */
  coalesced?: SuperOfficeCoalesced
  /**
   * Whether this event's `Timestamp` is later than `other` (a Timestamp stored with your last
   * write of the row, or a Date), to the tenth of a microsecond: handlers drop stale writes with
   * `if (!context.isNewerThan(row.syncedAt)) return`. `true` when `other` is missing.
   */
  isNewerThan(other: string | Date | null | undefined): boolean
  /**
   * The entity behind the event, fetched from the tenant's SuperOffice API (the receiver's `api`
   * option): the Sale of a `sale.*` event, the Contact of a `contact.*` event… `null` when the row
   * is gone (deleted since). Rejects with a TypeError when the receiver has no `api`.
   */
  fetchEntity(): Promise<SuperOfficeEntityFor<S> | null>
}

/**
 * A handler for a name or pattern; its event is typed by the selector.
 *
 * @example
 * ```ts
 * const onSold: SuperOfficeEventHandler<'sale.sold'> = async (event) => {
 *   await crm.markWon(event.PrimaryKey)
 * }
 * ```
 */
export type SuperOfficeEventHandler<S extends string = string> = (
  event: SuperOfficeEventFor<S>,
  context: SuperOfficeEventContext<S>,
) => unknown

/**
 * The documented field names of the events a selector matches (the keys of their `FieldValues`,
 * which are the names `Changes` lists); `never` where the catalogue has none.
 *
 * @example
 * ```ts
 * type ContactFields = SuperOfficeChangedField<'contact.changed'> // 'business_idx' | 'category_idx' | …
 * ```
 */
export type SuperOfficeChangedField<S extends string> =
  SuperOfficeEventFor<S> extends infer E
    ? E extends { FieldValues?: infer F }
      ? keyof { [K in keyof NonNullable<F> as string extends K ? never : K]: true } & string
      : never
    : never

/**
 * Options of `webhooks.on(selector, handler, options)`.
 *
 * @example
 * ```ts
 * webhooks.on('contact.changed', syncName, { changed: ['name', 'business_idx'] })
 * ```
 */
export interface SuperOfficeHandlerOptions<S extends string = string> {
  /**
   * Run only when one of these fields is in the event's `Changes` (compared without regard to
   * case). The documented names are suggested; any name is accepted, since installations differ.
   */
  changed?: readonly (SuperOfficeChangedField<S> | (string & {}))[]
}

/**
 * A handler for every event but `test`, documented or not.
 *
 * @example
 * ```ts
 * const logAll: SuperOfficeAnyEventHandler = (event) => console.log(event.Event)
 * ```
 */
export type SuperOfficeAnyEventHandler = (event: SuperOfficeAnyEvent, context: SuperOfficeEventContext) => unknown

/**
 * A job whose last attempt failed, as `onDeadLetter` listeners are told.
 *
 * @example
 * ```ts
 * webhooks.onDeadLetter((letter) => alert(`${letter.tenant}: ${letter.event} ${letter.eventId} failed for good: ${letter.reason}`))
 * ```
 */
export interface SuperOfficeDeadLetter {
  /** The tenant (`ContextIdentifier`). */
  tenant: string | undefined
  /** The event name. */
  event: string
  /** The body's `EventId`. */
  eventId: string | undefined
  /** The queue's id of the job. */
  jobId: string | undefined
  /** How many attempts it had. */
  attempts: number
  /** Why the last one failed: the failing handlers by name with their messages. */
  reason: string
  /** The error of the last attempt. */
  error: unknown
}

/**
 * A dead-letter listener. Its own errors are logged and ignored.
 *
 * @example
 * ```ts
 * const notify: SuperOfficeDeadLetterHandler = (letter) => pager.send(letter.reason)
 * ```
 */
export type SuperOfficeDeadLetterHandler = (letter: SuperOfficeDeadLetter) => unknown

/**
 * What `onError` handlers are told.
 *
 * @example
 * ```ts
 * webhooks.onError((error, info) => console.warn(error.code, info.status, info.event?.Event))
 * ```
 */
export interface SuperOfficeErrorInfo {
  /** The event, when the body got that far. */
  event?: SuperOfficeAnyEvent
  /** The status answered (200 for failures after an early answer and tolerated mismatches). */
  status: number
  /** The handler that failed, for `handler_failed` (its function name, or `anonymous`). */
  handler?: string
  /** The framework's request object the delivery came with, when the adapter passed one. */
  request?: unknown
  /** For failures in an inbox worker: which attempt of the stored job failed (the delivery was answered 200 long before). */
  job?: SuperOfficeJobAttempt
}

/**
 * An error listener. Its own errors are logged and ignored.
 *
 * @example
 * ```ts
 * const onError: SuperOfficeErrorHandler = (error) => metrics.increment(`superoffice.${error.code}`)
 * ```
 */
export type SuperOfficeErrorHandler = (error: SuperOfficeWebhookError, info: SuperOfficeErrorInfo) => unknown

/**
 * What happened to one request, for metrics: told once per request, after the answer is known.
 *
 * @example
 * ```ts
 * webhooks.onOutcome((o) => histogram.observe({ code: o.code, event: o.event ?? 'none' }, o.durationMs))
 * ```
 */
export interface SuperOfficeOutcome {
  /**
   * `handled`, `duplicate`, `test`, `unhandled`, `deferred`, `queued` (inbox), `ignored` (the
   * integration's own change, `ignoreChangesBy`), or the error code of a refusal.
   */
  code: 'handled' | 'duplicate' | 'test' | 'unhandled' | 'deferred' | 'queued' | 'ignored' | SuperOfficeWebhookErrorCode
  /** The status answered. */
  status: number
  /** The event name, once the signature matched and the body parsed. */
  event: string | undefined
  /** The body's EventId, once trusted. */
  eventId: string | undefined
  /** The tenant (`ContextIdentifier`), once trusted. */
  tenant: string | undefined
  /** Whether the event was a duplicate delivery. */
  duplicate: boolean
  /** Time from the start of `handle` to the answer, in milliseconds. */
  durationMs: number
}

/**
 * An outcome listener. Its own errors are logged and ignored.
 *
 * @example
 * ```ts
 * const count: SuperOfficeOutcomeHandler = (o) => counter.add(1, { code: o.code })
 * ```
 */
export type SuperOfficeOutcomeHandler = (outcome: SuperOfficeOutcome) => unknown

/**
 * The answer body: short JSON with a stable code. Never a secret, stack or handler message.
 *
 * @example
 * ```ts
 * const body: SuperOfficeAnswerBody = { ok: false, error: 'signature_invalid', message: '…' }
 * ```
 */
export type SuperOfficeAnswerBody =
  | { ok: true; duplicate?: true; test?: true; handled?: false; deferred?: true; queued?: true; ignored?: true }
  | { ok: false; error: SuperOfficeWebhookErrorCode; message: string }

/**
 * The pipeline's answer, for an adapter to write as is: `status`, `headers`, and `body` as JSON.
 *
 * @example
 * ```ts
 * const answer = await webhooks.handle({ rawBody, headers })
 * res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
 * ```
 */
export interface SuperOfficeWebhookAnswer {
  status: number
  headers: Readonly<Record<string, string>>
  body: SuperOfficeAnswerBody
  /** The validated event, when there was one. */
  event?: SuperOfficeAnyEvent
  /** What went wrong, for the adapter's logs; never written to the answer. */
  error?: SuperOfficeWebhookError
}

/**
 * What an adapter passes to `handle`.
 *
 * @example
 * ```ts
 * await webhooks.handle({ rawBody, headers: req.headers, url: req.url, request: ctx })
 * ```
 */
export interface SuperOfficeWebhookInput {
  /** The body exactly as received. */
  rawBody: RawBody
  /** The request headers. */
  headers: HeadersLike
  /** The request URL, for a secret resolver. */
  url?: string | undefined
  /** The framework's request object, handed to handlers (`context.request`) and the secret resolver. */
  request?: unknown
  /** For `respond: 'after-claim'` on serverless platforms: keeps the runtime alive for the handlers. */
  waitUntil?: ((work: Promise<unknown>) => void) | undefined
  /**
   * The adapter's report hook: told of this request's handler failures (also those after an early
   * answer, `respond: 'after-claim'`), so the framework's own error handling sees them. It runs
   * after the `onError` listeners; its errors are logged and ignored.
   */
  onFailure?: ((error: SuperOfficeWebhookError, info: SuperOfficeErrorInfo) => void) | undefined
}

/**
 * The receiver: register handlers, then feed it requests through an adapter or `handleRequest`.
 *
 * @example
 * ```ts
 * const webhooks: SuperOfficeWebhooks = createSuperOfficeWebhooks({ secret })
 * webhooks.on('sale.sold', (event) => console.log(event.PrimaryKey))
 * ```
 */
export interface SuperOfficeWebhooks {
  /**
   * Registers a handler for an event name, a list of names, or a pattern (`'sale.*'`,
   * `'*.deleted'`). The event is typed by the selector. Returns the receiver, for chaining.
   */
  on<const S extends SuperOfficeEventSelector>(
    selector: S | readonly S[],
    handler: SuperOfficeEventHandler<S>,
    options?: SuperOfficeHandlerOptions<S>,
  ): SuperOfficeWebhooks
  /** Removes a handler registered with `on` for the same selector(s). Returns the receiver. */
  off<const S extends SuperOfficeEventSelector>(
    selector: S | readonly S[],
    handler: SuperOfficeEventHandler<S>,
  ): SuperOfficeWebhooks
  /** Registers a handler for every event but `test`, documented or not. */
  onAny(handler: SuperOfficeAnyEventHandler): SuperOfficeWebhooks
  /** Removes a handler registered with `onAny`. */
  offAny(handler: SuperOfficeAnyEventHandler): SuperOfficeWebhooks
  /** Registers an error listener: rejected requests, failed handlers, tolerated schema mismatches. */
  onError(handler: SuperOfficeErrorHandler): SuperOfficeWebhooks
  /** Registers an outcome listener: one call per request, for metrics. */
  onOutcome(handler: SuperOfficeOutcomeHandler): SuperOfficeWebhooks
  /**
   * Registers a dead-letter listener: told, in the inbox worker, about each job whose last attempt
   * failed (it stays in the inbox's failed set), with its tenant, event and why.
   */
  onDeadLetter(handler: SuperOfficeDeadLetterHandler): SuperOfficeWebhooks
  /** Runs the pipeline on raw bytes and headers and returns the answer to write. Never throws. */
  handle(input: SuperOfficeWebhookInput): Promise<SuperOfficeWebhookAnswer>
  /**
   * The one entry adapters use: the method check (405 with `Allow: POST`), the body read with the
   * limit from whatever the framework has (`body`), the consumed-body rule, then `handle`. Never throws.
   */
  receive(input: SuperOfficeRequestInput): Promise<SuperOfficeWebhookAnswer>
  /** Web-standard entry: a `Request` in, a `Response` out (body size limit included). */
  handleRequest(request: Request): Promise<Response>
  /**
   * The answer for an error an adapter met before it had the body (413 while streaming, raw body
   * consumed by a body parser, a dropped connection…): reported like any other, same JSON body.
   */
  answerError(error: unknown): SuperOfficeWebhookAnswer
  /**
   * Runs the handlers for a job an inbox stored (in a worker, in this or another process): the
   * body is parsed and validated again, then dispatched as `handle` would. Resolves when every
   * handler succeeded; rejects with `handler_failed` so the queue retries it: its message names
   * each failed handler and its error's message, its stack is the first handler's, its cause holds
   * the errors. This error is for the operator (the dead letter), never an answer. Rejects with
   * `invalid_json` for a body that no longer parses, or `job_data_missing` when the stored job
   * lost its body (a Redis that evicts keys).
   */
  processJob(job: SuperOfficeInboxJob, attempt?: SuperOfficeJobAttempt): Promise<void>
  /**
   * Puts an event this app made itself into the pipeline, as if SuperOffice had sent it: gap
   * recovery's `<entity>.changed` for each row changed in a window without deliveries
   * (`reconcile` in `@superoffice-webhooks/api` calls it). It is not signed, so it never comes
   * from a request: only code of the app can call this. Validated like a delivery, then stored
   * in the inbox (`'queued'`) or, without one, handled at once (`'handled'`), with the dedupe
   * store's check (`'duplicate'` for an EventId already handled). Handlers see `context.reconciled`.
   * Rejects with the validation error, `inbox_unavailable` or `handler_failed`.
   *
   * @example
   * ```ts
   * await webhooks.inject(
   *   { Event: 'sale.changed', EventId, Timestamp, PrimaryKey: 12, Entity: 'sale', ContextIdentifier: 'Cust12345', Changes: [], ChangedByAssociateId: 0, WebhookName: 'reconcile' },
   *   { reconciled: { since: '2026-12-01T08:00:00Z', at: new Date().toISOString() } },
   * )
   * ```
   */
  inject(
    event: Record<string, unknown> & { Event: string },
    options: { reconciled: SuperOfficeReconciled },
  ): Promise<'queued' | 'handled' | 'duplicate'>
  /**
   * Starts the inbox's worker with this receiver's handlers (`options.inbox.work`); resolves once
   * it takes jobs, rejects when the inbox refused to start (an evicting Redis). Frameworks call
   * this and {@link SuperOfficeWebhooks.close}, never the queue engine. Throws without an inbox
   * that has a worker.
   *
   * @example
   * ```ts
   * const webhooks = createSuperOfficeWebhooks({ secret, inbox: createBullMQInbox({ connection }) })
   * await webhooks.start({ concurrency: 10, handlerTimeoutMs: 60_000 })
   * process.once('SIGTERM', () => webhooks.close())
   * ```
   */
  start(options?: SuperOfficeWorkerOptions): Promise<void>
  /**
   * Graceful shutdown: lets early-answered handlers finish, stops the worker (running attempts
   * get a bounded time, then go back to the queue) and closes the inbox.
   */
  close(): Promise<void>
  /** Resolves when handlers started after an early answer have finished (graceful shutdown). */
  drain(): Promise<void>
  /** The body size limit, for adapters that read the stream themselves. */
  readonly maxBodyBytes: number
}

/** A handler as the dispatcher stores it. */
/**
 * What an adapter needs of a receiver: the event receiver (`createSuperOfficeWebhooks`) and the
 * tenant status receiver (`createSuperOfficeTenantStatus`) both are one, so every adapter serves
 * both.
 *
 * @example
 * ```ts
 * const receivers: SuperOfficeReceiver[] = [webhooks, tenantStatus]
 * ```
 */
export interface SuperOfficeReceiver {
  /** A request as the framework has it, to the answer. */
  receive(input: SuperOfficeRequestInput): Promise<SuperOfficeWebhookAnswer>
  /** Web-standard: a `Request` in, a `Response` out. */
  handleRequest(request: Request): Promise<Response>
  /** Failures, for logs and the framework's error reporting. */
  onError(handler: SuperOfficeErrorHandler): unknown
}

export type AnyHandler = (event: SuperOfficeAnyEvent, context: SuperOfficeEventContext) => unknown

/**
 * Where a request's body is, as a framework has it. The pipeline takes the first that holds the
 * bytes: `bytes`, then a Node request's `body` when it is text or bytes (a serverless platform's
 * mocked request, a raw body parser), then the `web` body, then the `node` stream.
 *
 * @example
 * ```ts
 * const body: SuperOfficeBodySource = { bytes: ctx.request.rawBody, node: ctx.req, parsed: ctx.request.body }
 * ```
 */
export interface SuperOfficeBodySource {
  /** The raw bytes (or their text) a framework or body parser kept. */
  bytes?: RawBody | undefined
  /** A Node request (`IncomingMessage`) to read with the size limit. */
  node?: NodeBodyLike | undefined
  /** A web `Request` or body stream to read with the size limit. */
  web?: Request | ReadableStream<Uint8Array> | null | undefined
  /**
   * The framework's parsed body, when it has one: the stream was consumed, so without `bytes` the
   * request is answered 500 `raw_body_unavailable` rather than read again (and hang).
   */
  parsed?: unknown
}

/** A Node request as the pipeline reads it. */
export interface NodeBodyLike extends AsyncIterable<Uint8Array | string> {
  readableEnded?: boolean
  /** Set by serverless platforms' mocked requests (Nitro 2's local fetch) and raw body parsers. */
  body?: unknown
}

/**
 * One request, as an adapter maps its framework to it: core does the method check, reads the
 * body with the limit, applies the consumed-body rule, and runs the pipeline.
 *
 * @example
 * ```ts
 * await webhooks.receive({ method: req.method, headers: req.headers, url: req.url, body: { node: req }, request: req })
 * ```
 */
export interface SuperOfficeRequestInput {
  method: string | undefined
  headers: HeadersLike
  url?: string | undefined
  body: SuperOfficeBodySource
  /** The framework's request object (`H3Event`, Koa `Context`, Nest request), handed to handlers and the secret resolver. */
  request?: unknown
  /** Serverless platforms: keeps the runtime alive for handlers that run after the answer. */
  waitUntil?: ((work: Promise<unknown>) => void) | undefined
  /**
   * What the app must change when the raw bytes are gone (a body parser ran first): part of the
   * 500 `raw_body_unavailable` message and of the log line.
   */
  rawBodyFix?: string
  /**
   * The adapter's report hook: told of this request's handler failures (also those after an early
   * answer, `respond: 'after-claim'`), so the framework's own error handling sees them. It runs
   * after the `onError` listeners; its errors are logged and ignored.
   */
  onFailure?: ((error: SuperOfficeWebhookError, info: SuperOfficeErrorInfo) => void) | undefined
}
