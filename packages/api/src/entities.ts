import type {
  AppointmentEntity,
  ChatSessionEntity,
  ContactEntity,
  CustomObjectEntity,
  DocumentEntity,
  PersonEntity,
  ProjectEntity,
  ProjectMemberEntity,
  SaleEntity,
  SaleStakeholderEntity,
  TicketEntity,
} from './generated/entities.js'

declare module '@superoffice-webhooks/core' {
  /** The carriers `fetchEntity` returns, by the entity part of the event name. */
  interface SuperOfficeEntities {
    sale: SaleEntity
    contact: ContactEntity
    person: PersonEntity
    project: ProjectEntity
    ticket: TicketEntity
    activity: AppointmentEntity | DocumentEntity
    document: DocumentEntity
    chatsession: ChatSessionEntity
    projectmember: ProjectMemberEntity
    salestakeholder: SaleStakeholderEntity
    customobject: CustomObjectEntity
  }
}

/** What an event's entity is fetched from. */
export interface EntityRoute {
  /** Under `/api/v1`: `/Sale/12`. */
  path: string
  /** The carrier's kind, for error messages: `Sale`. */
  resource: string
}

const SIMPLE: Record<string, string> = {
  sale: 'Sale',
  contact: 'Contact',
  person: 'Person',
  project: 'Project',
  ticket: 'Ticket',
  document: 'Document',
  chatsession: 'ChatSession',
  projectmember: 'ProjectMember',
  salestakeholder: 'SaleStakeholder',
}

/** The fields of an event that choose the route; any webhook event has them. */
export interface EntityEventLike {
  Event: string
  PrimaryKey?: number | undefined
  Entity?: string | undefined
  FieldValues?: Record<string, unknown> | undefined
}

/**
 * The GET behind an event, or `undefined` for events with no entity to fetch (tests, webhook
 * state, lists, associates, relations, quotes and other custom events).
 */
export function entityRoute(event: EntityEventLike): EntityRoute | undefined {
  const key = event.PrimaryKey
  if (typeof key !== 'number' || !Number.isSafeInteger(key) || key <= 0) return undefined
  const dot = event.Event.indexOf('.')
  const prefix = dot > 0 ? event.Event.slice(0, dot).toLowerCase() : ''
  const simple = SIMPLE[prefix]
  if (simple) return { path: `/${simple}/${key}`, resource: simple }
  if (prefix === 'activity') {
    // An activity is an appointment row (PrimaryKey is its appointment_id); a document's row
    // carries its document_id, and the carrier is then the Document. Without one it is the
    // Appointment, which links to its document itself.
    const documentId = Number(event.FieldValues?.document_id)
    if (Number.isSafeInteger(documentId) && documentId > 0)
      return { path: `/Document/${documentId}`, resource: 'Document' }
    return { path: `/Appointment/${key}`, resource: 'Appointment' }
  }
  // Extra tables (`y_equipment.changed`): the table is the custom object definition.
  const table = typeof event.Entity === 'string' && event.Entity ? event.Entity : prefix
  if (/^y_[a-z0-9_]+$/i.test(table)) {
    return { path: `/CustomObject/${encodeURIComponent(table)}/${key}`, resource: 'CustomObject' }
  }
  return undefined
}
