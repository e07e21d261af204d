import type { SuperOfficeEvent, SuperOfficeEventFor } from '@superoffice-webhooks/core'
import type { H3Event } from 'h3'
import { describe, expectTypeOf, it } from 'vitest'
import { defineSuperOfficeEventHandler } from '../src/runtime/define.js'

describe('defineSuperOfficeEventHandler', () => {
  it('types the event by its selector and gives the H3Event as context.request', () => {
    defineSuperOfficeEventHandler('sale.sold', (event, context) => {
      expectTypeOf(event).toEqualTypeOf<SuperOfficeEvent<'sale.sold'>>()
      expectTypeOf(context.request).toEqualTypeOf<H3Event>()
    })
    defineSuperOfficeEventHandler(['contact.*', 'person.created'], (event) => {
      expectTypeOf(event).toEqualTypeOf<SuperOfficeEventFor<'contact.*' | 'person.created'>>()
    })
    // @ts-expect-error: a handler typed for another event does not fit
    defineSuperOfficeEventHandler('sale.sold', (_event: SuperOfficeEvent<'contact.created'>) => {})
  })
})
