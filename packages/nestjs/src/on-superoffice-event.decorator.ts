import 'reflect-metadata'
import type { SuperOfficeEventContext, SuperOfficeEventFor, SuperOfficeEventSelector } from '@superoffice-webhooks/core'
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
 * }
 * ```
 */
export function OnSuperOfficeEvent<const S extends SuperOfficeEventSelector>(...selectors: [S, ...S[]]) {
  return <M extends (event: SuperOfficeEventFor<S>, context: SuperOfficeEventContext) => unknown>(
    _target: object,
    _key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    const method = descriptor.value
    if (typeof method !== 'function') throw new TypeError('@OnSuperOfficeEvent decorates methods.')
    const existing: string[] = Reflect.getMetadata(ON_SUPEROFFICE_EVENT, method) ?? []
    Reflect.defineMetadata(ON_SUPEROFFICE_EVENT, [...existing, ...selectors], method)
  }
}
