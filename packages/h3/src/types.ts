import type {
  SuperOfficeAnyEventHandler,
  SuperOfficeErrorHandler,
  SuperOfficeEventHandler,
  SuperOfficeEventSelector,
  SuperOfficeReceiver,
  SuperOfficeWebhooks,
  SuperOfficeWebhooksOptions,
} from '@superoffice-webhooks/core'

/**
 * The parts of an h3 event the handler reads: `req` (a web `Request`) on h3 v2, `node.req` on
 * h3 v1. Both majors' `H3Event` fit it.
 */
export interface H3EventLike {
  req?: unknown
  node?: { req: NodeRequestLike; res?: { statusCode: number; setHeader(name: string, value: string): unknown } }
  waitUntil?: (work: Promise<unknown>) => void
  /** Nitro 2: reports an error to the app's `error` hook. */
  captureError?: (error: Error, context: { tags: string[] }) => void
  /** Nitro 2 serverless presets: the request body handed over with the event. */
  _requestBody?: unknown
  /** Nitro 2: the web request behind the event, on presets that have one. */
  web?: { request?: { body?: ReadableStream<Uint8Array> | null } }
}

/** The Node request of an h3 v1 event, as the handler reads it. */
export interface NodeRequestLike extends AsyncIterable<Uint8Array> {
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

/** An h3 event handler (v1 and v2) that answers SuperOffice webhooks (or tenant status notifications). */
export type SuperOfficeH3Handler<R extends SuperOfficeReceiver = SuperOfficeWebhooks> = ((
  event: H3EventLike,
) => Promise<unknown>) & {
  /** The receiver behind the handler. */
  readonly webhooks: R
  /** h3 v1 recognises event handlers by this mark. */
  readonly __is_handler__: true
}
