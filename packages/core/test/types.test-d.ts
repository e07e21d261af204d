import { describe, expectTypeOf, it } from 'vitest'
import type * as z from 'zod'
import {
  createSuperOfficeWebhooks,
  type SuperOfficeEvent,
  type SuperOfficeEventFor,
  type SuperOfficeListEvent,
  type SuperOfficeUnknownEvent,
  type superOfficeUnknownEventSchema,
} from '../src/index.js'

const webhooks = createSuperOfficeWebhooks({ secret: 's' })

describe('types flow from the schemas', () => {
  it('types a handler by its event name', () => {
    webhooks.on('sale.sold', (event) => {
      expectTypeOf(event).toEqualTypeOf<SuperOfficeEvent<'sale.sold'>>()
      expectTypeOf(event.Event).toEqualTypeOf<'sale.sold'>()
      expectTypeOf(event.Entity).toEqualTypeOf<'sale'>()
      expectTypeOf(event.PrimaryKey).toEqualTypeOf<number>()
      expectTypeOf(event.FieldValues?.currency_id).toEqualTypeOf<number | undefined>()
      expectTypeOf(event.FieldValues?.saledate).toEqualTypeOf<string | undefined>()
    })
  })

  it('types a list of names with the union', () => {
    webhooks.on(['sale.sold', 'sale.lost'], (event) => {
      expectTypeOf(event.Event).toEqualTypeOf<'sale.sold' | 'sale.lost'>()
    })
  })

  it("types 'sale.*' with every sale event, plus unknown sale events", () => {
    type Sales = SuperOfficeEventFor<'sale.*'>
    expectTypeOf<Extract<Sales, { Entity: 'sale' }>['Event']>().toEqualTypeOf<
      'sale.created' | 'sale.changed' | 'sale.deleted' | 'sale.sold' | 'sale.lost' | 'sale.completed'
    >()
    expectTypeOf<SuperOfficeUnknownEvent<`sale.${string}`>>().toExtend<Sales>()
    expectTypeOf<SuperOfficeEvent<'contact.created'>>().not.toExtend<Sales>()
  })

  it("types '*.deleted' with every deleted event", () => {
    type Deleted = Extract<SuperOfficeEventFor<'*.deleted'>, { Entity: string }>['Event']
    expectTypeOf<'contact.deleted'>().toExtend<Deleted>()
    expectTypeOf<'contact.created'>().not.toExtend<Deleted>()
  })

  it('types list, extra-table and custom names', () => {
    expectTypeOf<SuperOfficeEventFor<'list.category.created'>>().toEqualTypeOf<SuperOfficeListEvent>()
    expectTypeOf<SuperOfficeEventFor<'acme.exploded'>['Event']>().toEqualTypeOf<'acme.exploded'>()
  })

  it('refuses a handler typed for another event', () => {
    // @ts-expect-error a contact handler cannot serve sale.sold
    webhooks.on('sale.sold', (event: SuperOfficeEvent<'contact.created'>) => event)
  })

  it('keeps SuperOfficeUnknownEvent in step with its schema', () => {
    expectTypeOf<z.output<typeof superOfficeUnknownEventSchema>>().toExtend<SuperOfficeUnknownEvent>()
  })
})
