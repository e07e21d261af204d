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

export const activityFieldValues = z.looseObject({
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

export const associateFieldValues = z.looseObject({
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

export const contactFieldValues = z.looseObject({
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

export const documentFieldValues = z.looseObject({
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

export const personFieldValues = z.looseObject({
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

export const projectFieldValues = z.looseObject({
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

export const projectMemberFieldValues = z.looseObject({
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

export const relationFieldValues = z.looseObject({
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

export const saleFieldValues = z.looseObject({
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

export const saleStakeholderFieldValues = z.looseObject({
  ...fields(
    ['contact_id', 'person_id', 'registered_associate_id', 'sale_id', 'stakeholderrole_id', 'updated_associate_id'],
    id,
  ),
  ...fields(['registered', 'updated'], netDate),
})

export const ticketFieldValues = z.looseObject({
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
export const chatSessionFieldValues = z.looseObject({
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
export const deletedValues = z.record(z.string(), z.number())
