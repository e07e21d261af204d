import {
  createSuperOfficeWebhooks,
  isSuperOfficeEvent,
  schemaForEvent,
  superOfficeEventNames,
  verifySignatureSync,
} from '@superoffice-webhooks/core'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { createTestEvent, signedPayload, signedRequest, superOfficeTimestamp } from '../src/index.js'

describe('createTestEvent', () => {
  it.each(superOfficeEventNames)('%s: valid for its schema, fresh ids, realistic values', (name) => {
    const event = createTestEvent(name)
    expect(event.Event).toBe(name)
    expect(schemaForEvent(name)).toMatchObject({ kind: 'known' })
    expect(schemaForEvent(name).schema.safeParse(event).success).toBe(true)
    expect(event.EventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(event.Timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/)
    expect(createTestEvent(name).EventId).not.toBe(event.EventId)
  })

  it('fills documented FieldValues and delete Values', () => {
    expect(createTestEvent('sale.created').FieldValues).toMatchObject({ currency_id: expect.any(Number) })
    const deleted = createTestEvent('contact.deleted', { PrimaryKey: 77 })
    expect(deleted.Values).toEqual({ associate_id: 100, contact_id: 77 })
    expect(createTestEvent('quote.approved').FieldValues).toBeUndefined()
    expect(createTestEvent('test')).toMatchObject({ PrimaryKey: 0, Entity: 'test', Changes: [] })
  })

  it('applies typed overrides', () => {
    const event = createTestEvent('sale.sold', { PrimaryKey: 42, ContextIdentifier: 'Cust9' })
    expectTypeOf(event.Event).toEqualTypeOf<'sale.sold'>()
    expect(event).toMatchObject({ PrimaryKey: 42, ContextIdentifier: 'Cust9' })
  })

  it('builds list, extra-table, webhook-state and custom events', () => {
    expect(createTestEvent('list.category.created').Entity).toBe('list.category')
    expect(createTestEvent('y_rental.deleted').Entity).toBe('y_rental')
    const state = createTestEvent('webhook.errors')
    expect(state.Entity).toBeUndefined()
    expect(createTestEvent('acme.exploded', { Custom: 1 })).toMatchObject({ Event: 'acme.exploded', Custom: 1 })
  })

  it('fails loudly on an override its schema refuses', () => {
    expect(() => createTestEvent('sale.sold', { PrimaryKey: 'one' as unknown as number })).toThrow(
      /does not match its known schema/,
    )
  })

  it('formats timestamps as SuperOffice does', () => {
    expect(superOfficeTimestamp(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05.6780000Z')
  })
})

describe('signedPayload and signedRequest', () => {
  it("uses SuperOffice's header casing and signs the exact bytes", () => {
    const event = createTestEvent('sale.sold')
    const { body, headers } = signedPayload(event, { secret: 's', retry: 2, headers: { 'X-Tenant': 'a' } })
    expect(body).toBe(JSON.stringify(event))
    expect(headers).toMatchObject({
      'Content-Type': 'application/json; charset=utf-8',
      'User-Agent': expect.stringMatching(/^NetServer-Webhook\//),
      'X-SuperOffice-Event': 'sale.sold',
      'X-SuperOffice-EventId': event.EventId,
      'X-SuperOffice-Retry': '2',
      'X-Tenant': 'a',
    })
    expect(verifySignatureSync(body, headers['X-SuperOffice-Signature'], 's').valid).toBe(true)
    expect(headers['X-Hook-Test']).toBeUndefined()
  })

  it('marks the test event with X-Hook-Test and sends unsigned without a secret', () => {
    const { headers } = signedPayload(createTestEvent('test'))
    expect(headers['X-Hook-Test']).toBe('true')
    expect(headers['X-SuperOffice-Signature']).toBeUndefined()
  })

  it('signs a given text as is', () => {
    const text = '{ "Event": "sale.sold" }\n'
    const { body, headers } = signedPayload(text, { secret: 's' })
    expect(body).toBe(text)
    expect(verifySignatureSync(text, headers['X-SuperOffice-Signature'], 's').valid).toBe(true)
  })

  it('a signed Request of every event type is accepted by the pipeline and reaches a typed handler', async () => {
    const webhooks = createSuperOfficeWebhooks({ secret: 's', logger: false })
    const seen: string[] = []
    for (const name of superOfficeEventNames) {
      webhooks.on(name, (event) => {
        if (isSuperOfficeEvent(event, name)) seen.push(event.Event)
      })
    }
    for (const name of superOfficeEventNames) {
      const response = await webhooks.handleRequest(
        signedRequest(createTestEvent(name), { secret: 's', url: 'http://localhost/webhooks/superoffice' }),
      )
      expect(response.status).toBe(200)
    }
    expect(seen).toEqual(superOfficeEventNames)
  })
})
