import { signPayload } from '@superoffice-webhooks/core'
import { createTestEvent } from '@superoffice-webhooks/testing'

export const SECRET = 'bench-secret-0123456789'

/** A sale.created body of about 1.3 KB, like SuperOffice's own sample (Changes + FieldValues). */
export function typicalBody(eventId?: string): string {
  const event = createTestEvent('sale.created', {
    ...(eventId ? { EventId: eventId } : {}),
    Changes: [
      'sale_id',
      'status',
      'appointment_id',
      'activeLinks',
      'saledate',
      'source_id',
      'done',
      'updatedCount',
      'contact_id',
      'registered',
      'associate_id',
      'currency_id',
      'heading',
      'updated',
      'project_id',
      'earning',
      'probability',
      'person_id',
      'group_idx',
      'amount',
      'registered_associate_id',
      'updated_associate_id',
      'userdef_id',
      'userdef2_id',
      'saleType_id',
      'saleTypeCat_id',
      'reason_id',
      'reasonSold_id',
      'nextDueDate',
      'earning_percent',
      'comptr_id',
      'credited_id',
      'visibility',
      'text_id',
      'number1',
      'probability_idx',
    ],
    WebhookName: 'Sales pipeline to ERP (production)',
  })
  return JSON.stringify(event)
}

/** A sale.changed body of about 200 KB: thousands of extra FieldValues and a long text property. */
export function largeBody(eventId?: string): string {
  const event = createTestEvent('sale.changed', eventId ? { EventId: eventId } : {}) as Record<string, unknown>
  const fieldValues = event.FieldValues as Record<string, unknown>
  for (let i = 0; i < 4000; i++) fieldValues[`x_custom_field_${i}`] = i % 3 === 0 ? `value ${i}` : i
  event.Notes = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(1700)
  return JSON.stringify(event)
}

/** `count` bodies with distinct EventIds, signed, as Buffers (what an adapter hands to core). */
export function signedPool(make: (eventId: string) => string, count: number): { body: Buffer; signature: string }[] {
  // One body made, the EventId swapped in per copy: hundreds of thousands of bodies in seconds.
  const placeholder = '00000000-0000-4000-8000-placeholder0'
  const [before, after] = make(placeholder).split(placeholder) as [string, string]
  return Array.from({ length: count }, (_, i) => {
    const text = `${before}00000000-0000-4000-8000-${String(i).padStart(12, '0')}${after}`
    return { body: Buffer.from(text), signature: signPayload(text, SECRET) }
  })
}
