import type { SuperOfficeEvent } from '@superoffice-webhooks/core'
import { describe, it } from 'vitest'
import { OnSuperOfficeEvent } from '../src/index.js'

describe('@OnSuperOfficeEvent types the method by its event name', () => {
  it('accepts a matching handler and refuses a handler for another event', () => {
    class Handlers {
      @OnSuperOfficeEvent('sale.sold')
      sold(_event: SuperOfficeEvent<'sale.sold'>) {}

      @OnSuperOfficeEvent('sale.sold', 'sale.lost')
      soldOrLost(_event: SuperOfficeEvent<'sale.sold' | 'sale.lost'>) {}

      // @ts-expect-error a handler for sale.sold cannot take a contact event
      @OnSuperOfficeEvent('sale.sold')
      wrong(_event: SuperOfficeEvent<'contact.created'>) {}

      // @ts-expect-error sale.* includes events that are not sale.sold
      @OnSuperOfficeEvent('sale.*')
      tooNarrow(_event: SuperOfficeEvent<'sale.sold'>) {}
    }
    void Handlers
  })
})
