import * as z from 'zod'

// Field value shapes as SuperOffice documents them. Every key is optional: since NetServer 11.1
// FieldValues are often absent, and each installation sends a different subset.
const id = z.number()
/** .NET date text: `2020-01-20T13:39:40`, `…+02:00`, `0001-01-01T00:00:00` for "no date". */
const netDate = z.string()
const chatValue = z.union([z.number(), z.string()])

function fields<const K extends string, S extends z.ZodType>(keys: readonly K[], shape: S) {
  const out = {} as Record<K, z.ZodOptional<S>>
  for (const key of keys) out[key] = shape.optional()
  return out
}

const activityFieldValues = z.looseObject({
  ...fields(
    [
      'associate_id',
      'contact_id',
      'document_id',
      'modified_appointment_fields',
      'mother_id',
      'person_id',
      'private',
      'project_id',
      'sale_id',
      'status',
      'task_idx',
      'type',
      'userdef2_id',
      'userdef_id',
    ],
    id,
  ),
  ...fields(['activeDate', 'do_by', 'endDate', 'updated'], netDate),
})

const associateFieldValues = z.looseObject({
  ...fields(
    [
      'deleted',
      'group_idx',
      'person_id',
      'registered_associate_id',
      'type',
      'updated_associate_id',
      'waiting_for_approval',
    ],
    id,
  ),
  ...fields(['updated'], netDate),
})

const contactFieldValues = z.looseObject({
  ...fields(
    [
      'activeInterests',
      'associate_id',
      'business_idx',
      'category_idx',
      'country_id',
      'deleted',
      'registered_associate_id',
      'source',
      'userdef2_id',
      'userdef_id',
    ],
    id,
  ),
  ...fields(['DeletedDate', 'registered', 'updated'], netDate),
})

const documentFieldValues = z.looseObject({
  ...fields(
    [
      'application_id',
      'appointment_id',
      'document_id',
      'registered_associate_id',
      'updated_associate_id',
      'userdef2_id',
      'userdef_id',
    ],
    id,
  ),
  ...fields(['registered', 'updated'], netDate),
})

const personFieldValues = z.looseObject({
  ...fields(
    [
      'activeInterests',
      'associate_id',
      'business_idx',
      'category_idx',
      'contact_id',
      'country_id',
      'group_id',
      'person_id',
      'position_idx',
      'registered_associate_id',
      'retired',
      'source',
      'updated_associate_id',
      'userdef2_id',
      'userdef_id',
    ],
    id,
  ),
  ...fields(['DeletedDate', 'registered', 'updated'], netDate),
})

const projectFieldValues = z.looseObject({
  ...fields(
    [
      'activeLinks',
      'associate_id',
      'done',
      'registered_associate_id',
      'status_idx',
      'type_idx',
      'updated_associate_id',
      'userdef2_id',
      'userdef_id',
    ],
    id,
  ),
  ...fields(['registered', 'updated'], netDate),
})

const projectMemberFieldValues = z.looseObject({
  ...fields(
    [
      'contact_id',
      'mtype_idx',
      'person_id',
      'project_id',
      'projectmember_id',
      'registered_associate_id',
      'updated_associate_id',
    ],
    id,
  ),
  ...fields(['registered', 'updated'], netDate),
})

const relationFieldValues = z.looseObject({
  ...fields(
    [
      'associate_id',
      'associateId',
      'destination_record',
      'destination_table',
      'registered_associate_id',
      'reldef_id',
      'source_record',
      'source_table',
      'updated_associate_id',
    ],
    id,
  ),
  ...fields(['registered', 'updated'], netDate),
})

const saleFieldValues = z.looseObject({
  ...fields(
    [
      'activeLinks',
      'appointment_id',
      'associate_id',
      'comptr_id',
      'contact_id',
      'credited_id',
      'currency_id',
      'done',
      'group_idx',
      'person_id',
      'probability_idx',
      'project_id',
      'reason_id',
      'reasonSold_id',
      'reasonStalled_id',
      'registered_associate_id',
      'saleTypeCat_id',
      'saleType_id',
      'source_id',
      'status',
      'updated_associate_id',
      'userdef2_id',
      'userdef_id',
    ],
    id,
  ),
  ...fields(['registered', 'saledate', 'updated'], netDate),
})

const saleStakeholderFieldValues = z.looseObject({
  ...fields(
    ['contact_id', 'person_id', 'registered_associate_id', 'sale_id', 'stakeholderrole_id', 'updated_associate_id'],
    id,
  ),
  ...fields(['registered', 'updated'], netDate),
})

const ticketFieldValues = z.looseObject({
  ...fields(
    [
      'category',
      'connect_id',
      'contact_id',
      'cust_id',
      'has_attachment',
      'owned_by',
      'priority',
      'project_id',
      'sale_id',
      'slevel',
      'status',
      'ticket_status',
      'ticket_type',
    ],
    id,
  ),
  ...fields(['created_at', 'last_changed'], netDate),
})

// Chat examples use PascalCase keys and send some numbers as strings.
const chatSessionFieldValues = z.looseObject({
  ...fields(
    [
      'AlertLevel',
      'ContactId',
      'CustomerAlias',
      'CustomerId',
      'ProjectId',
      'Rating',
      'SaleId',
      'Status',
      'TicketId',
      'TopicId',
      'UserId',
    ],
    chatValue,
  ),
  ...fields(['ChatbotIsactive', 'Consented'], z.union([z.boolean(), z.number(), z.string()])),
})

/** Id values of a deleted row (`Values`, since 9.2 R03): numbers keyed by column name. */
const deletedValues = z.record(z.string(), z.number())

/** The fields every SuperOffice webhook body carries, whatever its event. */
const envelopeShape = {
  EventId: z.string().min(1),
  Timestamp: z.string(),
  Changes: z.array(z.string()),
  PrimaryKey: z.number(),
  ContextIdentifier: z.string(),
  ChangedByAssociateId: z.number(),
  WebhookName: z.string(),
}

const anyValues = z.record(z.string(), z.unknown())

function eventSchema<const N extends string, const E extends string, F extends z.ZodType = typeof anyValues>(
  name: N,
  entity: E,
  fieldValues?: F,
) {
  return z.looseObject({
    ...envelopeShape,
    Event: z.literal(name),
    Entity: z.literal(entity),
    FieldValues: ((fieldValues ?? anyValues) as F).optional(),
    Values: deletedValues.optional(),
  })
}

/**
 * One zod schema per documented SuperOffice event, keyed by event name. Objects are loose:
 * unknown keys (custom webhook `Properties`, new columns) pass through untouched.
 *
 * @example
 * ```ts
 * import { superOfficeEventSchemas } from '@superoffice-webhooks/core'
 *
 * const sold = superOfficeEventSchemas['sale.sold'].parse(JSON.parse(text))
 * sold.FieldValues?.currency_id // number | undefined
 * ```
 */
export const superOfficeEventSchemas = {
  'activity.created': eventSchema('activity.created', 'activity', activityFieldValues),
  'activity.changed': eventSchema('activity.changed', 'activity', activityFieldValues),
  'activity.deleted': eventSchema('activity.deleted', 'activity', activityFieldValues),
  'associate.created': eventSchema('associate.created', 'associate', associateFieldValues),
  'associate.changed': eventSchema('associate.changed', 'associate', associateFieldValues),
  'associate.deleted': eventSchema('associate.deleted', 'associate', associateFieldValues),
  'chatsession.created': eventSchema('chatsession.created', 'chatsession', chatSessionFieldValues),
  'chatsession.changed': eventSchema('chatsession.changed', 'chatsession', chatSessionFieldValues),
  'chatsession.message': eventSchema('chatsession.message', 'chatsession', chatSessionFieldValues),
  'contact.created': eventSchema('contact.created', 'contact', contactFieldValues),
  'contact.changed': eventSchema('contact.changed', 'contact', contactFieldValues),
  'contact.softdeleted': eventSchema('contact.softdeleted', 'contact', contactFieldValues),
  'contact.deleted': eventSchema('contact.deleted', 'contact', contactFieldValues),
  'document.created': eventSchema('document.created', 'document', documentFieldValues),
  'document.changed': eventSchema('document.changed', 'document', documentFieldValues),
  'document.edited': eventSchema('document.edited', 'document', documentFieldValues),
  'document.deleted': eventSchema('document.deleted', 'document', documentFieldValues),
  'person.created': eventSchema('person.created', 'person', personFieldValues),
  'person.changed': eventSchema('person.changed', 'person', personFieldValues),
  'person.softdeleted': eventSchema('person.softdeleted', 'person', personFieldValues),
  'person.deleted': eventSchema('person.deleted', 'person', personFieldValues),
  'person.consented': eventSchema('person.consented', 'person', personFieldValues),
  'person.unconsented': eventSchema('person.unconsented', 'person', personFieldValues),
  'project.created': eventSchema('project.created', 'project', projectFieldValues),
  'project.changed': eventSchema('project.changed', 'project', projectFieldValues),
  'project.deleted': eventSchema('project.deleted', 'project', projectFieldValues),
  'projectmember.created': eventSchema('projectmember.created', 'projectmember', projectMemberFieldValues),
  'projectmember.changed': eventSchema('projectmember.changed', 'projectmember', projectMemberFieldValues),
  'projectmember.deleted': eventSchema('projectmember.deleted', 'projectmember', projectMemberFieldValues),
  'quote.approved': eventSchema('quote.approved', 'quote'),
  'quote.rejected': eventSchema('quote.rejected', 'quote'),
  'quote.sent': eventSchema('quote.sent', 'quote'),
  'quote.ordered': eventSchema('quote.ordered', 'quote'),
  'relation.created': eventSchema('relation.created', 'relation', relationFieldValues),
  'relation.changed': eventSchema('relation.changed', 'relation', relationFieldValues),
  'relation.deleted': eventSchema('relation.deleted', 'relation', relationFieldValues),
  'sale.created': eventSchema('sale.created', 'sale', saleFieldValues),
  'sale.changed': eventSchema('sale.changed', 'sale', saleFieldValues),
  'sale.deleted': eventSchema('sale.deleted', 'sale', saleFieldValues),
  'sale.sold': eventSchema('sale.sold', 'sale', saleFieldValues),
  'sale.lost': eventSchema('sale.lost', 'sale', saleFieldValues),
  'sale.completed': eventSchema('sale.completed', 'sale', saleFieldValues),
  'salestakeholder.created': eventSchema('salestakeholder.created', 'salestakeholder', saleStakeholderFieldValues),
  'salestakeholder.changed': eventSchema('salestakeholder.changed', 'salestakeholder', saleStakeholderFieldValues),
  'salestakeholder.deleted': eventSchema('salestakeholder.deleted', 'salestakeholder', saleStakeholderFieldValues),
  'ticket.created': eventSchema('ticket.created', 'ticket', ticketFieldValues),
  'ticket.changed': eventSchema('ticket.changed', 'ticket', ticketFieldValues),
  test: eventSchema('test', 'test'),
}

/** Actions of SuperOffice list events: `list.<listName>.created` and so on. */
const listEventPattern = /^list\.[^.]+\.(created|changed|softdeleted)$/
/** Extra tables are named `y_…` in SuperOffice: `y_rental.created`. */
const extraTableEventPattern = /^y_[A-Za-z0-9_]+\.(created|changed|deleted)$/
/** Subscribed as `webhook<id>.started`; the body shows `webhook.errors`. */
const webhookStateEventPattern = /^webhook\d*\.(started|stopped|errors)$/

const looseEnvelope = {
  EventId: envelopeShape.EventId,
  Timestamp: envelopeShape.Timestamp,
  PrimaryKey: envelopeShape.PrimaryKey,
  Changes: envelopeShape.Changes.optional(),
  ContextIdentifier: envelopeShape.ContextIdentifier.optional(),
  ChangedByAssociateId: envelopeShape.ChangedByAssociateId.optional(),
  WebhookName: envelopeShape.WebhookName.optional(),
  FieldValues: anyValues.optional(),
  Values: anyValues.optional(),
}

/**
 * A list event: `list.<listName>.created|changed|softdeleted` (also `list.<UDListDefinition_id>.…`),
 * with `Entity` set to `list.<listName>`.
 *
 * @example
 * ```ts
 * superOfficeListEventSchema.parse(body).Entity // 'list.category'
 * ```
 */
export const superOfficeListEventSchema = z.looseObject({
  ...envelopeShape,
  Event: z.templateLiteral(['list.', z.string(), '.', z.enum(['created', 'changed', 'softdeleted'])]),
  Entity: z.templateLiteral(['list.', z.string()]),
  FieldValues: anyValues.optional(),
  Values: anyValues.optional(),
})

/**
 * An extra-table event: `y_<table>.created|changed|deleted`, with `Entity` set to the table name.
 *
 * @example
 * ```ts
 * superOfficeExtraTableEventSchema.parse(body).Entity // 'y_rental'
 * ```
 */
export const superOfficeExtraTableEventSchema = z.looseObject({
  ...envelopeShape,
  Event: z.templateLiteral(['y_', z.string(), '.', z.enum(['created', 'changed', 'deleted'])]),
  Entity: z.string(),
  FieldValues: anyValues.optional(),
  Values: anyValues.optional(),
})

/**
 * A webhook state event (`webhook.started`, `webhook.stopped`, `webhook.errors`): no `Entity`,
 * `PrimaryKey` is the webhook's id.
 *
 * @example
 * ```ts
 * superOfficeWebhookStateEventSchema.parse(body).PrimaryKey // the webhook id
 * ```
 */
export const superOfficeWebhookStateEventSchema = z.looseObject({
  ...looseEnvelope,
  Event: z.templateLiteral(['webhook', z.string(), '.', z.enum(['started', 'stopped', 'errors'])]),
  Entity: z.string().optional(),
})

/**
 * Any SuperOffice envelope, whatever its event: the four fields every body needs (`EventId`,
 * `Timestamp`, `Event`, `PrimaryKey`) and the rest optional. Custom and future events are
 * delivered in this shape.
 *
 * @example
 * ```ts
 * const event = superOfficeUnknownEventSchema.parse(JSON.parse(text))
 * event.Event // string
 * ```
 */
export const superOfficeUnknownEventSchema = z.looseObject({
  ...looseEnvelope,
  Event: z.string().min(1),
  Entity: z.string().optional(),
})

/** Documented event names, in catalogue order. */
export const superOfficeEventNames = Object.keys(superOfficeEventSchemas) as SuperOfficeEventName[]

/** A documented SuperOffice event name: `'sale.sold'`, `'contact.created'`, `'test'`… */
export type SuperOfficeEventName = keyof typeof superOfficeEventSchemas

/** Event names of a list: `list.category.created`. */
export type SuperOfficeListEventName = `list.${string}.${'created' | 'changed' | 'softdeleted'}`
/** Event names of an extra table: `y_rental.created`. */
export type SuperOfficeExtraTableEventName = `y_${string}.${'created' | 'changed' | 'deleted'}`
/** Event names of webhook state: `webhook.errors`, `webhook12.stopped`. */
export type SuperOfficeWebhookStateEventName = `webhook${string}.${'started' | 'stopped' | 'errors'}`

/** A list event body. */
export type SuperOfficeListEvent = z.output<typeof superOfficeListEventSchema>
/** An extra-table event body. */
export type SuperOfficeExtraTableEvent = z.output<typeof superOfficeExtraTableEventSchema>
/** A webhook state event body. */
export type SuperOfficeWebhookStateEvent = z.output<typeof superOfficeWebhookStateEventSchema>
/**
 * An event the toolkit has no schema for (custom, future, or a known one whose typed parts did not
 * match in tolerant mode), narrowed to a name pattern when one is known.
 */
export interface SuperOfficeUnknownEvent<N extends string = string> {
  EventId: string
  Timestamp: string
  Event: N
  PrimaryKey: number
  Entity?: string | undefined
  Changes?: string[] | undefined
  ContextIdentifier?: string | undefined
  ChangedByAssociateId?: number | undefined
  WebhookName?: string | undefined
  FieldValues?: Record<string, unknown> | undefined
  Values?: Record<string, unknown> | undefined
  [key: string]: unknown
}

/**
 * The body of a documented event, typed by its name.
 *
 * @example
 * ```ts
 * import type { SuperOfficeEvent } from '@superoffice-webhooks/core'
 *
 * function onSold(event: SuperOfficeEvent<'sale.sold'>) {
 *   return event.PrimaryKey // number
 * }
 * ```
 */
export type SuperOfficeEvent<N extends SuperOfficeEventName = SuperOfficeEventName> = {
  [K in N]: z.output<(typeof superOfficeEventSchemas)[K]>
}[N]

/** Every body the pipeline can deliver: documented, family and unknown events. */
export type SuperOfficeAnyEvent =
  | SuperOfficeEvent
  | SuperOfficeListEvent
  | SuperOfficeExtraTableEvent
  | SuperOfficeWebhookStateEvent
  | SuperOfficeUnknownEvent

/** Which schema family an event name belongs to. */
export type SuperOfficeEventKind = 'known' | 'list' | 'extra-table' | 'webhook-state' | 'unknown'

/**
 * The schema for an event name, and its family. Documented names get their own schema; list,
 * extra-table and webhook-state names are recognised by pattern; anything else gets the unknown
 * envelope schema.
 *
 * @example
 * ```ts
 * schemaForEvent('list.category.created').kind // 'list'
 * schemaForEvent('acme.exploded').kind          // 'unknown'
 * ```
 */
export function schemaForEvent(name: string): { kind: SuperOfficeEventKind; schema: z.ZodType } {
  const known = Object.hasOwn(superOfficeEventSchemas, name)
    ? superOfficeEventSchemas[name as SuperOfficeEventName]
    : undefined
  if (known) return { kind: 'known', schema: known }
  if (listEventPattern.test(name)) return { kind: 'list', schema: superOfficeListEventSchema }
  if (extraTableEventPattern.test(name)) return { kind: 'extra-table', schema: superOfficeExtraTableEventSchema }
  if (webhookStateEventPattern.test(name)) return { kind: 'webhook-state', schema: superOfficeWebhookStateEventSchema }
  return { kind: 'unknown', schema: superOfficeUnknownEventSchema }
}

/**
 * Whether a name is one of the documented events.
 *
 * @example
 * ```ts
 * isSuperOfficeEventName('sale.sold') // true
 * ```
 */
export function isSuperOfficeEventName(name: string): name is SuperOfficeEventName {
  return Object.hasOwn(superOfficeEventSchemas, name)
}
