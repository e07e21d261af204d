import type {
  SuperOfficeBodySource,
  SuperOfficeEventSelector,
  SuperOfficeReceiver,
  SuperOfficeWebhooks,
} from '@superoffice-webhooks/core'
import { toResponse } from '@superoffice-webhooks/core/adapter'
import { v1Body } from './body.js'
import { receiverFrom } from './options.js'
import type { H3EventLike, SuperOfficeH3Handler, SuperOfficeH3Options } from './types.js'

export type { H3EventLike, SuperOfficeH3Handler, SuperOfficeH3Options, SuperOfficeHandlerMap } from './types.js'

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
 *
 * // server/routes/superoffice/tenant-status.ts: the tenant status webhook (@superoffice-webhooks/api)
 * // export default defineSuperOfficeWebhookHandler(createSuperOfficeTenantStatus({ environment: 'online', applicationId: process.env.SUPEROFFICE_CLIENT_ID }))
 * ```
 */
export function defineSuperOfficeWebhookHandler<const K extends SuperOfficeEventSelector>(
  options: SuperOfficeH3Options<K>,
): SuperOfficeH3Handler
export function defineSuperOfficeWebhookHandler<R extends SuperOfficeReceiver = SuperOfficeWebhooks>(
  receiver: R,
): SuperOfficeH3Handler<R>
export function defineSuperOfficeWebhookHandler(
  optionsOrWebhooks: SuperOfficeH3Options<string> | SuperOfficeReceiver,
): SuperOfficeH3Handler<SuperOfficeReceiver> {
  const webhooks = receiverFrom(optionsOrWebhooks)

  const handler = async (event: H3EventLike): Promise<unknown> => {
    const waitUntil = event.waitUntil?.bind(event)
    // Nitro 2 gives each event captureError, which runs the app's `error` hook: failures of
    // handlers (also after an early answer) go where Nitro users look for errors.
    const capture = event.captureError
    const onFailure = capture && ((error: Error) => capture.call(event, error, { tags: ['superoffice-webhooks'] }))
    const request = event.req
    if (typeof Request !== 'undefined' && request instanceof Request) {
      // h3 v2: a web Request in, a web Response out.
      const { method, headers, url } = request
      const answer = await webhooks.receive({
        method,
        headers,
        url,
        body: { web: request },
        request: event,
        waitUntil,
        onFailure,
      })
      return toResponse(answer)
    }
    const node = event.node
    if (!node?.res) throw new TypeError('defineSuperOfficeWebhookHandler: not an h3 v1 or v2 event.')
    const res = node.res
    // h3 v1: the bytes may already be somewhere else than the stream (a serverless preset's mocked
    // request, a middleware that called readRawBody): look where h3 itself looks.
    const { method, headers, url } = node.req
    const receive = (body: SuperOfficeBodySource) =>
      webhooks.receive({ method, headers, url, body, request: event, waitUntil, onFailure })
    const source = v1Body(event)
    const answer = await (source instanceof Promise ? source.then(receive) : receive(source))
    res.statusCode = answer.status
    for (const name in answer.headers) res.setHeader(name, answer.headers[name] as string)
    return JSON.stringify(answer.body)
  }
  return Object.assign(handler, { webhooks, __is_handler__: true as const })
}
