import { randomBytes } from 'node:crypto'
import { type ReconcileOptions, type ReconcileResult, reconcile, type SuperOfficeApi } from '@superoffice-webhooks/api'
import type { SuperOfficeSecretStore } from '@superoffice-webhooks/core'
import { createSuperOfficeWebhookClient, type SuperOfficeWebhook } from './client.js'
import { type EnsureWebhookOptions, ensureWebhook } from './manage.js'

/** A list of tenants, or a function giving the current list (asked again each time it is needed). */
export type SuperOfficeTenantList = readonly string[] | (() => readonly string[] | Promise<readonly string[]>)

/**
 * Options of {@link ensureTenantWebhooks}: the webhook every tenant gets, and where its secrets go.
 *
 * @example
 * ```ts
 * const options: EnsureTenantWebhooksOptions = {
 *   api, secrets, tenants: () => secrets.tenants(),
 *   name: 'crm-sync', targetUrl: 'https://crm-sync.example.com/webhooks/superoffice', events: ['sale.sold'],
 * }
 * ```
 */
export interface EnsureTenantWebhooksOptions extends Omit<EnsureWebhookOptions, 'secret' | 'secretChanged'> {
  /** `createSuperOfficeApi(...)` with the app's credentials (system user per tenant). */
  api: Pick<SuperOfficeApi, 'request'>
  /** The tenants (ContextIdentifiers) that installed the app. */
  tenants: SuperOfficeTenantList
  /** Where each tenant's secret is kept; the receiver reads it with `secretsFromStore(secrets)`. */
  secrets: SuperOfficeSecretStore
  /** Give every tenant a new secret (the previous one stays accepted beside it). Default false. */
  rotate?: boolean
  /** Tenants handled at once. Default 4. */
  concurrency?: number
  /** Stops starting tenants when aborted; those under way are cut short. */
  signal?: AbortSignal
  /** Told each tenant's result as it comes (a progress bar, a log line). */
  onResult?: (result: TenantWebhookResult, progress: { done: number; total: number }) => unknown
}

/**
 * What {@link ensureTenantWebhooks} did for one tenant.
 *
 * @example
 * ```ts
 * const failed = results.filter((r) => r.action === 'failed') // each with its reason
 * ```
 */
export type TenantWebhookResult =
  | {
      tenant: string
      action: 'created' | 'updated' | 'unchanged'
      webhookId: number
      /** A new secret was made for the tenant (its first, or a rotation). */
      newSecret: boolean
    }
  | {
      tenant: string
      action: 'failed'
      /** Why, as SuperOffice or the network said (never a secret or a token). */
      reason: string
      /** SuperOffice's HTTP status, when it answered. */
      status: number | undefined
    }

/**
 * Makes sure every tenant has the app's webhook, each with its own secret: the secret is made
 * (32 random bytes) and saved in `secrets` before the webhook is saved, because SuperOffice posts
 * a signed `test` event to the target while saving, and the receiver must know the secret by then.
 * A tenant that already has a secret keeps it unless `rotate`; a rotated tenant keeps its previous
 * secret beside the new one, so deliveries already signed with it are still accepted. One failing
 * tenant (suspended, its API down) is reported and the others are still done. Idempotent: run it
 * at start, on each consent, or from the CLI.
 *
 * @example
 * ```ts
 * import { ensureTenantWebhooks } from '@superoffice-webhooks/admin'
 * import { createRedisSecretStore } from '@superoffice-webhooks/redis'
 *
 * const secrets = createRedisSecretStore(redis)
 * const results = await ensureTenantWebhooks({
 *   api, secrets, tenants: ['Cust12345', 'Cust67890'],
 *   name: 'crm-sync', targetUrl: 'https://crm-sync.example.com/webhooks/superoffice',
 *   events: ['sale.sold', 'contact.changed'],
 * })
 * for (const r of results) if (r.action === 'failed') console.warn(r.tenant, r.reason)
 * ```
 */
export async function ensureTenantWebhooks(options: EnsureTenantWebhooksOptions): Promise<TenantWebhookResult[]> {
  const { api, tenants, secrets, rotate, concurrency = 4, signal, onResult, ...spec } = options
  if (!(Number.isInteger(concurrency) && concurrency > 0)) {
    throw new RangeError('ensureTenantWebhooks: concurrency must be a whole number of at least 1.')
  }
  const list = [...new Set(typeof tenants === 'function' ? await tenants() : tenants)]
  const results: TenantWebhookResult[] = []
  let next = 0

  const one = async (tenant: string): Promise<TenantWebhookResult> => {
    let stored: string[] = []
    let newSecret = false
    try {
      stored = await secrets.get(tenant)
      let secret = stored[0]
      if (secret === undefined || rotate) {
        secret = randomBytes(32).toString('base64url')
        newSecret = true
        await secrets.set(tenant, [secret, ...stored].slice(0, 2))
      }
      const client = createSuperOfficeWebhookClient({ api, tenant, ...(signal ? { signal } : {}) })
      const { action, webhook } = await ensureWebhook(client, { ...spec, secret, secretChanged: newSecret })
      return { tenant, action, webhookId: webhook.WebhookId, newSecret }
    } catch (error) {
      // A rotation that did not reach SuperOffice: the webhook still signs with the old secret,
      // which must stay the one kept (the next rotation would otherwise drop it).
      if (newSecret && stored.length > 0) await secrets.set(tenant, stored).catch(() => {})
      return { tenant, action: 'failed', reason: reasonOf(error), status: statusOf(error) }
    }
  }

  await Promise.all(
    Array.from({ length: Math.min(concurrency, list.length) }, async () => {
      while (next < list.length && !signal?.aborted) {
        const tenant = list[next++] as string
        const result = await one(tenant)
        results.push(result)
        try {
          await onResult?.(result, { done: results.length, total: list.length })
        } catch {}
      }
    }),
  )
  return results
}

/**
 * What {@link removeTenantWebhooks} removed.
 *
 * @example
 * ```ts
 * const { removed } = await removeTenantWebhooks({ api, tenant: 'Cust12345', name: 'crm-sync', secrets })
 * ```
 */
export interface RemoveTenantWebhooksResult {
  /** The webhooks deleted (by id). */
  removed: number[]
}

/**
 * Removes the app's webhook from a tenant (the app was uninstalled) and forgets the tenant's
 * secret, so nothing signed with it is accepted any more. Webhooks of other names are left alone.
 *
 * @example
 * ```ts
 * await removeTenantWebhooks({ api, tenant: 'Cust12345', name: 'crm-sync', secrets })
 * ```
 */
export async function removeTenantWebhooks(options: {
  api: Pick<SuperOfficeApi, 'request'>
  tenant: string
  /** The app's webhook name, as given to {@link ensureTenantWebhooks}. */
  name: string
  /** Forget the tenant's secrets here too. */
  secrets?: SuperOfficeSecretStore
  signal?: AbortSignal
}): Promise<RemoveTenantWebhooksResult> {
  const client = createSuperOfficeWebhookClient({
    api: options.api,
    tenant: options.tenant,
    ...(options.signal ? { signal: options.signal } : {}),
  })
  const removed: number[] = []
  for (const webhook of await client.list({ nameFilter: options.name })) {
    if (webhook.Name !== options.name) continue
    await client.delete(webhook.WebhookId)
    removed.push(webhook.WebhookId)
  }
  await options.secrets?.delete(options.tenant)
  return { removed }
}

/**
 * A webhook the fleet watchdog found stopped by `TooManyErrors`, and what it did.
 *
 * @example
 * ```ts
 * onRestart: (r) => reconcileLater(r.tenant, r.down.from, r.down.to)
 * ```
 */
export interface TenantWebhookRestart {
  tenant: string
  webhook: SuperOfficeWebhook
  /** What SuperOffice recorded of the last failure. */
  lastError: string
  /** Whether it was set back to `Active` (false with `restart: false`). */
  restarted: boolean
  /**
   * The window in which events were not delivered: from the last check that found the tenant's
   * webhooks running (or, on the first check, the webhook's own `Updated` time, when SuperOffice
   * gives one) to now. SuperOffice does not send the events of this window again.
   */
  down: { from: Date | undefined; to: Date }
  /**
   * With the watchdog's `reconcile` option: what gap recovery put into the pipeline for the window,
   * or why it did not run (no start of the window known, or it failed).
   */
  reconciled?: ReconcileResult | { error: string }
}

/**
 * Options of {@link watchTenantWebhooks}.
 *
 * @example
 * ```ts
 * const options: WatchTenantWebhooksOptions = { api, tenants: () => secrets.tenants(), name: 'crm-sync', intervalMs: 300_000 }
 * ```
 */
export interface WatchTenantWebhooksOptions {
  api: Pick<SuperOfficeApi, 'request'>
  /** The tenants to watch, asked again every round (new tenants join, removed ones leave). */
  tenants: SuperOfficeTenantList
  /** Only webhooks of this name (the app's own). Default every HTTP webhook of the tenant. */
  name?: string
  /** How long one round over all tenants takes: their checks are spread over it. Default 5 minutes. */
  intervalMs?: number
  /** Set stopped webhooks back to `Active`. Default true. */
  restart?: boolean
  /** Told about every webhook found in `TooManyErrors`, with the window it was down. */
  onRestart?: (restart: TenantWebhookRestart) => unknown
  /**
   * Recover the events of the window a webhook was down (opt-in): after a restart, `reconcile`
   * puts the rows changed meanwhile into this receiver's pipeline (see `reconcile` in
   * `@superoffice-webhooks/api`), and `onRestart` is told what it did.
   */
  reconcile?: Pick<ReconcileOptions, 'webhooks' | 'entities' | 'pageSize'>
  /** Told when one tenant's check fails; the watchdog goes on with the others. */
  onError?: (error: unknown, info: { tenant: string }) => unknown
  /** Stops the watchdog when aborted (as `stop()` does). */
  signal?: AbortSignal
}

/**
 * The running fleet watchdog.
 *
 * @example
 * ```ts
 * const watchdog = watchTenantWebhooks({ api, tenants: () => secrets.tenants(), name: 'crm-sync' })
 * process.once('SIGTERM', () => watchdog.stop())
 * await watchdog.done
 * ```
 */
export interface TenantWebhookWatchdog {
  /** Runs one round over every tenant now (not spread) and resolves with what it found. */
  check(): Promise<TenantWebhookRestart[]>
  /** Stops: no further check starts. */
  stop(): void
  /** Resolves once stopped and the check in flight, if any, has settled. */
  readonly done: Promise<void>
  /** Rounds completed so far. */
  readonly rounds: number
}

/**
 * One watchdog for every tenant's webhook: each round asks the tenant list again, checks each
 * tenant once (one `GET /Webhook?statusFilter=TooManyErrors` call, more only for a stopped
 * webhook), spread evenly over `intervalMs` so 1,000 tenants do not all call at once, and sets
 * webhooks stopped by `TooManyErrors` back to `Active`, telling `onRestart` the window they were
 * down (what `reconcile` can fetch again). A tenant whose check fails is reported to `onError`;
 * the others go on, and so does the watchdog, round after round.
 *
 * @example
 * ```ts
 * import { watchTenantWebhooks } from '@superoffice-webhooks/admin'
 *
 * const watchdog = watchTenantWebhooks({
 *   api, name: 'crm-sync', tenants: () => secrets.tenants(),
 *   onRestart: (r) => console.warn(`${r.tenant}: ${r.webhook.Name} was stopped (${r.lastError}); restarted`),
 *   onError: (error, { tenant }) => console.warn(`${tenant}: check failed`, error),
 * })
 * process.once('SIGTERM', () => watchdog.stop())
 * ```
 */
export function watchTenantWebhooks(options: WatchTenantWebhooksOptions): TenantWebhookWatchdog {
  const intervalMs = options.intervalMs ?? 5 * 60_000
  if (!(intervalMs > 0)) throw new RangeError('intervalMs must be a positive number.')
  const restart = options.restart !== false
  const fineAt = new Map<string, Date>()
  let stopped = false
  let rounds = 0
  let running: Promise<unknown> | undefined
  let wake: (() => void) | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  const abort = new AbortController()

  /** Waits `ms`, or less when stopped. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve
      timer = setTimeout(resolve, ms)
    }).finally(() => {
      clearTimeout(timer)
      wake = undefined
    })

  const checkTenant = async (tenant: string): Promise<TenantWebhookRestart[]> => {
    const client = createSuperOfficeWebhookClient({ api: options.api, tenant, signal: abort.signal })
    const now = new Date()
    const found: TenantWebhookRestart[] = []
    const stoppedHooks = await client.list({
      statusFilter: 'TooManyErrors',
      ...(options.name ? { nameFilter: options.name } : {}),
    })
    for (const webhook of stoppedHooks) {
      if (webhook.State !== 'TooManyErrors') continue
      if (options.name !== undefined && webhook.Name !== options.name) continue
      if (webhook.Type?.toLowerCase() === 'crmscript') continue
      const lastError = await client.lastError(webhook.WebhookId)
      if (restart) await client.restart(webhook.WebhookId)
      const updated = webhook.Updated ? new Date(webhook.Updated) : undefined
      const from = fineAt.get(tenant) ?? (updated && !Number.isNaN(updated.getTime()) ? updated : undefined)
      const report: TenantWebhookRestart = { tenant, webhook, lastError, restarted: restart, down: { from, to: now } }
      if (options.reconcile && restart) {
        report.reconciled =
          from === undefined
            ? { error: 'the start of the window is unknown (first check, and SuperOffice gave no Updated time)' }
            : await reconcile({
                api: options.api,
                tenant,
                since: from,
                until: now,
                signal: abort.signal,
                ...options.reconcile,
              }).catch((error: unknown) => ({ error: reasonOf(error) }))
      }
      found.push(report)
      try {
        await options.onRestart?.(report)
      } catch {}
    }
    // Running now (or just restarted): a later stop was after this moment.
    fineAt.set(tenant, now)
    return found
  }

  const round = async (spread: boolean): Promise<TenantWebhookRestart[]> => {
    const list = [...new Set(typeof options.tenants === 'function' ? await options.tenants() : options.tenants)]
    for (const tenant of fineAt.keys()) if (!list.includes(tenant)) fineAt.delete(tenant)
    const found: TenantWebhookRestart[] = []
    const started = Date.now()
    for (let i = 0; i < list.length; i++) {
      if (stopped && spread) break
      if (spread) {
        const due = started + Math.floor((i * intervalMs) / list.length)
        if (due > Date.now()) await pause(due - Date.now())
        if (stopped) break
      }
      const tenant = list[i] as string
      try {
        found.push(...(await checkTenant(tenant)))
      } catch (error) {
        if (stopped) break
        try {
          await options.onError?.(error, { tenant })
        } catch {}
      }
    }
    return found
  }

  const loop = async () => {
    while (!stopped) {
      const started = Date.now()
      try {
        const current = round(true)
        running = current
        await current
      } catch (error) {
        // The tenant list itself failed: told as a failure of no tenant, tried again next round.
        try {
          await options.onError?.(error, { tenant: '' })
        } catch {}
      } finally {
        running = undefined
      }
      if (stopped) break
      rounds++
      const rest = intervalMs - (Date.now() - started)
      if (rest > 0) await pause(rest)
    }
  }

  let finish: () => void = () => {}
  const done = new Promise<void>((resolve) => {
    finish = resolve
  })
  const stop = () => {
    if (stopped) return
    stopped = true
    abort.abort(new Error('The watchdog was stopped.'))
    options.signal?.removeEventListener('abort', stop)
    wake?.()
  }
  if (options.signal?.aborted) stop()
  else options.signal?.addEventListener('abort', stop, { once: true })
  void loop().then(
    async () => {
      await running?.catch(() => {})
      finish()
    },
    () => finish(),
  )

  return {
    check: () => round(false),
    stop,
    done,
    get rounds() {
      return rounds
    },
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status
  return typeof status === 'number' && status > 0 ? status : undefined
}
