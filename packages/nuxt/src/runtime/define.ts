import type { SuperOfficeEventContext, SuperOfficeEventFor, SuperOfficeEventSelector } from '@superoffice-webhooks/core'
import type { H3Event } from 'h3'

/** What a handler file's default export is. */
export interface SuperOfficeEventHandlerDefinition {
  selectors: string[]
  handler: (event: never, context: SuperOfficeEventContext) => unknown
}

/**
 * Defines the handler of a file in `server/superoffice/`: its default export. Typed by the
 * selector (a name, names, `'sale.*'`, `'*'`); the `H3Event` of the delivery is `context.request`.
 * Auto-imported in Nuxt's server files.
 *
 * @example
 * ```ts
 * // server/superoffice/sale-sold.ts
 * export default defineSuperOfficeEventHandler('sale.sold', (event, { request }) => {
 *   console.log(event.FieldValues?.currency_id, useRuntimeConfig(request).public)
 * })
 * ```
 */
export function defineSuperOfficeEventHandler<const S extends SuperOfficeEventSelector>(
  selector: S | readonly S[],
  handler: (event: SuperOfficeEventFor<S>, context: SuperOfficeEventContext<S> & { request: H3Event }) => unknown,
): SuperOfficeEventHandlerDefinition {
  const selectors = (Array.isArray(selector) ? selector : [selector]) as string[]
  return { selectors, handler: handler as SuperOfficeEventHandlerDefinition['handler'] }
}
