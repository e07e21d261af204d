import { DrainedRefusal, readRawBody, readWebBody } from './body.js'
import { SuperOfficeWebhookError } from './errors.js'
import { getHeader, type HeadersLike } from './headers.js'
import { isThenable } from './parse.js'
import type { RawBody } from './signature.js'
import type {
  SuperOfficeRequestInput,
  SuperOfficeWebhookAnswer,
  SuperOfficeWebhookInput,
  SuperOfficeWebhooks,
} from './types.js'

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

/**
 * A request as a framework hands it over, to an answer: the method check (405), the body read with
 * the limit (413, `Connection: close` when the rest is left unread), then `handle` on the bytes;
 * every failure becomes its answer through `receiver.answerError`. `webhooks.receive` is this with
 * the event pipeline; the tenant status receiver (`@superoffice-webhooks/api`) is this with its own.
 *
 * @example
 * ```ts
 * const receive = (input: SuperOfficeRequestInput) =>
 *   receiveSuperOfficeRequest(receiver, input, (body) => receiver.handle(body), () => receiver.answerError(methodNotAllowed()))
 * ```
 */
export function receiveRequest(
  webhooks: Pick<SuperOfficeWebhooks, 'answerError' | 'maxBodyBytes'>,
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
      onFailure: input.onFailure,
    })
  // Refused before the body was read to its end (413 on Content-Length or mid-stream, a dropped
  // or consumed stream): the rest of the upload is still on the wire, so the connection is not
  // fit for another request. `Connection: close` makes the client open a new one instead of
  // reusing this one and meeting a reset.
  // A web body already read to its end (a 413 that drained it) leaves the connection clean.
  const refuse = (error: unknown) => {
    const answer = webhooks.answerError(error)
    return error instanceof DrainedRefusal ? answer : closing(answer)
  }
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
