import { isSuperOfficeWebhookError, requestAborted, SuperOfficeWebhookError } from './errors.js'
import { getHeader, type HeadersLike } from './headers.js'

/** The default body size limit: 1 MiB. SuperOffice bodies are a few kilobytes. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

/** Options of {@link readRawBody}. */
export interface ReadRawBodyOptions {
  /** Largest body accepted, in bytes. */
  limit: number
  /** Request headers: a `Content-Length` over the limit is refused before reading anything. */
  headers?: HeadersLike
}

/**
 * Refuses a request whose declared `Content-Length` is over the limit, before any byte is read.
 *
 * @example
 * ```ts
 * assertContentLength(req.headers, 1024 * 1024) // throws SuperOfficeWebhookError 413 when too large
 * ```
 */
export function assertContentLength(headers: HeadersLike | undefined, limit: number): void {
  const declared = getHeader(headers, 'content-length')
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit)
}

/**
 * Collects a body stream (a Node `IncomingMessage`, any async iterable of chunks) into one
 * `Uint8Array`, refusing it with a 413 {@link SuperOfficeWebhookError} as soon as it passes the
 * limit; the rest is drained, never buffered.
 *
 * @example
 * ```ts
 * import { readRawBody } from '@superoffice-webhooks/core'
 *
 * const rawBody = await readRawBody(req, { limit: webhooks.maxBodyBytes, headers: req.headers })
 * ```
 */
export function readRawBody(
  source: AsyncIterable<Uint8Array | string>,
  options: ReadRawBodyOptions,
): Promise<Uint8Array> {
  const { limit } = options
  if (isNodeStream(source)) {
    // A Node request refused with 413 is read to its end and thrown away (up to DRAIN_BYTES past
    // the limit) before the answer: a client still uploading would otherwise meet a closed socket
    // (a broken pipe or a reset) before it reads the 413. Beyond that the upload is cut off.
    const declared = Number(getHeader(options.headers, 'content-length'))
    if (Number.isFinite(declared) && declared > limit) {
      if (declared > limit + DRAIN_BYTES) return Promise.reject(tooLarge(limit))
      return drainNodeStream(source, declared + 1).then((ended) =>
        Promise.reject(ended ? drainedTooLarge(limit) : tooLarge(limit)),
      )
    }
    return readNodeStream(source, limit)
  }
  try {
    assertContentLength(options.headers, limit)
  } catch (error) {
    return Promise.reject(error)
  }
  return readIterable(source, limit)
}

/** Reads and discards a Node stream up to `budget` bytes: whether it ended within them. */
function drainNodeStream(stream: NodeStreamLike, budget: number): Promise<boolean> {
  if (stream.readableEnded) return Promise.resolve(true)
  return new Promise((resolve) => {
    let left = budget
    const cleanup = () => {
      stream.removeListener('data', onData)
      stream.removeListener('end', onEnd)
      stream.removeListener('error', onGone)
      stream.removeListener('close', onGone)
    }
    const onData = (chunk: Uint8Array | string) => {
      left -= typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength
      if (left < 0) {
        cleanup()
        // Past the bound: the rest keeps flowing, discarded, while the 413 goes out.
        stream.resume()
        resolve(false)
      }
    }
    const onEnd = () => {
      cleanup()
      resolve(true)
    }
    const onGone = () => {
      cleanup()
      resolve(false)
    }
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onGone)
    stream.on('close', onGone)
    stream.resume()
  })
}

async function readIterable(source: AsyncIterable<Uint8Array | string>, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  const iterator = source[Symbol.asyncIterator]()
  for (;;) {
    const { done, value } = await iterator.next().catch(aborted)
    if (done) break
    const chunk = typeof value === 'string' ? Buffer.from(value) : value
    total += chunk.byteLength
    if (total > limit) {
      // Not iterator.return(): that destroys a Node request and the client never sees the 413.
      // Resuming discards what is left without keeping it.
      ;(source as { resume?: () => void }).resume?.()
      throw tooLarge(limit)
    }
    chunks.push(chunk)
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array
  return Buffer.concat(chunks, total)
}

interface NodeStreamLike extends AsyncIterable<Uint8Array | string> {
  on(event: string, listener: (...args: never[]) => void): unknown
  removeListener(event: string, listener: (...args: never[]) => void): unknown
  resume(): unknown
  readableEnded?: boolean
}

function isNodeStream(source: unknown): source is NodeStreamLike {
  const s = source as Partial<NodeStreamLike>
  return typeof s.on === 'function' && typeof s.removeListener === 'function' && typeof s.resume === 'function'
}

// Event listeners rather than `for await`: a Node stream's async iterator costs tens of
// microseconds per request, more than the rest of the pipeline.
function readNodeStream(stream: NodeStreamLike, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let total = 0
    const cleanup = () => {
      stream.removeListener('data', onData)
      stream.removeListener('end', onEnd)
      stream.removeListener('error', onError)
      stream.removeListener('close', onClose)
    }
    const onData = (chunk: Uint8Array | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      total += bytes.byteLength
      if (total > limit) {
        cleanup()
        // The rest is read and thrown away before the 413, as for a declared size (readRawBody).
        void drainNodeStream(stream, DRAIN_BYTES - (total - limit)).then((ended) =>
          reject(ended ? drainedTooLarge(limit) : tooLarge(limit)),
        )
        return
      }
      chunks.push(bytes)
    }
    const onEnd = () => {
      cleanup()
      resolve(chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, total))
    }
    const onError = (error: unknown) => {
      cleanup()
      reject(requestAborted(error))
    }
    const onClose = () => {
      cleanup()
      reject(requestAborted())
    }
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    stream.on('close', onClose)
  })
}

/**
 * Reads a web `Request` body with the size limit (413 before reading when `Content-Length` says
 * too much, or as soon as the stream passes it).
 *
 * @example
 * ```ts
 * const rawBody = await readRequestBody(request, 1024 * 1024)
 * ```
 */
export async function readRequestBody(request: Request, limit: number): Promise<Uint8Array> {
  return readWebBody(request.body, request.headers, limit)
}

/**
 * Reads a web body stream with the size limit; `headers` give the declared `Content-Length`.
 *
 * @example
 * ```ts
 * const rawBody = await readWebBody(request.body, request.headers, 1024 * 1024)
 * ```
 */
export async function readWebBody(
  body: ReadableStream<Uint8Array> | null,
  headers: HeadersLike | undefined,
  limit: number,
): Promise<Uint8Array> {
  const declared = getHeader(headers, 'content-length')
  if (declared !== undefined && Number(declared) > limit) {
    // Refused before reading; the rest is still read and thrown away when it is small enough, so
    // the client can finish its upload and read the 413 on a connection that stays usable.
    // Beyond that, nothing is read: the upload is cut off.
    if (!body) throw drainedTooLarge(limit)
    const reader = body.getReader()
    if (Number(declared) > limit + DRAIN_BYTES) {
      await reader.cancel().catch(() => {})
      throw tooLarge(limit)
    }
    throw (await drain(reader, limit + DRAIN_BYTES)) ? drainedTooLarge(limit) : tooLarge(limit)
  }
  if (!body) return new Uint8Array(0)
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read().catch(aborted)
    if (done) break
    total += value.byteLength
    if (total > limit) {
      throw (await drain(reader, limit + DRAIN_BYTES - total)) ? drainedTooLarge(limit) : tooLarge(limit)
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/**
 * How much of a refused web body is read and thrown away after the limit. Web runtimes own their
 * connections: Bun closes one at once when told `Connection: close` (the client, still uploading,
 * sees a broken pipe instead of the 413), and workerd resets a kept-alive one whose body was left
 * unread (the next delivery on it fails). Reading the rest avoids both; beyond this much, the
 * upload is cut off instead.
 */
const DRAIN_BYTES = 64 * 1024 * 1024

/** Reads and discards up to `budget` bytes; whether the stream ended within it (else it is cancelled). */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, budget: number): Promise<boolean> {
  let left = budget
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return true
      left -= value.byteLength
      if (left < 0) break
    }
  } catch {
    return false
  }
  await reader.cancel().catch(() => {})
  return false
}

/**
 * A 413 whose body was read to its end: the connection is fit for the next request, so the answer
 * needs no `Connection: close`.
 */
export class DrainedRefusal extends SuperOfficeWebhookError {}

function drainedTooLarge(limit: number): SuperOfficeWebhookError {
  return new DrainedRefusal('payload_too_large', `The body is larger than ${limit} bytes.`)
}

// A stream that fails while the body is read means the client went away (or the connection broke).
function aborted(error: unknown): never {
  throw isSuperOfficeWebhookError(error) ? error : requestAborted(error)
}

function tooLarge(limit: number): SuperOfficeWebhookError {
  return new SuperOfficeWebhookError('payload_too_large', `The body is larger than ${limit} bytes.`)
}
