import { encodeKeyPart } from './encode-key.js'
import { bodyText } from './parse.js'
import type { SuperOfficeAnyEvent, SuperOfficeEventKind } from './schemas.js'
import type { RawBody } from './signature.js'

/**
 * One verified delivery, as it is stored in a durable inbox and handed to a worker. The body is
 * kept as the exact text received, so the worker validates the same bytes the signature covered.
 *
 * @example
 * ```ts
 * const job: SuperOfficeInboxJob = { id: 'Cust1/88f9…', body, event: 'sale.sold', tenant: 'Cust1', … }
 * ```
 */
export interface SuperOfficeInboxJob {
  /**
   * A stable id from tenant and EventId, free of ':' (BullMQ refuses it in custom ids), so a
   * redelivery of the same event is dropped by the queue. `undefined` when the body has no EventId.
   */
  id: string | undefined
  /** The body as received (UTF-8 text). */
  body: string
  /** The event name. */
  event: string
  /** Which schema family the receiver validated it against. */
  kind: SuperOfficeEventKind
  /** The body's `ContextIdentifier`, trusted (the signature matched). */
  tenant: string | undefined
  /** The body's `EventId`. */
  eventId: string | undefined
  /** Index of the secret that matched, for rotation monitoring. */
  secretIndex: number | undefined
  /** `X-SuperOffice-Retry`, when SuperOffice said this delivery was a retry. */
  retry: number | undefined
  /** When the receiver took it in (ISO 8601). */
  receivedAt: string
  /** The body's `Entity` (`sale`, `y_equipment`…), for engines that group work per row. */
  entity?: string | undefined
  /** The body's `PrimaryKey`, for engines that group work per row. */
  primaryKey?: number | undefined
  /** The body's `Timestamp`, so an engine merging a row's events keeps the newest. */
  timestamp?: string | undefined
  /** The body's `Changes`, so an engine merging a row's events keeps every changed field. */
  changes?: string[] | undefined
  /** Set by an engine on the job of a paused tenant while it waits for the tenant's resume. */
  parked?: boolean | undefined
  /** Set by an engine on a job waiting for one of its tenant's slots (a cap per tenant). */
  waitingForSlot?: boolean | undefined
  /** Set by an engine: how many times the job was held back because SuperOffice throttled its tenant. */
  throttled?: number | undefined
  /**
   * Set by an engine that merged a burst of events for one row into this job (coalescing): how
   * many, and the first and last EventId. Handlers see it as `context.coalesced`.
   */
  coalesced?: SuperOfficeCoalesced
  /**
   * Set on a job an operator replayed (`inbox.replay(...)`): the stored job it repeats and when.
   * A replay is a new job, so neither the queue nor the dedupe store drops it.
   */
  replay?: SuperOfficeReplay
  /** Set on a job made by gap recovery (`reconcile`), not sent by SuperOffice: handlers see `context.reconciled`. */
  reconciled?: SuperOfficeReconciled
}

/**
 * What a coalesced job carries (several events for one row merged into one job, the last body
 * kept), and handlers see as `context.coalesced`.
 *
 * @example
 * ```ts
 * webhooks.on('contact.changed', (event, { coalesced }) => {
 *   if (coalesced) console.log(coalesced.count, 'changes since', coalesced.firstEventId)
 * })
 * ```
 */
export interface SuperOfficeCoalesced {
  /** How many events were merged (1 when none was). */
  count: number
  /** The EventId of the burst's first event. */
  firstEventId: string | undefined
  /** The EventId of the newest one: the body this job carries. */
  lastEventId: string | undefined
  /** When the first one was received (ISO 8601). */
  firstReceivedAt: string
  /**
   * The EventIds of the merged events, in the order they arrived: at most
   * {@link COALESCED_EVENT_IDS_KEPT} (`count` says how many there were in all).
   */
  eventIds?: string[] | undefined
  /**
   * Every field any merged event changed (the union of their `Changes`). The job's event carries
   * it as its `Changes`, so `changed` filters see a change that an earlier event of the burst made.
   */
  changes?: string[] | undefined
}

/** How many EventIds a merged job lists in `coalesced.eventIds`. */
export const COALESCED_EVENT_IDS_KEPT = 100

/**
 * What a replayed job carries, and handlers see as `context.replay`.
 *
 * @example
 * ```ts
 * webhooks.on('sale.sold', (event, { replay }) => {
 *   if (replay) console.log('replay of', replay.of, 'requested at', replay.at)
 * })
 * ```
 */
export interface SuperOfficeReplay {
  /** The id of the stored job this one repeats. */
  of: string
  /** When the replay was asked for (ISO 8601). */
  at: string
}

/**
 * What an event made by gap recovery carries, and handlers see as `context.reconciled`: the row
 * was found changed in SuperOffice's lists after a window in which webhooks were not delivered
 * (a webhook stopped by `TooManyErrors`, an outage longer than SuperOffice's retries). Its
 * `Changes` are unknown, so every `changed` filter lets it through; its `Timestamp` is the row's
 * last update, so `context.isNewerThan(stored)` tells whether it is news.
 *
 * @example
 * ```ts
 * webhooks.on('sale.changed', async (event, { reconciled, isNewerThan }) => {
 *   if (reconciled && !isNewerThan(await db.saleUpdatedAt(event.PrimaryKey))) return
 * })
 * ```
 */
export interface SuperOfficeReconciled {
  /** The start of the window that was recovered (ISO 8601). */
  since: string
  /** When the recovery ran (ISO 8601). */
  at: string
}

/**
 * Which attempt of a stored inbox job a worker is running, for log lines and dead letters.
 *
 * @example
 * ```ts
 * await webhooks.processJob(job.data, { id: job.id, attempt: job.attemptsMade + 1, attempts: 12 })
 * ```
 */
export interface SuperOfficeJobAttempt {
  /** The queue's id of the job. */
  id?: string | undefined
  /** This attempt, from 1. */
  attempt: number
  /** How many attempts the job has in all. */
  attempts: number
  /**
   * Fires when the worker gives this attempt up (its `handlerTimeoutMs` passed, or the worker is
   * closing): handlers see it as `context.signal`. An engine that gives up the attempt for good
   * (its time ran out) aborts it with an error named `SuperOfficeHandlerTimeout`; on the last
   * attempt the job is a dead letter then, even while its handler still hangs.
   */
  signal?: AbortSignal | undefined
  /**
   * Set by an engine that holds a job whose handler SuperOffice throttled (the error's
   * `retryAfterMs`) instead of failing it: such a failure is not the job's last, whatever
   * `attempt` says, so no dead letter is reported for it.
   */
  holdsThrottled?: boolean | undefined
}

/**
 * Runs one stored job in a worker: what an inbox's `work` calls for each job. It is the
 * receiver's own `processJob`, bound by `webhooks.start()`.
 *
 * @example
 * ```ts
 * const process: SuperOfficeJobProcessor = (job, attempt) => webhooks.processJob(job, attempt)
 * ```
 */
export type SuperOfficeJobProcessor = (job: SuperOfficeInboxJob, attempt: SuperOfficeJobAttempt) => Promise<void>

/**
 * Options for an inbox's worker, as `webhooks.start(options)` passes them on. Engines may take more.
 *
 * @example
 * ```ts
 * await webhooks.start({ concurrency: 10, handlerTimeoutMs: 60_000 })
 * ```
 */
export interface SuperOfficeWorkerOptions {
  /** Jobs run at once. */
  concurrency?: number
  /** How long one attempt's handlers may run before it is failed and retried. */
  handlerTimeoutMs?: number
  /** How long closing waits for running attempts before giving them back to the queue. */
  closeTimeoutMs?: number
}

/**
 * A running worker of an inbox.
 *
 * @example
 * ```ts
 * const worker = inbox.work?.(process)
 * await worker?.close()
 * ```
 */
export interface SuperOfficeInboxWorker {
  /** Resolves once the worker takes jobs; rejects when it cannot start (the engine refused). */
  readonly started?: Promise<void>
  /** Stops taking jobs and waits (boundedly) for the running ones. */
  close(): Promise<void>
}

/**
 * A durable store for verified deliveries (`@superoffice-webhooks/bullmq` is one): the pipeline
 * answers 200 only once `enqueue` has resolved, and 500 `inbox_unavailable` when it rejects, so
 * SuperOffice retries an event that was not stored. `work` and `close` give it a lifecycle that
 * `webhooks.start()` and `webhooks.close()` drive, so frameworks never touch the engine.
 *
 * @example
 * ```ts
 * const inbox: SuperOfficeInbox = { enqueue: async (job) => { await db.insert(job) } }
 * createSuperOfficeWebhooks({ secret, inbox })
 * ```
 */
export interface SuperOfficeInbox {
  /** Stores the job; a job whose `id` is already stored is dropped (a redelivery). */
  enqueue(job: SuperOfficeInboxJob): Promise<unknown>
  /** Starts a worker that calls `process` for each stored job, retrying those that reject. */
  work?(process: SuperOfficeJobProcessor, options?: SuperOfficeWorkerOptions): SuperOfficeInboxWorker
  /** Closes the inbox's connections (and any worker it still runs). */
  close?(): Promise<void>
}

/**
 * The inbox job id for a tenant and EventId: each part URI-encoded (so neither holds ':' or the
 * '/' separator, and a lone surrogate becomes `%uD800`) and prefixed, so it is never a plain
 * integer (BullMQ's own ids are).
 *
 * @example
 * ```ts
 * inboxJobId('Cust1', '88f91933-edce-4c1a-8ded-ade8e2f72434') // 'so/Cust1/88f91933-edce-4c1a-8ded-ade8e2f72434'
 * ```
 */
export function inboxJobId(tenant: string | undefined, eventId: string): string {
  return `so/${encodeKeyPart(tenant ?? '')}/${encodeKeyPart(eventId)}`
}

/** The job for a verified, validated event. */
export function inboxJob(
  rawBody: RawBody,
  event: SuperOfficeAnyEvent,
  kind: SuperOfficeEventKind,
  secretIndex: number | undefined,
  retry: number | undefined,
): SuperOfficeInboxJob {
  const tenant = typeof event.ContextIdentifier === 'string' ? event.ContextIdentifier : undefined
  const eventId = typeof event.EventId === 'string' && event.EventId.length > 0 ? event.EventId : undefined
  const entity = typeof event.Entity === 'string' && event.Entity !== '' ? event.Entity : undefined
  const primaryKey = typeof event.PrimaryKey === 'number' ? event.PrimaryKey : undefined
  return {
    id: eventId === undefined ? undefined : inboxJobId(tenant, eventId),
    body: bodyText(rawBody),
    event: event.Event,
    kind,
    tenant,
    eventId,
    secretIndex,
    retry,
    receivedAt: new Date().toISOString(),
    ...(entity === undefined ? {} : { entity }),
    ...(primaryKey === undefined ? {} : { primaryKey }),
    ...(typeof event.Timestamp === 'string' ? { timestamp: event.Timestamp } : {}),
    ...(Array.isArray(event.Changes)
      ? { changes: event.Changes.filter((c): c is string => typeof c === 'string') }
      : {}),
  }
}
