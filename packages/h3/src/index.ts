import {
  createSuperOfficeWebhooks,
  type SuperOfficeAnyEventHandler,
  type SuperOfficeBodySource,
  type SuperOfficeErrorHandler,
  type SuperOfficeEventHandler,
  type SuperOfficeEventSelector,
  type SuperOfficeWebhooks,
  type SuperOfficeWebhooksOptions,
  toResponse,
} from '@superoffice-webhooks/core'

/**
 * The parts of an h3 event the handler reads: `req` (a web `Request`) on h3 v2, `node.req` on
 * h3 v1. Both majors' `H3Event` fit it.
 */
export interface H3EventLike {
  req?: unknown
  node?: { req: NodeRequestLike; res?: { statusCode: number; setHeader(name: string, value: string): unknown } }
  waitUntil?: (work: Promise<unknown>) => void
  /** Nitro 2 serverless presets: the request body handed over with the event. */
  _requestBody?: unknown
  /** Nitro 2: the web request behind the event, on presets that have one. */
  web?: { request?: { body?: ReadableStream<Uint8Array> | null } }
}

interface NodeRequestLike extends AsyncIterable<Uint8Array> {
  method?: string
  url?: string
  headers: Record<string, string | string[] | undefined>
  readableEnded?: boolean
  /** Set by Nitro 2's mocked requests (node-mock-http) on serverless presets. */
  body?: unknown
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

const reporting = new WeakSet<SuperOfficeWebhooks>()

// h3 v1 keeps the raw body it read (readRawBody/readBody) on the request under this symbol.
const H3_V1_RAW_BODY = Symbol.for('h3RawBody')

/** Where h3 v1 (and Nitro 2's presets) keep a request body, in the order h3's readRawBody looks. */
function v1Body(event: H3EventLike): SuperOfficeBodySource | Promise<SuperOfficeBodySource> {
  const req = (event.node as { req: NodeRequestLike }).req
  const own = event._requestBody ?? (req as unknown as Record<symbol, unknown>)[H3_V1_RAW_BODY]
  // Usually nothing is there and the stream is read: no promise to wait for in that case.
  if (own instanceof Promise) return own.then((resolved) => fromSources(event, req, resolved))
  return fromSources(event, req, own)
}

function fromSources(event: H3EventLike, req: NodeRequestLike, own: unknown): SuperOfficeBodySource {
  if (typeof own === 'string' || own instanceof Uint8Array) return { bytes: own }
  if (own instanceof ReadableStream) return { web: own }
  const web = event.web?.request?.body
  if (web) return { web }
  const raw = (req as { rawBody?: unknown }).rawBody
  // Built field by field: object spreads cost a clone per request on this path.
  const source: SuperOfficeBodySource = { node: req }
  if (typeof raw === 'string' || raw instanceof Uint8Array) source.bytes = raw
  if (own !== undefined && own !== null) source.parsed = own
  return source
}

/**
 * An h3 handler for SuperOffice webhooks, for h3 v1 (Nuxt 4, Nitro 2) and h3 v2 (Nitro 3): the
 * default export of a route file such as `server/routes/webhooks/superoffice.ts`. Built from
 * options with handlers by name, or from an existing receiver. Reads the raw body as bytes, never
 * through a JSON parse.
 *
 * @example
 * ```ts
 * // server/routes/webhooks/superoffice.ts (Nuxt or Nitro)
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
  if (!reporting.has(webhooks)) {
    reporting.add(webhooks)
    // Nitro 2 gives each event captureError, which runs the app's `error` hook: failures of
    // handlers (also after an early answer) go where Nitro users look for errors.
    webhooks.onError((error, info) => {
      const event = info.request as { captureError?: (error: Error, context: { tags: string[] }) => void } | undefined
      if (error.status >= 500 && typeof event?.captureError === 'function') {
        event.captureError(error, { tags: ['superoffice-webhooks'] })
      }
    })
  }

  const handler = async (event: H3EventLike): Promise<unknown> => {
    const waitUntil = event.waitUntil?.bind(event)
    const request = event.req
    if (typeof Request !== 'undefined' && request instanceof Request) {
      // h3 v2: a web Request in, a web Response out.
      const { method, headers, url } = request
      const answer = await webhooks.receive({ method, headers, url, body: { web: request }, request: event, waitUntil })
      return toResponse(answer)
    }
    const node = event.node
    if (!node?.res) throw new TypeError('defineSuperOfficeWebhookHandler: not an h3 v1 or v2 event.')
    const res = node.res
    // h3 v1: the bytes may already be somewhere else than the stream (a serverless preset's mocked
    // request, a middleware that called readRawBody): look where h3 itself looks.
    const { method, headers, url } = node.req
    const receive = (body: SuperOfficeBodySource) =>
      webhooks.receive({ method, headers, url, body, request: event, waitUntil })
    const source = v1Body(event)
    const answer = await (source instanceof Promise ? source.then(receive) : receive(source))
    res.statusCode = answer.status
    for (const name in answer.headers) res.setHeader(name, answer.headers[name] as string)
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
