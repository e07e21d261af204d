import type { SuperOfficeBodySource } from '@superoffice-webhooks/core'
import type { H3EventLike, NodeRequestLike } from './types.js'

// h3 v1 keeps the raw body it read (readRawBody/readBody) on the request under this symbol.
const H3_V1_RAW_BODY = Symbol.for('h3RawBody')

/** Where h3 v1 (and Nitro 2's presets) keep a request body, in the order h3's readRawBody looks. */
export function v1Body(event: H3EventLike): SuperOfficeBodySource | Promise<SuperOfficeBodySource> {
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
