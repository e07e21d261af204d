import * as z from 'zod'
import {
  activityFieldValues,
  associateFieldValues,
  chatSessionFieldValues,
  contactFieldValues,
  deletedValues,
  documentFieldValues,
  personFieldValues,
  projectFieldValues,
  projectMemberFieldValues,
  relationFieldValues,
  saleFieldValues,
  saleStakeholderFieldValues,
  ticketFieldValues,
} from './field-values.js'

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
 * match in tolerant mode), narrowed to a name pattern when one is known. Since the body is only
 * known to be signed by SuperOffice, every field but `Event` may be missing or odd.
 *
 * @example
 * ```ts
 * webhooks.onAny((event) => {
 *   if (event.EventId === undefined) console.warn('an event without EventId', event.Event)
 * })
 * ```
 */
export interface SuperOfficeUnknownEvent<N extends string = string> {
  /** Absent only on a tolerated body that lacks it (such a body is not deduplicated). */
  EventId?: string | undefined
  Timestamp?: string | undefined
  Event: N
  PrimaryKey?: number | undefined
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
