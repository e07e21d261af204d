import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import type { SuperOfficeInboxJob } from '@superoffice-webhooks/core'
import type { BullMQInbox } from './types.js'

/**
 * Options of {@link superOfficeInboxBoard}.
 *
 * @example
 * ```ts
 * const options: SuperOfficeInboxBoardOptions = { actions: true, displayName: 'SuperOffice inbox' }
 * ```
 */
export interface SuperOfficeInboxBoardOptions {
  /**
   * Let the page change the queue: retry failed jobs (and, with it, bull-board's other actions:
   * clean, promote, remove). Default `false`: the page only shows.
   */
  actions?: boolean
  /** The queue's name on the page. Default `SuperOffice inbox`. */
  displayName?: string
}

/** What the page shows of a job: what the event is, never a header value (none is stored) or secret. */
function shown(data: SuperOfficeInboxJob | undefined) {
  if (!data || typeof data !== 'object') return data
  let body: unknown = data.body
  try {
    body = JSON.parse(data.body)
  } catch {}
  return {
    event: data.event,
    tenant: data.tenant,
    entity: data.entity,
    primaryKey: data.primaryKey,
    eventId: data.eventId,
    receivedAt: data.receivedAt,
    ...(data.retry !== undefined ? { superOfficeRetry: data.retry } : {}),
    ...(data.coalesced ? { coalesced: data.coalesced } : {}),
    ...(data.replay ? { replay: data.replay } : {}),
    body,
  }
}

/**
 * The inbox as a queue of bull-board (the queue dashboard BullMQ users know), for
 * `createBullBoard({ queues: [superOfficeInboxBoard(inbox)], serverAdapter })`: jobs are named
 * after their event (`sale.sold Cust12345 #12 · 88f9…`), their data shows the event and its body,
 * and the page is read-only unless `actions` is set. Mount it behind your app's own auth: it shows
 * your customers' data.
 *
 * @example
 * ```ts
 * import { createBullBoard } from '@bull-board/api'
 * import { KoaAdapter } from '@bull-board/koa'
 * import { superOfficeInboxBoard } from '@superoffice-webhooks/bullmq/board'
 *
 * await inbox.ready()
 * const board = new KoaAdapter().setBasePath('/admin/inbox')
 * createBullBoard({ queues: [superOfficeInboxBoard(inbox, { actions: true })], serverAdapter: board })
 * app.use(requireAdmin) // your auth, before the page
 * app.use(board.registerPlugin())
 * ```
 */
export function superOfficeInboxBoard(inbox: BullMQInbox, options: SuperOfficeInboxBoardOptions = {}): BullMQAdapter {
  const queue = inbox.queue
  if (!queue) {
    throw new TypeError('superOfficeInboxBoard: the inbox is not open yet; await inbox.ready() first (PostgreSQL).')
  }
  const actions = options.actions === true
  const adapter = new BullMQAdapter(queue as never, {
    readOnlyMode: !actions,
    allowRetries: actions,
    displayName: options.displayName ?? 'SuperOffice inbox',
    description: 'Verified SuperOffice webhook events, answered 200 and handled by the workers',
  })
  adapter.setFormatter('name', (job: { name?: string; data?: SuperOfficeInboxJob }) => {
    const data = job.data
    if (!data || typeof data !== 'object') return job.name ?? ''
    const key = data.primaryKey === undefined ? '' : ` #${data.primaryKey}`
    const merged = data.coalesced && data.coalesced.count > 1 ? ` (${data.coalesced.count} merged)` : ''
    return `${data.event} ${data.tenant ?? ''}${key}${merged} · ${data.eventId ?? ''}`
  })
  adapter.setFormatter('data', (data: SuperOfficeInboxJob) => shown(data))
  return adapter
}
