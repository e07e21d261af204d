import {
  createSuperOfficeWebhooks,
  methodNotAllowed,
  readRawBody,
  readRequestBody,
  type SuperOfficeAnyEventHandler,
  type SuperOfficeErrorHandler,
  type SuperOfficeEventHandler,
  type SuperOfficeEventSelector,
  type SuperOfficeWebhookAnswer,
  type SuperOfficeWebhooks,
  type SuperOfficeWebhooksOptions,
} from '@superoffice-webhooks/core'

/**
 * The parts of an h3 event the handler reads: `req` (a web `Request`) on h3 v2, `node.req` on
 * h3 v1. Both majors' `H3Event` fit it.
 */
export interface H3EventLike {
  req?: unknown
  node?: { req: NodeRequestLike; res?: { statusCode: number; setHeader(name: string, value: string): unknown } }
  waitUntil?: (work: Promise<unknown>) => void
}

interface NodeRequestLike extends AsyncIterable<Uint8Array> {
  method?: string
  url?: string
  headers: Record<string, string | string[] | undefined>
  readableEnded?: boolean
}

/** Handlers by event name or pattern (`'sale.sold'`, `'contact.*'`), each typed by its key. */
export type SuperOfficeHandlerMap<K extends SuperOfficeEventSelector = SuperOfficeEventSelector> = {
  [S in K]: SuperOfficeEventHandler<S>
}

/** Options of {@link defineSuperOfficeWebhookHandler} when it builds the receiver itself. */
export interface SuperOfficeH3Options<K extends SuperOfficeEventSelector = SuperOfficeEventSelector>
  extends SuperOfficeWebhooksOptions {
  /** Handlers by event name or pattern: `{ 'sale.sold': fn, 'contact.*': fn }`. */
  on?: SuperOfficeHandlerMap<K>
  /** Every event but `test`. */
  onAny?: SuperOfficeAnyEventHandler
  /** Rejected requests, failed handlers, tolerated mismatches. */
  onError?: SuperOfficeErrorHandler
}

/** An h3 event handler (v1 and v2) that answers SuperOffice webhooks. */
export type SuperOfficeH3Handler = ((event: H3EventLike) => Promise<unknown>) & {
  /** The receiver behind the handler. */
  readonly webhooks: SuperOfficeWebhooks
  /** h3 v1 recognises event handlers by this mark. */
  readonly __is_handler__: true
}

// h3 v1 keeps the raw body it read (readRawBody/readBody) on the request under this symbol.
const H3_V1_RAW_BODY = Symbol.for('h3RawBody')

/**
 * An h3 handler for SuperOffice webhooks, for h3 v1 (Nuxt 4, Nitro 2) and h3 v2 (Nitro 3): the
 * default export of a route file such as `server/routes/webhooks/superoffice.post.ts`. Built from
 * options with handlers by name, or from an existing receiver. Reads the raw body as bytes, never
 * through a JSON parse.
 *
 * @example
 * ```ts
 * // server/routes/webhooks/superoffice.post.ts (Nuxt or Nitro)
 * import { defineSuperOfficeWebhookHandler } from '@superoffice-webhooks/h3'
 *
 * export default defineSuperOfficeWebhookHandler({
 *   secret: () => useRuntimeConfig().superofficeWebhookSecret,
 *   on: {
 *     'sale.sold': (event) => console.log('sold', event.PrimaryKey),
 *     'contact.*': (event) => console.log(event.Event),
 *   },
 * })
 * ```
 */
export function defineSuperOfficeWebhookHandler<const K extends SuperOfficeEventSelector>(
  options: SuperOfficeH3Options<K>,
): SuperOfficeH3Handler
export function defineSuperOfficeWebhookHandler(webhooks: SuperOfficeWebhooks): SuperOfficeH3Handler
export function defineSuperOfficeWebhookHandler(
  optionsOrWebhooks: SuperOfficeH3Options<string> | SuperOfficeWebhooks,
): SuperOfficeH3Handler {
  const webhooks = isReceiver(optionsOrWebhooks) ? optionsOrWebhooks : fromOptions(optionsOrWebhooks)

  const handler = async (event: H3EventLike): Promise<unknown> => {
    const request = event.req
    if (typeof Request !== 'undefined' && request instanceof Request) {
      // h3 v2: a web Request in, a web Response out.
      let answer: SuperOfficeWebhookAnswer
      if (request.method !== 'POST') answer = webhooks.answerError(methodNotAllowed())
      else {
        try {
          const rawBody = await readRequestBody(request, webhooks.maxBodyBytes)
          answer = await webhooks.handle({
            rawBody,
            headers: request.headers,
            url: request.url,
            waitUntil: event.waitUntil?.bind(event),
          })
        } catch (error) {
          answer = webhooks.answerError(error)
        }
      }
      return new Response(JSON.stringify(answer.body), { status: answer.status, headers: answer.headers })
    }

    const node = event.node
    if (!node?.res) throw new TypeError('defineSuperOfficeWebhookHandler: not an h3 v1 or v2 event.')
    const res = node.res
    // h3 v1: read the Node request stream (or the bytes h3 already read), answer through node.res.
    let answer: SuperOfficeWebhookAnswer
    if (node.req.method !== 'POST') answer = webhooks.answerError(methodNotAllowed())
    else {
      try {
        const cached = (node.req as unknown as Record<symbol, Promise<Uint8Array | undefined> | undefined>)[
          H3_V1_RAW_BODY
        ]
        const rawBody = cached
          ? ((await cached) ?? new Uint8Array(0))
          : await readRawBody(node.req, { limit: webhooks.maxBodyBytes, headers: node.req.headers })
        answer = await webhooks.handle({
          rawBody,
          headers: node.req.headers,
          url: node.req.url,
          waitUntil: event.waitUntil?.bind(event),
        })
      } catch (error) {
        answer = webhooks.answerError(error)
      }
    }
    res.statusCode = answer.status
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value)
    return JSON.stringify(answer.body)
  }
  return Object.assign(handler, { webhooks, __is_handler__: true as const })
}

function fromOptions(options: SuperOfficeH3Options<string>): SuperOfficeWebhooks {
  const { on, onAny, onError, ...rest } = options
  const webhooks = createSuperOfficeWebhooks(rest)
  for (const [selector, handler] of Object.entries<SuperOfficeEventHandler<string>>(on ?? {})) {
    webhooks.on(selector, handler)
  }
  if (onAny) webhooks.onAny(onAny)
  if (onError) webhooks.onError(onError)
  return webhooks
}

function isReceiver(value: SuperOfficeH3Options<string> | SuperOfficeWebhooks): value is SuperOfficeWebhooks {
  return typeof (value as SuperOfficeWebhooks).handle === 'function' && typeof value.on === 'function'
}
