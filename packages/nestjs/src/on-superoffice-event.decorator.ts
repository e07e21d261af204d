import 'reflect-metadata'
import type {
  SuperOfficeEventContext,
  SuperOfficeEventFor,
  SuperOfficeEventSelector,
  SuperOfficeHandlerOptions,
} from '@superoffice-webhooks/core'
import { ON_SUPEROFFICE_EVENT } from './constants.js'

/**
 * Marks a provider method as the handler of one or more SuperOffice events: names, lists or
 * patterns (`'sale.*'`, `'*.deleted'`, `'*'`). The selector types the method's first parameter; a
 * method that takes another event does not compile. Handlers are found at start-up, on any
 * provider of the app; several handlers of one event all run.
 *
 * @example
 * ```ts
 * import { Injectable } from '@nestjs/common'
 * import type { SuperOfficeEvent } from '@superoffice-webhooks/core'
 * import { OnSuperOfficeEvent } from '@superoffice-webhooks/nestjs'
 *
 * @Injectable()
 * export class SalesService {
 *   @OnSuperOfficeEvent('sale.sold')
 *   async onSold(event: SuperOfficeEvent<'sale.sold'>) {
 *     await this.crm.markWon(event.PrimaryKey)
 *   }
 *
 *   @OnSuperOfficeEvent('contact.*')
 *   onContact(event: SuperOfficeEventFor<'contact.*'>) {}
 *
 *   // Only when one of these fields changed (the options come last):
 *   @OnSuperOfficeEvent('contact.changed', { changed: ['name', 'business_idx'] })
 *   onRenamed(event: SuperOfficeEvent<'contact.changed'>) {}
 * }
 * ```
 */
export function OnSuperOfficeEvent<const S extends SuperOfficeEventSelector>(
  ...args:
    | [S, ...S[]]
    | [S, SuperOfficeHandlerOptions<S>]
    | [S, S, SuperOfficeHandlerOptions<S>]
    | [S, S, S, SuperOfficeHandlerOptions<S>]
) {
  const last = args[args.length - 1]
  const options =
    typeof last === 'object' && last !== null && !Array.isArray(last)
      ? (last as SuperOfficeHandlerOptions<S>)
      : undefined
  const selectors = (options ? args.slice(0, -1) : args) as string[]
  return <M extends (event: SuperOfficeEventFor<S>, context: SuperOfficeEventContext<S>) => unknown>(
    _target: object,
    _key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    const method = descriptor.value
    if (typeof method !== 'function') throw new TypeError('@OnSuperOfficeEvent decorates methods.')
    const existing: SuperOfficeEventRegistration[] = Reflect.getMetadata(ON_SUPEROFFICE_EVENT, method) ?? []
    Reflect.defineMetadata(ON_SUPEROFFICE_EVENT, [...existing, { selectors, options }], method)
  }
}

/** What one `@OnSuperOfficeEvent` records on its method. */
export interface SuperOfficeEventRegistration {
  selectors: string[]
  options: SuperOfficeHandlerOptions | undefined
}
