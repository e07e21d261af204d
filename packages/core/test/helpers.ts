let counter = 0
/** The project's own fixture: a plausible envelope for any event name. */
export function envelope(event: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter++
  const entity = event === 'test' ? 'test' : event.slice(0, event.lastIndexOf('.'))
  return {
    EventId: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    Timestamp: new Date().toISOString().replace('Z', '1234Z'),
    Changes: event.endsWith('.deleted') ? [] : ['updated', 'updated_associate_id'],
    Event: event,
    PrimaryKey: event === 'test' ? 0 : 1000 + counter,
    Entity: entity,
    ContextIdentifier: 'Cust90210',
    ChangedByAssociateId: 7,
    WebhookName: 'Fixture webhook',
    ...overrides,
  }
}
