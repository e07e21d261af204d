import { docPayloads, documentedCatalogue, fixtureSources } from '@superoffice-webhooks/fixtures'
import { describe, expect, it } from 'vitest'
import {
  createSuperOfficeWebhooks,
  isSuperOfficeEvent,
  type SuperOfficeEventName,
  schemaForEvent,
  signPayload,
  superOfficeEventNames,
  superOfficeEventSchemas,
} from '../src/index.js'
import { envelope } from './helpers.js'

const catalogue: Record<string, string[]> = {
  activity: ['created', 'changed', 'deleted'],
  associate: ['created', 'changed', 'deleted'],
  chatsession: ['created', 'changed', 'message'],
  contact: ['created', 'changed', 'softdeleted', 'deleted'],
  document: ['created', 'changed', 'edited', 'deleted'],
  person: ['created', 'changed', 'softdeleted', 'deleted', 'consented', 'unconsented'],
  project: ['created', 'changed', 'deleted'],
  projectmember: ['created', 'changed', 'deleted'],
  quote: ['approved', 'rejected', 'sent', 'ordered'],
  relation: ['created', 'changed', 'deleted'],
  sale: ['created', 'changed', 'deleted', 'sold', 'lost', 'completed'],
  salestakeholder: ['created', 'changed', 'deleted'],
  ticket: ['created', 'changed'],
}

describe('event catalogue', () => {
  it('has a schema for every documented event and nothing else', () => {
    const expected = Object.entries(catalogue).flatMap(([entity, actions]) => actions.map((a) => `${entity}.${a}`))
    expect([...superOfficeEventNames].sort()).toEqual([...expected, 'test'].sort())
  })

  it("matches SuperOffice's reference pages, entity by entity (fixtures/superoffice/catalogue.json)", () => {
    const documented = Object.values(documentedCatalogue()).flatMap((entity) => entity.events)
    expect([...superOfficeEventNames].sort()).toEqual(documented.sort())
  })

  it.each([
    ['list.category.created', 'list'],
    ['list.42.softdeleted', 'list'],
    ['y_rental.deleted', 'extra-table'],
    ['webhook.errors', 'webhook-state'],
    ['webhook12.stopped', 'webhook-state'],
    ['acme.exploded', 'unknown'],
    ['sale.sold', 'known'],
    ['toString', 'unknown'],
  ])('recognises %s as %s', (name, kind) => {
    expect(schemaForEvent(name).kind).toBe(kind)
  })
})

describe("SuperOffice's documented examples (packages/fixtures/superoffice/payloads)", () => {
  const payloads = docPayloads()
  it('covers every documented event but the catalogue entries without a published example', () => {
    expect(payloads.length).toBe(45)
  })

  it('names the documentation page of every fixture file', () => {
    for (const { name, page } of payloads)
      expect(page, name).toMatch(/^https:\/\/docs\.superoffice\.com\/en\/automation\/webhook\//)
    for (const source of Object.values(fixtureSources)) expect(source.source).toMatch(/^SuperOfficeDocs\/docs: en\//)
  })

  for (const { name, text } of payloads) {
    it(`${name} validates and reaches a handler typed for it`, async () => {
      const body = JSON.parse(text)
      expect(body.Event).toBe(name)
      const { kind, schema } = schemaForEvent(name)
      expect(kind).toBe('known')
      expect(schema.safeParse(body).success).toBe(true)

      const secret = 'corpus secret'
      const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
      const seen: unknown[] = []
      webhooks.on(name as SuperOfficeEventName, (event) => {
        seen.push(event)
      })
      const answer = await webhooks.handle({
        rawBody: Buffer.from(text),
        headers: { 'X-SuperOffice-Signature': signPayload(text, secret) },
      })
      expect(answer.status).toBe(200)
      expect(seen).toHaveLength(1)
      expect(isSuperOfficeEvent(seen[0], name as SuperOfficeEventName)).toBe(true)
      expect(seen[0]).toEqual(body)
    })
  }
})

describe('tolerance', () => {
  it('passes unknown keys through (custom webhook Properties, new columns)', () => {
    const body = envelope('sale.sold', { MyProperty: 'x', FieldValues: { currency_id: 3, brand_new: [1] } })
    const parsed = superOfficeEventSchemas['sale.sold'].parse(body)
    expect(parsed.MyProperty).toBe('x')
    expect(parsed.FieldValues?.brand_new).toEqual([1])
    expect(parsed.FieldValues?.currency_id).toBe(3)
  })

  it('accepts the .NET date forms and 0001-01-01', () => {
    const body = envelope('sale.changed', {
      FieldValues: {
        registered: '2020-01-20T13:39:40',
        updated: '2025-05-14T15:56:39.5450964+02:00',
        saledate: '0001-01-01T00:00:00',
      },
    })
    expect(superOfficeEventSchemas['sale.changed'].safeParse(body).success).toBe(true)
  })

  it('accepts chat FieldValues with numbers as strings', () => {
    const body = envelope('chatsession.created', {
      FieldValues: { ContactId: '21', CustomerId: '12', Consented: false },
    })
    expect(superOfficeEventSchemas['chatsession.created'].safeParse(body).success).toBe(true)
  })

  it('refuses an envelope without EventId', () => {
    const { EventId: _, ...body } = envelope('sale.sold')
    expect(superOfficeEventSchemas['sale.sold'].safeParse(body).success).toBe(false)
  })
})
