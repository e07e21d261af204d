import { createHash } from 'node:crypto'
import type { SuperOfficeReconciled, SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import type { SuperOfficeApi } from './api.js'

/**
 * One kind of row to recover: its entity name (as in webhook events: `sale`, `contact`,
 * `y_equipment`) and, where SuperOffice's list differs from the usual, its resource and columns.
 *
 * @example
 * ```ts
 * const equipment: SuperOfficeReconcileEntity = { entity: 'y_equipment', resource: 'CustomObject/y_equipment', idColumn: 'id' }
 * ```
 */
export interface SuperOfficeReconcileEntity {
  /** The entity as webhook events name it; the events made are `<entity>.changed`. */
  entity: string
  /** The REST resource listing it (`Sale`, `CustomObject/y_equipment`). Default the entity, capitalised. */
  resource?: string
  /** The list's id column. Default `<entity>Id` (`saleId`). */
  idColumn?: string
  /** The list's last-update column. Default `updatedDate`. */
  updatedColumn?: string
}

/**
 * Options of {@link reconcile}.
 *
 * @example
 * ```ts
 * const options: ReconcileOptions = { api, webhooks, tenant: 'Cust12345', since: down.from, until: down.to }
 * ```
 */
export interface ReconcileOptions {
  /** `createSuperOfficeApi(...)`. */
  api: Pick<SuperOfficeApi, 'request'>
  /** The receiver: each recovered row goes into its pipeline (its inbox when it has one). */
  webhooks: Pick<SuperOfficeWebhooks, 'inject'>
  tenant: string
  /** The start of the window without deliveries. */
  since: Date | string
  /** Its end. Default now. */
  until?: Date | string
  /** What to recover. Default `sale`, `contact`, `person`, `appointment`, `project`, `document`. */
  entities?: readonly (string | SuperOfficeReconcileEntity)[]
  /** Rows per list call. Default 200. */
  pageSize?: number
  /** Stops between pages and rows when aborted; what was put in stays put. */
  signal?: AbortSignal
  /** Told after each page: how far the recovery is. */
  onProgress?: (progress: { entity: string; rows: number }) => unknown
}

/**
 * What {@link reconcile} put into the pipeline, per entity.
 *
 * @example
 * ```ts
 * const { total, entities } = await reconcile(options) // entities.sale: { rows, queued, handled, duplicate }
 * ```
 */
export interface ReconcileResult {
  tenant: string
  since: string
  until: string
  entities: Record<string, { rows: number; queued: number; handled: number; duplicate: number }>
  /** Rows found, all entities. */
  total: number
}

const DEFAULT_ENTITIES = ['sale', 'contact', 'person', 'appointment', 'project', 'document']

/**
 * Gap recovery: finds the rows of a tenant changed in a window without webhook deliveries (a
 * webhook stopped by `TooManyErrors`, an outage longer than SuperOffice's few seconds of retries:
 * SuperOffice never sends those events again) through SuperOffice's list endpoints (OData
 * `$select`, `$filter` on the last-update column, `$orderBy` the id, `$top` pages that continue
 * after the last id seen), and
 * puts one `<entity>.changed` per row into the receiver's pipeline with `webhooks.inject`, marked
 * `context.reconciled`. The event's Timestamp is the row's last update and its EventId is made from
 * tenant, entity, row and that time, so running the same recovery again (after an interruption)
 * adds nothing that was already stored or handled; a row changed again since gets a new event.
 * Handlers tell a recovered event that brings nothing new with `context.isNewerThan(...)`.
 *
 * @example
 * ```ts
 * import { reconcile } from '@superoffice-webhooks/api'
 *
 * const result = await reconcile({ api, webhooks, tenant: 'Cust12345', since: '2026-12-01T08:00:00Z', entities: ['sale', 'contact'] })
 * console.log(`${result.total} rows recovered`)
 * ```
 */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileResult> {
  const since = new Date(options.since)
  const until = options.until === undefined ? new Date() : new Date(options.until)
  if (Number.isNaN(since.getTime()) || Number.isNaN(until.getTime())) {
    throw new RangeError('reconcile: since and until must be dates.')
  }
  const pageSize = options.pageSize ?? 200
  if (!(Number.isInteger(pageSize) && pageSize > 0 && pageSize <= 1000)) {
    throw new RangeError('reconcile: pageSize must be a whole number from 1 to 1000.')
  }
  const reconciled: SuperOfficeReconciled = { since: since.toISOString(), at: new Date().toISOString() }
  const result: ReconcileResult = {
    tenant: options.tenant,
    since: reconciled.since,
    until: until.toISOString(),
    entities: {},
    total: 0,
  }
  for (const item of options.entities ?? DEFAULT_ENTITIES) {
    const spec = typeof item === 'string' ? { entity: item } : item
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(spec.entity))
      throw new TypeError(`reconcile: '${spec.entity}' is not an entity name.`)
    const resource = spec.resource ?? spec.entity.charAt(0).toUpperCase() + spec.entity.slice(1)
    const idColumn = spec.idColumn ?? `${spec.entity}Id`
    const updatedColumn = spec.updatedColumn ?? 'updatedDate'
    const counts = { rows: 0, queued: 0, handled: 0, duplicate: 0 }
    result.entities[spec.entity] = counts
    // Both ends of the window count (the filter's times are whole seconds, its comparisons
    // strict): a row changed in the very second the webhook stopped, or was restarted, is recovered. Keyset paging (the id after the last one seen), not $skip: a row updated while the recovery
    // runs leaves the window, and with $skip the rows after it would shift past a page unseen.
    for (let after = 0; ; ) {
      options.signal?.throwIfAborted()
      const page = await options.api.request<{ value?: Record<string, unknown>[] }>(
        options.tenant,
        'GET',
        `/${resource}`,
        {
          query: {
            $select: `${idColumn},${updatedColumn}`,
            $filter: `${idColumn} gt ${after} and ${updatedColumn} afterTime '${odataTime(new Date(since.getTime() - 1000))}' and ${updatedColumn} beforeTime '${odataTime(new Date(until.getTime() + 1000))}'`,
            $orderBy: `${idColumn} asc`,
            $top: String(pageSize),
          },
          ...(options.signal ? { signal: options.signal } : {}),
        },
      )
      const rows = Array.isArray(page?.value) ? page.value : []
      for (const row of rows) {
        options.signal?.throwIfAborted()
        const id = Number(row[idColumn])
        const updated = new Date(String(row[updatedColumn]))
        if (!Number.isInteger(id) || id <= after) continue
        after = id
        if (Number.isNaN(updated.getTime())) continue
        const timestamp = updated.toISOString()
        const outcome = await options.webhooks.inject(
          {
            EventId: eventIdOf(options.tenant, spec.entity, id, timestamp),
            Timestamp: timestamp,
            Changes: [],
            Event: `${spec.entity}.changed`,
            PrimaryKey: id,
            Entity: spec.entity,
            ContextIdentifier: options.tenant,
            ChangedByAssociateId: 0,
            WebhookName: 'reconcile',
          },
          { reconciled },
        )
        counts.rows++
        result.total++
        counts[outcome]++
      }
      await options.onProgress?.({ entity: spec.entity, rows: counts.rows })
      if (rows.length < pageSize) break
    }
  }
  return result
}

/** A time as SuperOffice's OData filters take it (UTC, no fraction). */
function odataTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** A stable EventId (UUID-shaped) for one version of one row: the same row and time give the same id. */
function eventIdOf(tenant: string, entity: string, id: number, timestamp: string): string {
  const hex = createHash('sha256').update(`reconcile\n${tenant}\n${entity}\n${id}\n${timestamp}`).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}
