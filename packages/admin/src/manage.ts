import type {
  SuperOfficeWebhook,
  SuperOfficeWebhookClient,
  SuperOfficeWebhookDraft,
  SuperOfficeWebhookState,
} from './client.js'

/**
 * What {@link ensureWebhook} makes sure of.
 *
 * @example
 * ```ts
 * const spec: EnsureWebhookOptions = { name: 'crm-sync', targetUrl, events: ['sale.sold'], secret }
 * ```
 */
export interface EnsureWebhookOptions {
  /** The webhook's name: the key it is found by. */
  name: string
  targetUrl: string
  events: string[]
  secret: string
  /**
   * The secret is new (a rotation, or a first one for a webhook that may exist): update the
   * webhook even when SuperOffice does not return its stored secret to compare. Default false.
   */
  secretChanged?: boolean
  /** Custom headers sent with every delivery. */
  headers?: Record<string, string>
  /** Custom properties injected into every body. */
  properties?: Record<string, unknown>
  /** What the webhook is for, shown to the tenant's administrators in SuperOffice. */
  description?: string
  /**
   * Who SuperOffice tells when deliveries fail: `via` `'Email'` or `'InApp'`, `when`
   * `'FirstFailure'` or `'Disabling'` (stopped after nine failures), to `emails` and/or
   * `associates` (associate ids).
   */
  notify?: {
    via: 'Email' | 'InApp'
    when: 'FirstFailure' | 'Disabling'
    emails?: string[]
    associates?: number[]
  }
}

/**
 * What {@link ensureWebhook} did.
 *
 * @example
 * ```ts
 * const { action, webhook } = await ensureWebhook(client, spec) // action: 'created' | 'updated' | 'unchanged'
 * ```
 */
export interface EnsureWebhookResult {
  action: 'created' | 'updated' | 'unchanged'
  webhook: SuperOfficeWebhook
}

const sameSet = (a: readonly string[] | null | undefined, b: readonly string[]) =>
  (a ?? []).length === b.length && [...(a ?? [])].sort().join('\n') === [...b].sort().join('\n')
const asList = (value: string | string[] | null | undefined) =>
  Array.isArray(value) ? value : value ? value.split(/[;,]\s*/) : []
const sameRecord = (a: Record<string, unknown> | null | undefined, b: Record<string, unknown> | undefined) =>
  JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b ?? {}).sort())

/**
 * Creates the webhook named `name`, or updates it when its target, events, secret, headers or
 * properties differ, or when it is not `Active`; leaves it alone otherwise. Idempotent: for
 * deployment scripts and app start-up. Saving makes SuperOffice post a signed `test` event to the
 * target, so the receiver must be up (and accept the secret) first.
 *
 * @example
 * ```ts
 * import { createSuperOfficeWebhookClient, ensureWebhook } from '@superoffice-webhooks/admin'
 *
 * await ensureWebhook(client, {
 *   name: 'crm-sync',
 *   targetUrl: 'https://crm-sync.example.com/webhooks/superoffice',
 *   events: ['sale.sold', 'contact.changed'],
 *   secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!,
 * })
 * ```
 */
export async function ensureWebhook(
  client: SuperOfficeWebhookClient,
  options: EnsureWebhookOptions,
): Promise<EnsureWebhookResult> {
  const wanted: SuperOfficeWebhookDraft = {
    Name: options.name,
    TargetUrl: options.targetUrl,
    Events: options.events,
    Secret: options.secret,
    State: 'Active',
    Type: 'webhook',
    ...(options.headers ? { Headers: options.headers } : {}),
    ...(options.properties ? { Properties: options.properties } : {}),
    ...(options.description !== undefined ? { Description: options.description } : {}),
    ...(options.notify
      ? {
          NotifyVia: options.notify.via,
          NotifyWhen: options.notify.when,
          ErrorEmails: options.notify.emails ?? [],
          ErrorAssociates: (options.notify.associates ?? []).map((Id) => ({ Id })),
        }
      : {}),
  }
  // nameFilter narrows on SuperOffice's side; the exact match is checked here.
  const existing = (await client.list({ nameFilter: options.name })).find((w) => w.Name === options.name)
  if (!existing) return { action: 'created', webhook: await client.create(wanted) }
  const unchanged =
    existing.TargetUrl === options.targetUrl &&
    sameSet(existing.Events, options.events) &&
    (existing.Secret === undefined ? options.secretChanged !== true : existing.Secret === options.secret) &&
    existing.State === 'Active' &&
    (options.headers === undefined || sameRecord(existing.Headers, options.headers)) &&
    (options.properties === undefined || sameRecord(existing.Properties, options.properties)) &&
    (options.description === undefined || existing.Description === options.description) &&
    (options.notify === undefined ||
      (existing.NotifyVia === options.notify.via &&
        existing.NotifyWhen === options.notify.when &&
        sameSet(asList(existing.ErrorEmails), options.notify.emails ?? []) &&
        sameSet(
          (existing.ErrorAssociates ?? []).map((a) => String((a as { Id?: unknown } | null)?.Id)),
          (options.notify.associates ?? []).map(String),
        )))
  if (unchanged) return { action: 'unchanged', webhook: existing }
  return { action: 'updated', webhook: await client.update(existing.WebhookId, { ...existing, ...wanted }) }
}

/**
 * A change the watchdog noticed.
 *
 * @example
 * ```ts
 * watchWebhooks(client, { onStateChange: (c) => alert(`${c.webhook.Name}: ${c.state} (${c.lastError})`) })
 * ```
 */
export interface WebhookStateChange {
  webhook: SuperOfficeWebhook
  /** The state at the previous check (`undefined` on the first). */
  previous: SuperOfficeWebhookState | undefined
  state: SuperOfficeWebhookState
  /** `ConsecutiveErrors` when SuperOffice reports it. */
  consecutiveErrors: number | undefined
  /** What SuperOffice recorded of the last failure ('' when none). */
  lastError: string
  /** Why it is reported: the state changed, or consecutive errors are rising. */
  reason: 'state' | 'errors'
  /** Set when the watchdog set the webhook back to `Active`. */
  restarted?: boolean
}

/**
 * Options of {@link watchWebhooks}.
 *
 * @example
 * ```ts
 * const options: WatchWebhooksOptions = { intervalMs: 60_000, restart: true, filter: { nameFilter: 'crm-sync' } }
 * ```
 */
export interface WatchWebhooksOptions {
  /** How often to look. Default 60 s. */
  intervalMs?: number
  /** Set webhooks in `TooManyErrors` back to `Active`. Default false (report only). */
  restart?: boolean
  /** Which webhooks to watch. Default all. */
  filter?: { nameFilter?: string; eventFilter?: string }
  /**
   * Also watch CRMScript webhooks (`Type: 'crmscript'`, run inside SuperOffice, not posted to a
   * receiver). Default false: only HTTP webhooks, which this toolkit's receivers answer.
   */
  includeCrmScripts?: boolean
  /** Told about every change (and whether it was restarted). */
  onStateChange?: (change: WebhookStateChange) => unknown
  /**
   * Told when a check fails (SuperOffice unreachable, a 5xx after the client's own retries…), with
   * how many checks in a row failed and when the next one runs. The watchdog keeps going.
   */
  onError?: (error: unknown, info: { failures: number; nextCheckInMs: number }) => unknown
  /**
   * The longest wait between checks while they keep failing: after each failure the next check
   * waits twice as long as the last (from a fifth of the interval), up to this. Default 15 minutes,
   * or the interval when that is longer.
   */
  maxBackoffMs?: number
  /** Stops the watchdog when aborted (as `stop()` does). */
  signal?: AbortSignal
}

/**
 * A running watchdog: the first check runs at once, then one every interval, until `stop()`. It
 * holds the process open, as a service does, so `watchWebhooks(...)` alone is a whole script.
 *
 * @example
 * ```ts
 * const watchdog = watchWebhooks(client, { restart: true })
 * process.once('SIGTERM', () => watchdog.stop())
 * await watchdog.done
 * ```
 */
export interface WebhookWatchdog {
  /** Runs one check now and resolves with what it reported. */
  check(): Promise<WebhookStateChange[]>
  /** Stops: no further check starts, and the process is no longer held open. */
  stop(): void
  /**
   * Resolves once stopped (by `stop()` or the signal) and the check that was running, if any, has
   * settled: after it, no call of the watchdog is in flight or scheduled.
   */
  readonly done: Promise<void>
}

/**
 * Watches webhooks like a service: checks at once and then every `intervalMs`, tells
 * `onStateChange` when a webhook leaves `Active` or its consecutive errors rise, and with
 * `restart: true` sets webhooks stopped by `TooManyErrors` back to `Active`. A failed check (the
 * API down, a 5xx) is reported to `onError` and retried with backoff; the watchdog never stops
 * on its own.
 *
 * @example
 * ```ts
 * import { createSuperOfficeWebhookClient, watchWebhooks } from '@superoffice-webhooks/admin'
 *
 * const client = createSuperOfficeWebhookClient({ baseUrl, accessToken })
 * const watchdog = watchWebhooks(client, {
 *   restart: true,
 *   onStateChange: (c) => console.log(c.webhook.Name, c.previous, '->', c.state, c.restarted ? '(restarted)' : ''),
 *   onError: (error, { nextCheckInMs }) => console.warn('check failed; next in', nextCheckInMs, 'ms', error),
 * })
 * process.once('SIGTERM', () => watchdog.stop())
 * ```
 */
export function watchWebhooks(client: SuperOfficeWebhookClient, options: WatchWebhooksOptions = {}): WebhookWatchdog {
  const intervalMs = options.intervalMs ?? 60_000
  if (!(intervalMs > 0)) throw new RangeError('intervalMs must be a positive number.')
  const maxBackoffMs = Math.max(options.maxBackoffMs ?? 15 * 60_000, intervalMs)
  const seen = new Map<number, { state: SuperOfficeWebhookState; errors: number | undefined }>()
  let running: Promise<WebhookStateChange[]> | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  let failures = 0
  let finish: () => void = () => {}
  const done = new Promise<void>((resolve) => {
    finish = resolve
  })

  const checkOnce = async (scheduled: boolean): Promise<WebhookStateChange[]> => {
    const changes: WebhookStateChange[] = []
    for (const webhook of await client.list(options.filter ?? {})) {
      // Stopped halfway through a scheduled check: no further call starts. (A check() the caller
      // asked for runs to its end.)
      if (stopped && scheduled) break
      if (!options.includeCrmScripts && webhook.Type?.toLowerCase() === 'crmscript') continue
      const before = seen.get(webhook.WebhookId)
      const errors = webhook.ConsecutiveErrors ?? undefined
      const stateChanged = before?.state !== webhook.State && (before !== undefined || webhook.State !== 'Active')
      const errorsRising = errors !== undefined && errors > 0 && errors > (before?.errors ?? 0)
      seen.set(webhook.WebhookId, { state: webhook.State, errors })
      if (!stateChanged && !errorsRising) continue
      const change: WebhookStateChange = {
        webhook,
        previous: before?.state,
        state: webhook.State,
        consecutiveErrors: errors,
        lastError: webhook.State === 'Active' && !errorsRising ? '' : await client.lastError(webhook.WebhookId),
        reason: stateChanged ? 'state' : 'errors',
      }
      if (options.restart && webhook.State === 'TooManyErrors') {
        const restarted = await client.restart(webhook.WebhookId)
        change.restarted = true
        seen.set(webhook.WebhookId, { state: restarted.State, errors: restarted.ConsecutiveErrors ?? undefined })
      }
      changes.push(change)
      await options.onStateChange?.(change)
    }
    return changes
  }

  const check = (scheduled = false) => {
    // One check at a time: a slow SuperOffice must not stack them up.
    running ??= checkOnce(scheduled).finally(() => {
      running = undefined
    })
    return running
  }

  const tick = async () => {
    timer = undefined
    let delay = intervalMs
    try {
      await check(true)
      failures = 0
    } catch (error) {
      // A check cut short by stopping is not a failure to report.
      if (stopped) return
      failures++
      delay = Math.min(maxBackoffMs, Math.max(1000, intervalMs / 5) * 2 ** (failures - 1))
      try {
        await options.onError?.(error, { failures, nextCheckInMs: delay })
      } catch {}
    }
    // A ref'd timer: the process stays up between checks, as a service's should.
    if (!stopped) timer = setTimeout(tick, delay)
  }

  const stop = () => {
    if (stopped) return
    stopped = true
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    options.signal?.removeEventListener('abort', stop)
    // `done` means nothing is in flight or scheduled: a check already running is waited for (give
    // the client the same signal to cut its calls short).
    const inFlight = running
    if (inFlight) void inFlight.then(finish, finish)
    else finish()
  }
  if (options.signal?.aborted) stop()
  else {
    options.signal?.addEventListener('abort', stop, { once: true })
    timer = setTimeout(tick, 0)
  }
  return { check: () => check(), stop, done }
}
