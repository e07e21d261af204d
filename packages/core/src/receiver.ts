import type * as z from 'zod'
import { DEFAULT_MAX_BODY_BYTES, readRequestBody } from './body.js'
import { type CompiledCheck, compileCheck } from './compiled-check.js'
import { createMemoryDedupeStore, type SuperOfficeDedupeStore } from './dedupe.js'
import {
  isSuperOfficeWebhookError,
  methodNotAllowed,
  SuperOfficeWebhookError,
  type SuperOfficeWebhookErrorCode,
} from './errors.js'
import { getHeader, type HeadersLike } from './headers.js'
import { compileSelector, type SuperOfficeEventFor, type SuperOfficeEventSelector } from './routing.js'
import {
  type SuperOfficeAnyEvent,
  type SuperOfficeEvent,
  type SuperOfficeEventKind,
  type SuperOfficeEventName,
  schemaForEvent,
  superOfficeUnknownEventSchema,
} from './schemas.js'
import {
  type RawBody,
  type SuperOfficeSecrets,
  usesNodeCrypto,
  verifySignature,
  verifySignatureSync,
} from './signature.js'

/** What a secret resolver is told before the signature is checked. Untrusted until it matches. */
export interface SuperOfficeSecretHint {
  /** The body's `ContextIdentifier` (tenant, `Cust12345`), when the body parses. */
  tenant: string | undefined
  /** The request URL, when the adapter knows it. */
  url: string | undefined
  /** Reads a request header, case-insensitively. */
  header(name: string): string | undefined
}

/**
 * Picks the secret(s) for a request in a multi-tenant app. Return `undefined` for an unknown
 * tenant: the request is refused (401).
 */
export type SuperOfficeSecretResolver = (
  hint: SuperOfficeSecretHint,
) => SuperOfficeSecrets | undefined | null | Promise<SuperOfficeSecrets | undefined | null>

/** Where the pipeline writes its few log lines. `console` fits. */
export interface SuperOfficeLogger {
  warn(message: string, ...details: unknown[]): void
  error(message: string, ...details: unknown[]): void
}

/** Options of {@link createSuperOfficeWebhooks}. */
export interface SuperOfficeWebhooksOptions {
  /**
   * The webhook's secret, several during a rotation (the result tells which matched), or a
   * resolver for multi-tenant apps. Required unless `allowUnsigned` is set.
   */
  secret?: SuperOfficeSecrets | SuperOfficeSecretResolver
  /** Accept unsigned requests when no secret is configured. Off by default: fail closed. */
  allowUnsigned?: boolean
  /** Largest body accepted (413 above it). Default 1 MiB. */
  maxBodyBytes?: number
  /**
   * Strict mode: refuse unknown keys in envelopes of documented events, unknown event names and
   * a header/body EventId mismatch with 400. Off by default, since a SuperOffice format change
   * must not turn into a stream of 400s that gets the webhook disabled.
   */
  strict?: boolean
  /**
   * Refuse (401 `timestamp_out_of_range`) events whose signed `Timestamp` is older than this many
   * seconds, or more than 5 minutes in the future. Off by default: SuperOffice's retry queue
   * can deliver late, and each refusal counts towards the nine failures that stop a webhook.
   */
  maxEventAgeSeconds?: number
  /** Duplicate check on `EventId`, per tenant. On by default with an in-memory store. */
  dedupe?: false | SuperOfficeDedupeOptions
  /**
   * When to answer. `'after-handlers'` (default): 200 once every handler succeeded, 500 if one
   * failed, so SuperOffice retries. `'after-claim'`: 200 as soon as the event is verified and
   * claimed; handlers run after and failures go to `onError` only (SuperOffice will not retry).
   */
  respond?: 'after-handlers' | 'after-claim'
  /** Log lines (rejections when no `onError` is registered, handler failures). Default `console`. */
  logger?: SuperOfficeLogger | false
}

/** Options of the duplicate check. */
export interface SuperOfficeDedupeOptions {
  /** The store; default an in-memory store of 100,000 keys. */
  store?: SuperOfficeDedupeStore
  /** How long a handled EventId is remembered. Default 24 hours. */
  ttlSeconds?: number
  /** How long a claim holds while handlers run, so a crash mid-way does not block retries forever. Default 5 minutes. */
  claimTtlSeconds?: number
  /**
   * When the store fails (Redis unreachable): `'refuse'` answers 500 so SuperOffice retries later
   * (default); `'accept'` handles the event without a duplicate check. Either way it is logged.
   */
  onStoreError?: 'refuse' | 'accept'
}

/** What a handler gets besides the event. */
export interface SuperOfficeEventContext {
  /** Which family the event's schema came from. `unknown` for custom events. */
  kind: SuperOfficeEventKind
  /** The body's `EventId`. */
  eventId: string
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
  context: SuperOfficeEventContext,
) => unknown

/** A handler for every event but `test`, documented or not. */
export type SuperOfficeAnyEventHandler = (event: SuperOfficeAnyEvent, context: SuperOfficeEventContext) => unknown

/** What `onError` handlers are told. */
export interface SuperOfficeErrorInfo {
  /** The event, when the body got that far. */
  event?: SuperOfficeAnyEvent
  /** The status answered (200 for failures after an early answer and tolerated mismatches). */
  status: number
}

/** An error listener. Its own errors are logged and ignored. */
export type SuperOfficeErrorHandler = (error: SuperOfficeWebhookError, info: SuperOfficeErrorInfo) => unknown

/** The answer body: short JSON with a stable code. Never a secret, stack or handler message. */
export type SuperOfficeAnswerBody =
  | { ok: true; duplicate?: true; test?: true; handled?: false; deferred?: true }
  | { ok: false; error: SuperOfficeWebhookErrorCode; message: string }

/**
 * The pipeline's answer, for an adapter to write as is: `status`, `headers`, and `body` as JSON.
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

/** What an adapter passes to `handle`. */
export interface SuperOfficeWebhookInput {
  /** The body exactly as received. */
  rawBody: RawBody
  /** The request headers. */
  headers: HeadersLike
  /** The request URL, for a secret resolver. */
  url?: string
  /** For `respond: 'after-claim'` on serverless platforms: keeps the runtime alive for the handlers. */
  waitUntil?: (work: Promise<unknown>) => void
}

/** The receiver: register handlers, then feed it requests through an adapter or `handleRequest`. */
export interface SuperOfficeWebhooks {
  /**
   * Registers a handler for an event name, a list of names, or a pattern (`'sale.*'`,
   * `'*.deleted'`). The event is typed by the selector. Returns the receiver, for chaining.
   */
  on<const S extends SuperOfficeEventSelector>(
    selector: S | readonly S[],
    handler: SuperOfficeEventHandler<S>,
  ): SuperOfficeWebhooks
  /** Registers a handler for every event but `test`, documented or not. */
  onAny(handler: SuperOfficeAnyEventHandler): SuperOfficeWebhooks
  /** Registers an error listener: rejected requests, failed handlers, tolerated schema mismatches. */
  onError(handler: SuperOfficeErrorHandler): SuperOfficeWebhooks
  /** Runs the pipeline on raw bytes and headers and returns the answer to write. Never throws. */
  handle(input: SuperOfficeWebhookInput): Promise<SuperOfficeWebhookAnswer>
  /** Web-standard entry: a `Request` in, a `Response` out (body size limit included). */
  handleRequest(request: Request): Promise<Response>
  /**
   * The answer for an error an adapter met before it had the body (413 while streaming, raw body
   * consumed by a body parser…): reported to `onError` like any other, with the same JSON body.
   */
  answerError(error: unknown): SuperOfficeWebhookAnswer
  /** Resolves when handlers started after an early answer have finished (graceful shutdown). */
  drain(): Promise<void>
  /** The body size limit, for adapters that read the stream themselves. */
  readonly maxBodyBytes: number
}

type AnyHandler = (event: SuperOfficeAnyEvent, context: SuperOfficeEventContext) => unknown

interface Route {
  match: (name: string) => boolean
  exact: string | undefined
  handler: AnyHandler
}

interface EventPlan {
  kind: SuperOfficeEventKind
  schema: z.ZodType
  /** The schema compiled to a predicate, when it can be: the fast path for valid bodies. */
  check: CompiledCheck | undefined
  handlers: AnyHandler[]
}

const compiledChecks = new WeakMap<z.ZodType, CompiledCheck | null>()
function checkFor(schema: z.ZodType): CompiledCheck | undefined {
  let check = compiledChecks.get(schema)
  if (check === undefined) {
    check = compileCheck(schema) ?? null
    compiledChecks.set(schema, check)
  }
  return check ?? undefined
}

const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json; charset=utf-8' })
const OK: SuperOfficeAnswerBody = Object.freeze({ ok: true }) as SuperOfficeAnswerBody
const DUPLICATE: SuperOfficeAnswerBody = Object.freeze({ ok: true, duplicate: true }) as SuperOfficeAnswerBody
const TEST: SuperOfficeAnswerBody = Object.freeze({ ok: true, test: true }) as SuperOfficeAnswerBody
const UNHANDLED: SuperOfficeAnswerBody = Object.freeze({ ok: true, handled: false }) as SuperOfficeAnswerBody
const DEFERRED: SuperOfficeAnswerBody = Object.freeze({ ok: true, deferred: true }) as SuperOfficeAnswerBody
const MAX_FUTURE_MS = 5 * 60 * 1000
const PLAN_CACHE_LIMIT = 1000

const decoder = new TextDecoder()
const validatedEvents = new WeakSet<object>()

/**
 * Whether an event delivered by the pipeline is the documented event `name`, validated against its
 * schema (a tolerated mismatch is delivered with the same `Event` but is not). Narrows the type.
 *
 * @example
 * ```ts
 * webhooks.on('sale.*', (event) => {
 *   if (isSuperOfficeEvent(event, 'sale.sold')) event.FieldValues?.currency_id // number | undefined
 * })
 * ```
 */
export function isSuperOfficeEvent<N extends SuperOfficeEventName>(
  event: unknown,
  name: N,
): event is SuperOfficeEvent<N> {
  return (
    typeof event === 'object' &&
    event !== null &&
    validatedEvents.has(event) &&
    (event as { Event?: unknown }).Event === name
  )
}

/**
 * Creates the receiving pipeline: size limit, signature over the raw bytes, JSON parse, envelope
 * validation, freshness (optional), duplicate check on `EventId`, typed dispatch, answer.
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
  const secretOption = options.secret
  const resolver = typeof secretOption === 'function' ? secretOption : undefined
  const staticSecrets = resolver ? undefined : normaliseSecrets(secretOption as SuperOfficeSecrets | undefined)
  if (!resolver && !staticSecrets && !options.allowUnsigned) {
    throw new TypeError(
      'createSuperOfficeWebhooks: no secret. Pass { secret } (the secret set on the SuperOffice webhook), ' +
        'or { allowUnsigned: true } to accept unsigned requests on purpose.',
    )
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!(maxBodyBytes > 0)) throw new RangeError('maxBodyBytes must be a positive number.')
  const strict = options.strict === true
  const maxAgeMs = options.maxEventAgeSeconds === undefined ? undefined : options.maxEventAgeSeconds * 1000
  const logger = options.logger === false ? undefined : (options.logger ?? console)
  const respondEarly = options.respond === 'after-claim'
  const dedupe = options.dedupe === false ? undefined : (options.dedupe ?? {})
  const store = dedupe ? (dedupe.store ?? createMemoryDedupeStore()) : undefined
  const ttlMs = (dedupe?.ttlSeconds ?? 24 * 60 * 60) * 1000
  const claimTtlMs = (dedupe?.claimTtlSeconds ?? 5 * 60) * 1000
  const acceptOnStoreError = dedupe?.onStoreError === 'accept'

  const routes: Route[] = []
  const anyHandlers: AnyHandler[] = []
  const errorHandlers: SuperOfficeErrorHandler[] = []
  const plans = new Map<string, EventPlan>()
  const strictSchemas = new WeakMap<z.ZodType, z.ZodType>()
  const pending = new Set<Promise<unknown>>()

  const planFor = (name: string): EventPlan => {
    let plan = plans.get(name)
    if (plan) return plan
    const { kind, schema } = schemaForEvent(name)
    const isTest = name === 'test'
    const handlers: AnyHandler[] = []
    for (const route of routes) {
      // The test event reaches only handlers registered for it by name: saving a webhook in
      // SuperOffice must not trigger business logic.
      if (isTest ? route.exact === 'test' : route.match(name)) handlers.push(route.handler)
    }
    if (!isTest) handlers.push(...anyHandlers)
    const planSchema = strict && kind === 'known' ? strictSchema(schema) : schema
    plan = { kind, schema: planSchema, check: checkFor(planSchema), handlers }
    if (plans.size >= PLAN_CACHE_LIMIT) plans.clear()
    plans.set(name, plan)
    return plan
  }

  const strictSchema = (schema: z.ZodType): z.ZodType => {
    let out = strictSchemas.get(schema)
    if (!out) {
      out = (schema as unknown as z.ZodObject).strict()
      strictSchemas.set(schema, out)
    }
    return out
  }

  const report = (error: SuperOfficeWebhookError, info: SuperOfficeErrorInfo) => {
    if (errorHandlers.length === 0) {
      if (error.status >= 500) logger?.error(`superoffice-webhooks: ${error.code}: ${error.message}`, error.cause)
      else if (info.status !== 200)
        logger?.warn(`superoffice-webhooks: refused with ${error.status} ${error.code}: ${error.message}`)
      else logger?.warn(`superoffice-webhooks: ${error.code}: ${error.message}`)
      return
    }
    for (const handler of errorHandlers) {
      try {
        const result = handler(error, info) as Promise<unknown> | undefined
        if (result && typeof result.then === 'function') {
          result.then(undefined, (e: unknown) => logger?.error('superoffice-webhooks: an onError handler failed', e))
        }
      } catch (e) {
        logger?.error('superoffice-webhooks: an onError handler failed', e)
      }
    }
  }

  const fail = (error: SuperOfficeWebhookError, event?: SuperOfficeAnyEvent): SuperOfficeWebhookAnswer => {
    report(error, event ? { event, status: error.status } : { status: error.status })
    const answer: SuperOfficeWebhookAnswer = {
      status: error.status,
      headers: JSON_HEADERS,
      body: { ok: false, error: error.code, message: error.message },
      error,
    }
    if (event) answer.event = event
    return answer
  }

  const ok = (body: SuperOfficeAnswerBody, event: SuperOfficeAnyEvent): SuperOfficeWebhookAnswer => ({
    status: 200,
    headers: JSON_HEADERS,
    body,
    event,
  })

  // Handlers, the store and node:crypto are usually synchronous or resolve at once; the pipeline
  // awaits only what really returns a promise, so a sync path costs no extra microtask hops.
  const runHandlers = (
    handlers: AnyHandler[],
    event: SuperOfficeAnyEvent,
    context: SuperOfficeEventContext,
  ): unknown[] | Promise<unknown[]> => {
    const failures: unknown[] = []
    let pendingResults: Promise<unknown>[] | undefined
    for (const handler of handlers) {
      try {
        const result = handler(event, context)
        if (isThenable(result)) {
          pendingResults ??= []
          pendingResults.push(Promise.resolve(result))
        }
      } catch (error) {
        failures.push(error)
      }
    }
    if (!pendingResults) return failures
    return Promise.allSettled(pendingResults).then((results) => {
      for (const result of results) if (result.status === 'rejected') failures.push(result.reason)
      return failures
    })
  }

  const settle = (key: string | undefined, failures: unknown[]): void | Promise<void> => {
    if (!store || key === undefined) return
    const logFailure = (error: unknown) =>
      logger?.error('superoffice-webhooks: the dedupe store failed to record the outcome', error)
    try {
      const result = failures.length > 0 ? store.release(key) : store.complete(key, ttlMs)
      if (isThenable(result)) return Promise.resolve(result).then(undefined, logFailure)
    } catch (error) {
      logFailure(error)
    }
  }

  const handlerFailed = (failures: unknown[]) =>
    new SuperOfficeWebhookError('handler_failed', 'A handler failed; SuperOffice may retry.', {
      cause: failures.length === 1 ? failures[0] : new AggregateError(failures, 'Several handlers failed.'),
    })

  const handle = async (input: SuperOfficeWebhookInput): Promise<SuperOfficeWebhookAnswer> => {
    const { rawBody, headers } = input
    if (typeof rawBody === 'string' ? textExceeds(rawBody, maxBodyBytes) : rawBody.byteLength > maxBodyBytes) {
      return fail(new SuperOfficeWebhookError('payload_too_large', `The body is larger than ${maxBodyBytes} bytes.`))
    }

    let parsed: unknown
    let parseFailed = false
    let secrets = staticSecrets
    if (resolver) {
      // The hint is read from the unverified body and trusted only once that tenant's secret matches.
      try {
        parsed = parseJson(rawBody)
      } catch {
        parseFailed = true
      }
      const tenant =
        isRecord(parsed) && typeof parsed.ContextIdentifier === 'string' ? parsed.ContextIdentifier : undefined
      try {
        secrets = normaliseSecrets(
          (await resolver({ tenant, url: input.url, header: (name) => getHeader(headers, name) })) ?? undefined,
        )
      } catch (error) {
        return fail(
          new SuperOfficeWebhookError('secret_unavailable', 'The secret for this request could not be loaded.', {
            cause: error,
          }),
        )
      }
      if (!secrets) {
        return fail(new SuperOfficeWebhookError('signature_invalid', 'No secret is configured for this tenant.'))
      }
    }

    let secretIndex: number | undefined
    if (secrets) {
      const signature = getHeader(headers, 'x-superoffice-signature')
      if (!signature) {
        return fail(new SuperOfficeWebhookError('signature_missing', 'The X-SuperOffice-Signature header is missing.'))
      }
      const verification = usesNodeCrypto
        ? verifySignatureSync(rawBody, signature.trim(), secrets)
        : await verifySignature(rawBody, signature.trim(), secrets)
      if (!verification.valid) {
        return fail(
          new SuperOfficeWebhookError(
            'signature_invalid',
            'The X-SuperOffice-Signature header does not match the body.',
          ),
        )
      }
      secretIndex = verification.matched
    }

    if (!resolver) {
      try {
        parsed = parseJson(rawBody)
      } catch {
        parseFailed = true
      }
    }
    if (parseFailed) return fail(new SuperOfficeWebhookError('invalid_json', 'The body is not valid JSON.'))
    if (!isRecord(parsed) || typeof parsed.Event !== 'string') {
      return fail(new SuperOfficeWebhookError('invalid_envelope', 'The body is not a SuperOffice webhook envelope.'))
    }

    const name = parsed.Event
    let plan = planFor(name)
    if (strict && plan.kind === 'unknown') {
      return fail(new SuperOfficeWebhookError('unknown_event', 'The event is not a documented SuperOffice event.'))
    }
    let kind = plan.kind
    let event: SuperOfficeAnyEvent
    let mismatch: SuperOfficeWebhookError | undefined
    // Fast path: a body that passes the compiled check is exactly what zod would return.
    const result = plan.check?.(parsed) ? { success: true as const, data: parsed } : plan.schema.safeParse(parsed)
    if (result.success) {
      event = result.data as SuperOfficeAnyEvent
      if (kind === 'known') validatedEvents.add(event)
    } else {
      const loose = kind === 'unknown' || strict ? undefined : superOfficeUnknownEventSchema.safeParse(parsed)
      if (!loose?.success) {
        const error =
          strict && kind !== 'unknown'
            ? new SuperOfficeWebhookError('schema_mismatch', `The body does not match the schema of ${name}.`, {
                cause: result.error,
              })
            : new SuperOfficeWebhookError('invalid_envelope', 'The body is not a SuperOffice webhook envelope.', {
                cause: result.error,
              })
        return fail(error)
      }
      // Tolerant mode: the envelope is sound but a typed part changed shape. Deliver it as an
      // unknown event to wildcards and catch-alls rather than answer 400 until SuperOffice
      // disables the webhook; named handlers, typed for the documented shape, do not get it.
      event = loose.data as SuperOfficeAnyEvent
      kind = 'unknown'
      mismatch = new SuperOfficeWebhookError('schema_mismatch', `The body does not match the schema of ${name}.`, {
        cause: result.error,
      })
      plan = { ...plan, kind, handlers: plan.handlers.filter((h) => !exactHandlers(name).has(h)) }
    }

    const headerEventId = getHeader(headers, 'x-superoffice-eventid')
    if (headerEventId !== undefined && headerEventId !== event.EventId) {
      if (strict) {
        return fail(
          new SuperOfficeWebhookError('event_id_mismatch', 'X-SuperOffice-EventId does not match the body.'),
          event,
        )
      }
      logger?.warn(`superoffice-webhooks: X-SuperOffice-EventId does not match the body's EventId ${event.EventId}`)
    }

    if (maxAgeMs !== undefined) {
      const time = Date.parse(event.Timestamp)
      const now = Date.now()
      if (Number.isNaN(time) || now - time > maxAgeMs || time - now > MAX_FUTURE_MS) {
        return fail(
          new SuperOfficeWebhookError('timestamp_out_of_range', 'The event Timestamp is outside the accepted window.'),
          event,
        )
      }
    }

    if (mismatch) report(mismatch, { event, status: 200 })

    const handlers = plan.handlers
    if (handlers.length === 0) return ok(name === 'test' ? TEST : UNHANDLED, event)

    const tenant = typeof event.ContextIdentifier === 'string' ? event.ContextIdentifier : undefined
    let key: string | undefined
    if (store && name !== 'test') {
      key = `${tenant ?? ''}:${event.EventId}`
      let claimed: boolean
      try {
        const claim = store.claim(key, claimTtlMs)
        claimed = isThenable(claim) ? await claim : claim
      } catch (error) {
        if (!acceptOnStoreError) {
          return fail(
            new SuperOfficeWebhookError('dedupe_unavailable', 'The duplicate check is unavailable; retry later.', {
              cause: error,
            }),
            event,
          )
        }
        logger?.warn(
          'superoffice-webhooks: the dedupe store failed; handling the event without a duplicate check',
          error,
        )
        claimed = true
        key = undefined
      }
      if (!claimed) return ok(DUPLICATE, event)
    }

    const retryHeader = getHeader(headers, 'x-superoffice-retry')
    const context: SuperOfficeEventContext = {
      kind,
      eventId: event.EventId,
      tenant,
      retry: retryHeader === undefined ? undefined : Number.parseInt(retryHeader, 10),
      secretIndex,
      rawBody,
      header: (headerName) => getHeader(headers, headerName),
    }

    if (respondEarly) {
      const work = Promise.resolve()
        .then(() => runHandlers(handlers, event, context))
        .then(async (failures) => {
          await settle(key, failures)
          if (failures.length > 0) report(handlerFailed(failures), { event, status: 200 })
        })
      pending.add(work)
      work.finally(() => pending.delete(work))
      input.waitUntil?.(work)
      return ok(DEFERRED, event)
    }

    let failures = runHandlers(handlers, event, context)
    if (isThenable(failures)) failures = await failures
    const settled = settle(key, failures)
    if (settled) await settled
    if (failures.length > 0) return fail(handlerFailed(failures), event)
    return ok(name === 'test' ? TEST : OK, event)
  }

  const exactCache = new Map<string, Set<AnyHandler>>()
  const exactHandlers = (name: string): Set<AnyHandler> => {
    let set = exactCache.get(name)
    if (!set) {
      set = new Set(routes.filter((r) => r.exact === name).map((r) => r.handler))
      exactCache.set(name, set)
    }
    return set
  }

  const webhooks: SuperOfficeWebhooks = {
    maxBodyBytes,
    on(selector, handler) {
      const selectors = (Array.isArray(selector) ? selector : [selector]) as string[]
      if (typeof handler !== 'function') throw new TypeError('on(selector, handler): handler must be a function.')
      for (const s of selectors) {
        routes.push({
          match: compileSelector(s),
          exact: s.includes('*') ? undefined : s,
          handler: handler as AnyHandler,
        })
      }
      plans.clear()
      exactCache.clear()
      return webhooks
    },
    onAny(handler) {
      if (typeof handler !== 'function') throw new TypeError('onAny(handler): handler must be a function.')
      anyHandlers.push(handler)
      plans.clear()
      return webhooks
    },
    onError(handler) {
      if (typeof handler !== 'function') throw new TypeError('onError(handler): handler must be a function.')
      errorHandlers.push(handler)
      return webhooks
    },
    handle(input) {
      // Only a bug in the pipeline rejects here; answer 500 (retried), never leak the message.
      return handle(input).catch((error: unknown) => webhooks.answerError(error))
    },
    answerError(error) {
      return fail(
        isSuperOfficeWebhookError(error)
          ? error
          : new SuperOfficeWebhookError('handler_failed', 'The webhook could not be processed.', { cause: error }),
      )
    },
    async handleRequest(request) {
      let answer: SuperOfficeWebhookAnswer
      if (request.method !== 'POST') {
        answer = fail(methodNotAllowed())
      } else {
        try {
          const rawBody = await readRequestBody(request, maxBodyBytes)
          answer = await webhooks.handle({ rawBody, headers: request.headers, url: request.url })
        } catch (error) {
          answer = webhooks.answerError(error)
        }
      }
      return new Response(JSON.stringify(answer.body), { status: answer.status, headers: answer.headers })
    },
    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending])
    },
  }
  return webhooks
}

function normaliseSecrets(secrets: SuperOfficeSecrets | undefined): SuperOfficeSecrets | undefined {
  if (secrets === undefined || secrets === null) return undefined
  if (typeof secrets === 'string') return secrets.length > 0 ? secrets : undefined
  if (!Array.isArray(secrets)) throw new TypeError('secret must be a string, an array of strings or a function.')
  const list = secrets.filter((s): s is string => typeof s === 'string' && s.length > 0)
  return list.length > 0 ? list : undefined
}

const hasBuffer = typeof Buffer === 'function'

function parseJson(rawBody: RawBody): unknown {
  let text: string
  if (typeof rawBody === 'string') text = rawBody
  else if (hasBuffer) {
    // A zero-copy Buffer view: plain Uint8Arrays (web streams, h3 v2) have no utf8Slice on Node 20.
    const buffer = Buffer.isBuffer(rawBody)
      ? rawBody
      : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength)
    text = buffer.toString('utf8')
  } else return JSON.parse(decoder.decode(rawBody)) // TextDecoder drops a BOM itself
  // A UTF-8 BOM is allowed before JSON text; JSON.parse is not told so.
  return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const encoderForLength = new TextEncoder()
function textExceeds(text: string, limit: number): boolean {
  // UTF-8 takes at most 3 bytes per UTF-16 unit, so most bodies need no byte count at all.
  if (text.length * 3 <= limit) return false
  const bytes = typeof Buffer === 'function' ? Buffer.byteLength(text) : encoderForLength.encode(text).byteLength
  return bytes > limit
}
