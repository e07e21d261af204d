import { readRawBody, readWebBody } from './body.js'
import { SuperOfficeWebhookError } from './errors.js'
import { getHeader, type HeadersLike } from './headers.js'
import { isThenable } from './parse.js'
import type { RawBody } from './signature.js'
import type { SuperOfficeWebhookAnswer, SuperOfficeWebhookInput, SuperOfficeWebhooks } from './types.js'

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
}

const DEFAULT_FIX =
  'Give the SuperOffice webhook route the raw request bytes: mount it before any body parser, or ' +
  'keep the raw body (the signature is computed over the exact bytes received).'

/**
 * The body's bytes from whatever the framework has, with the limit (413 before reading when
 * `Content-Length` says too much; as soon as a stream passes it otherwise).
 */
export function readBodySource(input: SuperOfficeRequestInput, limit: number): RawBody | Promise<RawBody> {
  const { bytes, node, web, parsed } = input.body
  if (typeof bytes === 'string' || bytes instanceof Uint8Array) return bytes
  const kept = node?.body
  if (typeof kept === 'string' || kept instanceof Uint8Array) return kept
  if (web !== undefined) {
    const stream = web === null || web instanceof ReadableStream ? web : web.body
    return readWebBody(stream, input.headers, limit)
  }
  // A stream that a parser read (its result is `parsed`, or `body` on the request) never emits
  // again: reading it would hang, so the answer says how to keep the raw bytes instead.
  if (node && parsed === undefined && kept === undefined && !node.readableEnded) {
    return readRawBody(node, { limit, headers: input.headers })
  }
  throw new SuperOfficeWebhookError('raw_body_unavailable', input.rawBodyFix ?? DEFAULT_FIX)
}

/** `webhooks.receive`: the method check, the body read, then the pipeline; every failure becomes its answer. */
export function receiveRequest(
  webhooks: SuperOfficeWebhooks,
  input: SuperOfficeRequestInput,
  handle: (input: SuperOfficeWebhookInput) => SuperOfficeWebhookAnswer | Promise<SuperOfficeWebhookAnswer>,
  methodNotAllowed: () => SuperOfficeWebhookAnswer,
): Promise<SuperOfficeWebhookAnswer> {
  if (input.method !== 'POST') {
    const answer = methodNotAllowed()
    return Promise.resolve(declaresBody(input.headers) ? closing(answer) : answer)
  }
  const run = (rawBody: RawBody) =>
    handle({
      rawBody,
      headers: input.headers,
      url: input.url,
      request: input.request,
      waitUntil: input.waitUntil,
    })
  // Refused before the body was read to its end (413 on Content-Length or mid-stream, a dropped
  // or consumed stream): the rest of the upload is still on the wire, so the connection is not
  // fit for another request. `Connection: close` makes the client open a new one instead of
  // reusing this one and meeting a reset.
  const refuse = (error: unknown) => closing(webhooks.answerError(error))
  // Plain promise chaining rather than async/await, and a pipeline that answers synchronously when
  // it can: a body read from a stream costs one hop to the answer, bytes already held none.
  try {
    const rawBody = readBodySource(input, webhooks.maxBodyBytes)
    return isThenable(rawBody) ? Promise.resolve(rawBody).then(run, refuse) : Promise.resolve(run(rawBody))
  } catch (error) {
    return Promise.resolve(refuse(error))
  }
}

/** The answer, telling the client this connection closes after it. */
function closing(answer: SuperOfficeWebhookAnswer): SuperOfficeWebhookAnswer {
  return { ...answer, headers: { ...answer.headers, connection: 'close' } }
}

/** Whether the request says a body follows (which an early answer leaves unread). */
function declaresBody(headers: HeadersLike): boolean {
  const length = getHeader(headers, 'content-length')
  return (length !== undefined && length !== '0') || getHeader(headers, 'transfer-encoding') !== undefined
}
