import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type * as z from 'zod'
import { compileCheck } from '../src/compiled-check.js'
import {
  superOfficeEventSchemas,
  superOfficeExtraTableEventSchema,
  superOfficeListEventSchema,
  superOfficeUnknownEventSchema,
  superOfficeWebhookStateEventSchema,
} from '../src/index.js'
import { envelope } from './helpers.js'

const schemas: [string, z.ZodType][] = [
  ...Object.entries(superOfficeEventSchemas),
  ['list', superOfficeListEventSchema],
  ['extra-table', superOfficeExtraTableEventSchema],
  ['webhook-state', superOfficeWebhookStateEventSchema],
  ['unknown', superOfficeUnknownEventSchema],
]

// Values that each break some field's type, or keep it.
const anyValue = fc.oneof(
  fc.constantFrom(undefined, null, '', 'x', 0, -1, 1.5, true, false, [], {}, ['a'], [1], { a: 1 }, { a: 'b' }),
  fc.string(),
  fc.integer(),
  fc.jsonValue(),
)

for (const codegen of [true, false])
  describe(`compileCheck agrees with zod (${codegen ? 'generated' : 'closures'})`, () => {
    it('compiles every event schema (none falls back to zod)', () => {
      for (const [name, schema] of schemas) expect(compileCheck(schema, { codegen }), name).toBeTypeOf('function')
      for (const [name, schema] of Object.entries(superOfficeEventSchemas)) {
        expect(compileCheck((schema as z.ZodObject).strict(), { codegen }), `${name} strict`).toBeTypeOf('function')
      }
    })

    it('property: on valid events and on events with one field, FieldValue or Value changed, the verdicts match', () => {
      const names = Object.keys(superOfficeEventSchemas)
      const fields = [
        'EventId',
        'Timestamp',
        'Changes',
        'Event',
        'PrimaryKey',
        'Entity',
        'ContextIdentifier',
        'ChangedByAssociateId',
        'WebhookName',
        'FieldValues',
        'Values',
        'Extra',
      ]
      fc.assert(
        fc.property(
          fc.constantFrom(...schemas),
          fc.constantFrom(...names),
          fc.constantFrom(
            ...fields,
            'FieldValues.currency_id',
            'FieldValues.registered',
            'FieldValues.ContactId',
            'Values.contact_id',
            'Changes.0',
          ),
          anyValue,
          fc.boolean(),
          ([, schema], name, field, value, strict) => {
            const event = envelope(name, {
              FieldValues: { currency_id: 47, registered: '2020-01-20T13:39:40', ContactId: '21' },
              Values: { contact_id: 1 },
            }) as Record<string, unknown>
            const [head, tail] = field.split('.') as [string, string | undefined]
            if (tail === undefined) event[head] = value
            else if (head === 'Changes') event.Changes = [value]
            else event[head] = { ...(event[head] as object), [tail]: value }
            const target = strict && 'strict' in schema ? (schema as z.ZodObject).strict() : schema
            const check = compileCheck(target, { codegen }) as (v: unknown) => boolean
            expect(check(event)).toBe(target.safeParse(event).success)
          },
        ),
        { numRuns: 3000 },
      )
    })

    it('property: arbitrary JSON values get the same verdict', () => {
      fc.assert(
        fc.property(fc.constantFrom(...schemas), fc.jsonValue(), ([, schema], value) => {
          expect((compileCheck(schema, { codegen }) as (v: unknown) => boolean)(value)).toBe(
            schema.safeParse(value).success,
          )
        }),
        { numRuns: 1000 },
      )
    })

    it('a passing body is what zod would have returned', () => {
      const event = envelope('sale.sold', { FieldValues: { currency_id: 1, brand_new: { x: [1] } }, Custom: 'kept' })
      expect(compileCheck(superOfficeEventSchemas['sale.sold'], { codegen })?.(event)).toBe(true)
      expect(superOfficeEventSchemas['sale.sold'].parse(event)).toEqual(event)
    })
  })
