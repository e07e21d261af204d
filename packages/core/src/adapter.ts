/**
 * `@superoffice-webhooks/core/adapter`: what adapters, stores and inbox engines are built from.
 * An app needs none of it: it uses `createSuperOfficeWebhooks` and a framework's adapter. Someone
 * writing an adapter for another framework, a dedupe or secret store, or an inbox on another queue
 * imports from here.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
 * import { readRawBody } from '@superoffice-webhooks/core/adapter'
 *
 * const webhooks = createSuperOfficeWebhooks({ secret: process.env.SUPEROFFICE_WEBHOOK_SECRET! })
 * createServer(async (req, res) => {
 *   const answer = await webhooks.handle({ rawBody: await readRawBody(req, { limit: 1 << 20 }), headers: req.headers })
 *   res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
 * }).listen(3000)
 * ```
 *
 * @packageDocumentation
 */
export { toResponse } from './answer.js'
export {
  assertContentLength,
  DEFAULT_MAX_BODY_BYTES,
  type ReadRawBodyOptions,
  readRawBody,
  readRequestBody,
  readWebBody,
} from './body.js'
export { methodNotAllowed, requestAborted, SuperOfficeJobError } from './errors.js'
export { getHeader } from './headers.js'
export { COALESCED_EVENT_IDS_KEPT, inboxJobId } from './inbox.js'
export { receiveRequest as receiveSuperOfficeRequest } from './request.js'
export { checkSecrets } from './secret-store.js'
export { isNewerTimestamp } from './timestamp.js'
