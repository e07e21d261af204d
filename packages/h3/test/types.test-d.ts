import type { SuperOfficeEvent, SuperOfficeEventFor } from '@superoffice-webhooks/core'
import { describe, expectTypeOf, it } from 'vitest'
import { defineSuperOfficeWebhookHandler } from '../src/index.js'

describe('handlers in the `on` map are typed by their keys', () => {
  it('names, patterns and custom names', () => {
    defineSuperOfficeWebhookHandler({
      secret: 's',
      on: {
        'sale.sold': (event) => expectTypeOf(event).toEqualTypeOf<SuperOfficeEvent<'sale.sold'>>(),
        'contact.*': (event) => expectTypeOf(event).toEqualTypeOf<SuperOfficeEventFor<'contact.*'>>(),
        'acme.custom': (event) => expectTypeOf(event.Event).toEqualTypeOf<'acme.custom'>(),
      },
    })
  })

  it('refuses a handler typed for another event', () => {
    // @ts-expect-error a sale.sold handler cannot take a contact event
    defineSuperOfficeWebhookHandler({
      secret: 's',
      on: {
        'sale.sold': (_event: SuperOfficeEvent<'contact.created'>) => {},
      },
    })
  })
})
