import {
  type SuperOfficeEvent,
  type SuperOfficeEventFor,
  type SuperOfficeEventName,
  schemaForEvent,
} from '@superoffice-webhooks/core'

const date = (offsetDays: number) => {
  const d = new Date(Date.UTC(2026, 0, 15, 9, 30, 0) + offsetDays * 86_400_000)
  // .NET style, as SuperOffice sends FieldValues dates: local time with an offset, 7 fractional digits.
  return `${d.toISOString().slice(0, 19)}.1234567+01:00`
}

/** Realistic FieldValues per entity, as the documentation lists them (our own values). */
const fieldValues: Record<string, Record<string, unknown>> = {
  activity: {
    activeDate: date(1),
    associate_id: 12,
    contact_id: 310,
    do_by: date(1),
    document_id: 0,
    endDate: date(1),
    modified_appointment_fields: 0,
    mother_id: 0,
    person_id: 4021,
    private: 0,
    project_id: 0,
    sale_id: 7781,
    status: 1,
    task_idx: 3,
    type: 1,
    updated: date(0),
    userdef2_id: 0,
    userdef_id: 0,
  },
  associate: {
    deleted: 0,
    group_idx: 2,
    person_id: 4021,
    registered_associate_id: 1,
    type: 1,
    updated: date(0),
    updated_associate_id: 1,
    waiting_for_approval: 0,
  },
  contact: {
    activeInterests: 0,
    associate_id: 12,
    business_idx: 3,
    category_idx: 1,
    country_id: 578,
    deleted: 0,
    DeletedDate: '0001-01-01T00:00:00',
    registered: date(-300),
    registered_associate_id: 12,
    source: 0,
    updated: date(0),
    userdef2_id: 0,
    userdef_id: 0,
  },
  document: {
    application_id: 0,
    appointment_id: 9120,
    document_id: 512,
    registered: date(-2),
    registered_associate_id: 12,
    updated: date(0),
    updated_associate_id: 12,
    userdef2_id: 0,
    userdef_id: 0,
  },
  person: {
    activeInterests: 0,
    associate_id: 12,
    business_idx: 3,
    category_idx: 1,
    contact_id: 310,
    country_id: 578,
    DeletedDate: '0001-01-01T00:00:00',
    group_id: 2,
    person_id: 4021,
    position_idx: 4,
    registered: date(-200),
    registered_associate_id: 12,
    retired: 0,
    source: 0,
    updated: date(0),
    updated_associate_id: 12,
    userdef2_id: 0,
    userdef_id: 0,
  },
  project: {
    activeLinks: 0,
    associate_id: 12,
    done: 0,
    registered: date(-30),
    registered_associate_id: 12,
    status_idx: 2,
    type_idx: 1,
    updated: date(0),
    updated_associate_id: 12,
    userdef2_id: 0,
    userdef_id: 0,
  },
  projectmember: {
    contact_id: 310,
    mtype_idx: 1,
    person_id: 4021,
    project_id: 88,
    projectmember_id: 901,
    registered: date(-3),
    registered_associate_id: 12,
    updated: date(0),
    updated_associate_id: 12,
  },
  relation: {
    associate_id: 12,
    destination_record: 311,
    destination_table: 5,
    registered: date(-1),
    registered_associate_id: 12,
    reldef_id: 2,
    source_record: 310,
    source_table: 5,
    updated: '0001-01-01T00:00:00',
    updated_associate_id: 0,
  },
  sale: {
    activeLinks: 0,
    appointment_id: 0,
    associate_id: 12,
    comptr_id: 0,
    contact_id: 310,
    credited_id: 0,
    currency_id: 47,
    done: 0,
    group_idx: 2,
    person_id: 4021,
    probability_idx: 5,
    project_id: 0,
    reason_id: 0,
    reasonSold_id: 0,
    reasonStalled_id: 0,
    registered: date(-40),
    registered_associate_id: 12,
    saleTypeCat_id: 1,
    saleType_id: 2,
    saledate: date(14),
    source_id: 3,
    status: 1,
    updated: date(0),
    updated_associate_id: 12,
    userdef2_id: 0,
    userdef_id: 0,
  },
  salestakeholder: {
    contact_id: 310,
    person_id: 4021,
    registered: date(-5),
    registered_associate_id: 12,
    sale_id: 7781,
    stakeholderrole_id: 1,
    updated: '0001-01-01T00:00:00',
    updated_associate_id: 0,
  },
  ticket: {
    category: 3,
    connect_id: -1,
    contact_id: 310,
    created_at: date(-1).slice(0, 19),
    cust_id: 4021,
    has_attachment: 0,
    last_changed: date(0).slice(0, 19),
    owned_by: 12,
    priority: 2,
    project_id: 0,
    sale_id: 0,
    slevel: 1,
    status: 1,
    ticket_status: 1,
    ticket_type: 1,
  },
  chatsession: {
    AlertLevel: 0,
    ChatbotIsactive: false,
    Consented: true,
    ContactId: '310',
    CustomerAlias: 1,
    CustomerId: '4021',
    ProjectId: 0,
    Rating: 0,
    SaleId: 0,
    Status: 1,
    TicketId: 0,
    TopicId: 2,
    UserId: 12,
  },
}

/** Changed columns per action, short and plausible. */
const changes: Record<string, string[]> = {
  created: ['registered', 'registered_associate_id', 'updated', 'updated_associate_id'],
  changed: ['updated', 'updated_associate_id', 'updatedCount'],
  sold: ['status', 'updated', 'updated_associate_id'],
  lost: ['status', 'updated', 'updated_associate_id'],
  completed: ['done', 'updated', 'updated_associate_id'],
}

/** Id values SuperOffice sends in `Values` on delete events. */
const deletedValues: Record<string, string[]> = {
  activity: ['appointment_id', 'contact_id', 'person_id', 'project_id', 'sale_id'],
  associate: ['associate_id', 'person_id'],
  contact: ['associate_id', 'contact_id'],
  document: ['document_id', 'appointment_id'],
  person: ['associate_id', 'contact_id', 'person_id'],
  project: ['associate_id', 'project_id'],
  projectmember: ['associate_id', 'project_id'],
  relation: ['associate_id', 'relation_id'],
  sale: ['associate_id', 'contact_id', 'person_id', 'project_id'],
  salestakeholder: ['sale_id'],
}

const withoutFieldValues = new Set(['quote', 'test'])

/** Fields of any event a test may want to set. */
export interface TestEventOverrides {
  EventId?: string
  Timestamp?: string
  PrimaryKey?: number
  ContextIdentifier?: string
  ChangedByAssociateId?: number
  WebhookName?: string
  Changes?: string[]
  Entity?: string
  FieldValues?: Record<string, unknown>
  Values?: Record<string, unknown>
  [key: string]: unknown
}

let sequence = 0

/**
 * A fresh EventId (a v4 GUID, as SuperOffice sends).
 *
 * @example
 * ```ts
 * newEventId() // '3f0c…-…'
 * ```
 */
export function newEventId(): string {
  return globalThis.crypto.randomUUID()
}

/**
 * A .NET-style UTC timestamp with 7 fractional digits, as in `Timestamp`.
 *
 * @example
 * ```ts
 * superOfficeTimestamp(new Date('2026-01-01T00:00:00Z')) // '2026-01-01T00:00:00.0000000Z'
 * ```
 */
export function superOfficeTimestamp(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 23)}0000Z`
}

/**
 * What {@link createTestEvent} returns: the event typed by its name, with the envelope fields it
 * always sets (an unknown event's type leaves them optional, since a tolerated body may lack them).
 *
 * @example
 * ```ts
 * const custom: TestEvent<'acme.exploded'> = createTestEvent('acme.exploded')
 * custom.EventId // string
 * ```
 */
export type TestEvent<N extends string> = SuperOfficeEventFor<N> & {
  EventId: string
  Timestamp: string
  PrimaryKey: number
}

/**
 * Builds a valid event body for any event name: a fresh `EventId` and `Timestamp`, realistic
 * `FieldValues` where SuperOffice documents them, `Values` on deletes. Documented events are
 * checked against core's schema, so a bad override fails here rather than in your handler.
 *
 * @example
 * ```ts
 * import { createTestEvent } from '@superoffice-webhooks/testing'
 *
 * const sold = createTestEvent('sale.sold', { PrimaryKey: 42, ContextIdentifier: 'Cust123' })
 * sold.FieldValues?.currency_id // number | undefined
 * ```
 */
export function createTestEvent<const N extends SuperOfficeEventName | (string & {})>(
  name: N,
  overrides: N extends SuperOfficeEventName ? Partial<SuperOfficeEvent<N>> : TestEventOverrides = {} as never,
): TestEvent<N> {
  sequence++
  const isTest = name === 'test'
  const dot = name.lastIndexOf('.')
  const entity = isTest ? 'test' : dot > 0 ? name.slice(0, dot) : name
  const action = dot > 0 ? name.slice(dot + 1) : ''
  const base: Record<string, unknown> = {
    EventId: newEventId(),
    Timestamp: superOfficeTimestamp(),
    Changes: isTest || action === 'deleted' || entity === 'quote' ? [] : (changes[action] ?? changes.changed),
    Event: name,
    PrimaryKey: isTest ? 0 : 1000 + sequence,
    Entity: entity,
    ContextIdentifier: 'Cust12345',
    ChangedByAssociateId: isTest ? 0 : 12,
    WebhookName: 'Test webhook',
  }
  if (entity.startsWith('webhook')) {
    delete base.Entity
    base.Event = name.replace(/^webhook\d+\./, 'webhook.')
  }
  const values = fieldValues[entity]
  if (values && !withoutFieldValues.has(entity)) base.FieldValues = { ...values }
  if (action === 'deleted' && deletedValues[entity]) {
    // The deleted row's own id column carries the PrimaryKey; the rest are related rows.
    const own = entity === 'activity' ? 'appointment_id' : `${entity}_id`
    const primaryKey = (overrides as { PrimaryKey?: unknown }).PrimaryKey ?? base.PrimaryKey
    base.Values = Object.fromEntries(
      (deletedValues[entity] as string[]).map((key, i) => [key, key === own ? primaryKey : 100 + i]),
    )
  }
  const event = { ...base, ...(overrides as Record<string, unknown>) }
  const { kind, schema } = schemaForEvent(String(event.Event))
  const checked = schema.safeParse(event)
  if (!checked.success) {
    throw new TypeError(
      `createTestEvent('${name}'): the event does not match its ${kind} schema: ${checked.error.message}`,
    )
  }
  return event as TestEvent<N>
}
