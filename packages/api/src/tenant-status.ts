import { createHash } from 'node:crypto'
import {
  createMemoryDedupeStore,
  type SuperOfficeDedupeStore,
  type SuperOfficeErrorHandler,
  type SuperOfficeReceiver,
  type SuperOfficeRequestInput,
  type SuperOfficeSecretStore,
  type SuperOfficeWebhookAnswer,
  SuperOfficeWebhookError,
  type SuperOfficeWebhookInput,
  superOfficeTenantChangeTypes,
} from '@superoffice-webhooks/core'
import { methodNotAllowed, receiveSuperOfficeRequest, toResponse } from '@superoffice-webhooks/core/adapter'
import type { JWTPayload } from 'jose'
import * as z from 'zod'
import type { SuperOfficeApi } from './api.js'
import { resolveEnvironment, type SuperOfficeEnvironment } from './environment.js'
import { type HttpLimits, limitsOf } from './http.js'
import { createJwtVerifier, KeySetUnavailableError, TENANT_CLAIM, TICKET_CLAIM } from './ticket.js'

// SuperOffice's tenant status change types live in core, shared with the Online stand-in.
export { superOfficeTenantChangeTypes }

/**
 * A tenant status change by name.
 *
 * @example
 * ```ts
 * const change: SuperOfficeTenantChange = 'Move'
 * ```
 */
export type SuperOfficeTenantChange = keyof typeof superOfficeTenantChangeTypes
type ChangeNumber = (typeof superOfficeTenantChangeTypes)[SuperOfficeTenantChange]
type NameOf<N> = {
  [K in SuperOfficeTenantChange]: (typeof superOfficeTenantChangeTypes)[K] extends N ? K : never
}[SuperOfficeTenantChange]

/**
 * What `on(...)` takes: a change by name (`'Move'`) or number (`5`), or `'*'` for every
 * notification (including change types SuperOffice adds later).
 *
 * @example
 * ```ts
 * const selectors: SuperOfficeTenantChangeSelector[] = ['Move', 5, '*']
 * ```
 */
export type SuperOfficeTenantChangeSelector = SuperOfficeTenantChange | ChangeNumber | '*'

/**
 * A verified tenant status notification (SuperOffice's "customer state change" webhook).
 *
 * @example
 * ```ts
 * status.on('Upgrade', (n) => console.log(n.ContextIdentifier, 'now runs', n.VersionName))
 * ```
 */
export interface SuperOfficeTenantStatusNotification<
  C extends SuperOfficeTenantChange | 'Unknown' = SuperOfficeTenantChange | 'Unknown',
> {
  /** The change's number, as SuperOffice sends it. */
  ChangeType: C extends SuperOfficeTenantChange ? (typeof superOfficeTenantChangeTypes)[C] : number
  /** The change's name (`Unknown` for a number this version does not know). */
  ChangeName: C
  /** The tenant, equal to the token's tenant claim. */
  ContextIdentifier: string
  VersionName?: string | undefined
  FileVersion?: string | undefined
  /** The JWT SuperOffice signed the notification with (verified). */
  Token: string
  /** On a Move: the tenant's new public host (`sod3.superoffice.com`). */
  PublicEndpoint: C extends 'Move' ? string | undefined : string | undefined
  /** The verified token's claims. */
  claims: JWTPayload
}

type NotificationFor<S> = S extends '*'
  ? SuperOfficeTenantStatusNotification
  : S extends SuperOfficeTenantChange
    ? SuperOfficeTenantStatusNotification<S>
    : S extends ChangeNumber
      ? SuperOfficeTenantStatusNotification<NameOf<S>>
      : never

/**
 * A handler for tenant status notifications; its notification is typed by the selector.
 *
 * @example
 * ```ts
 * const onMove: SuperOfficeTenantStatusHandler<'Move'> = (n) => console.log('moved to', n.PublicEndpoint)
 * ```
 */
export type SuperOfficeTenantStatusHandler<S extends SuperOfficeTenantChangeSelector = '*'> = (
  notification: NotificationFor<S>,
  context: { request?: unknown },
) => unknown

/**
 * Options of {@link createSuperOfficeTenantStatus}.
 *
 * @example
 * ```ts
 * const options: SuperOfficeTenantStatusOptions = { environment: 'online', applicationId: 'my-app-client-id', api }
 * ```
 */
export interface SuperOfficeTenantStatusOptions extends Pick<HttpLimits, 'fetch' | 'timeoutMs'> {
  /** Whose JWTs are accepted: `'sod'`, `'stage'`, `'online'` or `{ authority }`. */
  environment: SuperOfficeEnvironment
  /**
   * Your app's id in SuperOffice's Developer Portal (its client id). A notification's token must
   * name it as its audience (`aud` is the id, or `spn:` and the id): a token SuperOffice signed
   * for another app, a user's sign-in or a system user is refused. `undefined` (an unset
   * environment variable) answers every notification 500 `application_id_missing` and logs it, so
   * a misconfigured deployment fails closed and SuperOffice retries once it is fixed.
   */
  applicationId: string | undefined
  /**
   * The inbox to keep in step with each tenant's state (`createBullMQInbox(...)`): a tenant that
   * SuperOffice suspends is paused (its events are stored, not run), one that resumes is resumed.
   * A deleted tenant is paused too, or purged with `purgeOnDelete`. This runs before your handlers;
   * if it fails the answer is 500 and SuperOffice retries.
   */
  inbox?: SuperOfficeTenantInbox
  /** With `inbox`: a `Delete` removes the tenant's stored work (`inbox.purgeTenant`) instead of pausing it. Default false. */
  purgeOnDelete?: boolean
  /**
   * The store of each tenant's webhook secret (`ensureTenantWebhooks`, `secretsFromStore`): with
   * it, a `Delete` forgets the tenant's secrets, so nothing signed with them is accepted any more.
   * Opt-in, since it cannot be undone. Runs before your handlers; if it fails the answer is 500 and
   * SuperOffice retries.
   */
  secrets?: Pick<SuperOfficeSecretStore, 'delete'>
  /**
   * Where the tokens already handled are remembered until they expire, so a captured notification
   * cannot be posted again (401 `token_replayed`). Default: this process's memory. With several
   * instances behind one URL, pass a shared store (`createRedisDedupeStore`, the PostgreSQL one).
   */
  replayStore?: SuperOfficeDedupeStore
  /** API clients whose endpoint cache a Move refreshes (the tenant's next call asks the state API). */
  api?: Pick<SuperOfficeApi, 'forgetEndpoint'> | Pick<SuperOfficeApi, 'forgetEndpoint'>[]
  /** Largest body accepted (413 above it). Default 64 KiB: a notification is a few hundred bytes. */
  maxBodyBytes?: number
  /** Where refusals and failed handlers are logged. Default `console`; `false` for none. */
  logger?: Pick<Console, 'warn' | 'error'> | false
}

/**
 * The tenant status receiver: the same request shape as the event receiver, so every adapter
 * (Koa, h3, Nest, Nuxt, `handleRequest` for web servers) serves it on a second route.
 *
 * @example
 * ```ts
 * app.use(superOfficeWebhooks(tenantStatus, { path: '/superoffice/tenant-status' }))
 * ```
 */
export interface SuperOfficeTenantStatus extends SuperOfficeReceiver {
  /** Adds a handler for a change (`'Move'`, `5`) or every change (`'*'`). */
  on<const S extends SuperOfficeTenantChangeSelector>(
    change: S,
    handler: SuperOfficeTenantStatusHandler<S>,
  ): SuperOfficeTenantStatus
  /** Bytes and headers in, answer out: 200 once handled, 401 for a missing or invalid token, 400 for a body that is not a notification, 500 when a handler failed. Never 410. */
  handle(input: SuperOfficeWebhookInput): Promise<SuperOfficeWebhookAnswer>
  onError(handler: SuperOfficeErrorHandler): SuperOfficeTenantStatus
  /** The answer for an error (any thrown value becomes a 500). */
  answerError(error: unknown): SuperOfficeWebhookAnswer
  readonly maxBodyBytes: number
}

/**
 * What the tenant status receiver asks of an inbox: the BullMQ inbox has all three.
 *
 * @example
 * ```ts
 * const inbox: SuperOfficeTenantInbox = createBullMQInbox({ connection: process.env.REDIS_URL! })
 * ```
 */
export interface SuperOfficeTenantInbox {
  pauseTenant(tenant: string): Promise<unknown>
  resumeTenant(tenant: string): Promise<unknown>
  purgeTenant(tenant: string): Promise<unknown>
}

const notificationSchema = z.looseObject({
  ChangeType: z.number().int().nonnegative(),
  ContextIdentifier: z.string().min(1).max(64),
  VersionName: z.string().nullish(),
  FileVersion: z.string().nullish(),
  Token: z.string().nullish(),
  PublicEndpoint: z.string().nullish(),
})

const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json; charset=utf-8' })
const NAMES = Object.fromEntries(Object.entries(superOfficeTenantChangeTypes).map(([name, n]) => [n, name])) as Record<
  number,
  SuperOfficeTenantChange
>

/**
 * Creates the receiver for SuperOffice's tenant status webhook ("customer state change": Upgrade,
 * BackupRestored, Suspend, Resume, Delete, Move). Each notification's `Token` is checked against
 * the environment's published keys (RS256, issuer, expiry), must name your app as its audience and
 * the body's tenant, must carry no user or system-user claim, and is accepted once (a replay is
 * 401 `token_replayed`). When SuperOffice's key set cannot be read the answer is 503
 * `keys_unavailable`, so SuperOffice retries. A Move makes the given API clients look the
 * tenant's endpoint up again.
 *
 * What the token does not cover: it proves that SuperOffice sent a notification about this tenant
 * to this app, but `ChangeType`, `VersionName`, `FileVersion` and `PublicEndpoint` sit beside it in
 * the body, unsigned. Before acting on a destructive change, ask the state API: a `Delete` handler
 * checks `api.endpoint(tenant)` (a deleted tenant's state is not `Running`) before forgetting it.
 *
 * @example
 * ```ts
 * import { createSuperOfficeApi, createSuperOfficeTenantStatus } from '@superoffice-webhooks/api'
 *
 * const api = createSuperOfficeApi({ environment: 'online', ... })
 * const tenantStatus = createSuperOfficeTenantStatus({
 *   environment: 'online',
 *   applicationId: process.env.SUPEROFFICE_CLIENT_ID, // your app's client id
 *   api,
 * })
 * tenantStatus.on('Delete', async (n) => {
 *   // The change type is not covered by the token: confirm with the state API first.
 *   const gone = await api.endpoint(n.ContextIdentifier).then(
 *     () => false,
 *     (error) => error instanceof SuperOfficeTenantStateError,
 *   )
 *   if (gone) await tenants.forget(n.ContextIdentifier)
 * })
 * tenantStatus.on('Move', (n) => console.log(n.ContextIdentifier, 'moved to', n.PublicEndpoint))
 *
 * // Any web server: export default { fetch: (request) => tenantStatus.handleRequest(request) }
 * ```
 */
export function createSuperOfficeTenantStatus(options: SuperOfficeTenantStatusOptions): SuperOfficeTenantStatus {
  const environment = resolveEnvironment(options.environment)
  const applicationId = typeof options.applicationId === 'string' ? options.applicationId.trim() : ''
  const audiences = applicationId ? new Set([applicationId, `spn:${applicationId}`]) : undefined
  const replays = options.replayStore ?? createMemoryDedupeStore()
  const verify = createJwtVerifier(environment, limitsOf(options))
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024
  const apis = options.api === undefined ? [] : Array.isArray(options.api) ? options.api : [options.api]
  const logger = options.logger === false ? undefined : (options.logger ?? console)
  const handlers = new Map<string, ((n: SuperOfficeTenantStatusNotification, c: { request?: unknown }) => unknown)[]>()
  const errorHandlers: SuperOfficeErrorHandler[] = []

  const fail = (error: SuperOfficeWebhookError, request?: unknown): SuperOfficeWebhookAnswer => {
    const info = { status: error.status, request }
    if (errorHandlers.length === 0) {
      const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
      logger?.[error.status >= 500 ? 'error' : 'warn'](
        `superoffice tenant-status ${error.code} ${error.status}${cause}`,
      )
    }
    for (const handler of errorHandlers) {
      try {
        handler(error, info)
      } catch {}
    }
    return {
      status: error.status,
      headers: error.status === 405 ? { ...JSON_HEADERS, allow: 'POST' } : JSON_HEADERS,
      body: { ok: false, error: error.code, message: error.message },
      error,
    }
  }

  const handle = async (input: SuperOfficeWebhookInput): Promise<SuperOfficeWebhookAnswer> => {
    const { rawBody, request } = input
    const bytes = typeof rawBody === 'string' ? Buffer.byteLength(rawBody) : rawBody.byteLength
    if (bytes > maxBodyBytes) {
      return fail(
        new SuperOfficeWebhookError('payload_too_large', 'The body is larger than this receiver accepts.'),
        request,
      )
    }
    let json: unknown
    try {
      json = JSON.parse(typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody))
    } catch {
      return fail(new SuperOfficeWebhookError('invalid_json', 'The body is not valid JSON.'), request)
    }
    const parsed = notificationSchema.safeParse(json)
    if (!parsed.success) {
      return fail(
        new SuperOfficeWebhookError('invalid_envelope', 'The body is not a SuperOffice tenant status notification.'),
        request,
      )
    }
    const body = parsed.data
    if (!body.Token) {
      return fail(new SuperOfficeWebhookError('token_missing', 'The notification has no Token.'), request)
    }
    if (!audiences) {
      return fail(
        new SuperOfficeWebhookError('application_id_missing', 'The receiver is not configured.', {
          cause: new Error(
            'createSuperOfficeTenantStatus has no applicationId (your app id from the Developer Portal, e.g. SUPEROFFICE_CLIENT_ID): no notification is accepted until it is set',
          ),
        }),
        request,
      )
    }
    let claims: JWTPayload
    try {
      claims = await verify(body.Token, { requireExpiry: true })
      notificationFor(claims, audiences, body.ContextIdentifier)
    } catch (cause) {
      if (cause instanceof KeySetUnavailableError) {
        return fail(
          new SuperOfficeWebhookError('keys_unavailable', "SuperOffice's keys could not be read; try again.", {
            cause,
          }),
          request,
        )
      }
      return fail(
        new SuperOfficeWebhookError('token_invalid', 'The notification Token is not valid.', { cause }),
        request,
      )
    }
    // One use per token: claimed before the handlers, kept once they succeed (until the token
    // expires), released when they fail so SuperOffice's retry of the same notification is handled.
    const replayKey = `superoffice:tenant-status:${createHash('sha256').update(body.Token).digest('base64url')}`
    const replayTtlMs = Math.max(60_000, (claims.exp as number) * 1000 - Date.now() + 120_000)
    let claimed: boolean
    try {
      claimed = await replays.claim(replayKey, replayTtlMs)
    } catch (cause) {
      return fail(
        new SuperOfficeWebhookError('dedupe_unavailable', 'The notification could not be checked for replay.', {
          cause,
        }),
        request,
      )
    }
    if (!claimed) {
      return fail(
        new SuperOfficeWebhookError('token_replayed', 'The notification Token was already used.', {
          cause: new Error(`a token for ${body.ContextIdentifier} posted again before it expired`),
        }),
        request,
      )
    }
    const name = NAMES[body.ChangeType] ?? 'Unknown'
    const notification: SuperOfficeTenantStatusNotification = {
      ...body,
      ChangeName: name,
      ContextIdentifier: body.ContextIdentifier,
      VersionName: body.VersionName ?? undefined,
      FileVersion: body.FileVersion ?? undefined,
      PublicEndpoint: body.PublicEndpoint ?? undefined,
      Token: body.Token,
      claims,
    } as SuperOfficeTenantStatusNotification
    // Before the handlers: a Move's next API call, even from a handler, asks the state API again.
    if (name === 'Move') for (const api of apis) api.forgetEndpoint(body.ContextIdentifier)
    // The inbox follows the tenant's state before the handlers run.
    const inbox = options.inbox
    if (inbox && (name === 'Suspend' || name === 'Resume' || name === 'Delete')) {
      try {
        if (name === 'Resume') await inbox.resumeTenant(body.ContextIdentifier)
        else if (name === 'Delete' && options.purgeOnDelete) await inbox.purgeTenant(body.ContextIdentifier)
        else await inbox.pauseTenant(body.ContextIdentifier)
      } catch (cause) {
        await Promise.resolve(replays.release(replayKey)).catch(() => {})
        return fail(
          new SuperOfficeWebhookError('inbox_unavailable', 'The inbox could not be updated; SuperOffice may retry.', {
            cause,
          }),
          request,
        )
      }
    }
    if (name === 'Delete' && options.secrets) {
      try {
        await options.secrets.delete(body.ContextIdentifier)
      } catch (cause) {
        await Promise.resolve(replays.release(replayKey)).catch(() => {})
        return fail(
          new SuperOfficeWebhookError(
            'secret_unavailable',
            "The tenant's secrets could not be forgotten; SuperOffice may retry.",
            {
              cause,
            },
          ),
          request,
        )
      }
    }
    const selected = [...(handlers.get(name) ?? []), ...(handlers.get('*') ?? [])]
    const results = await Promise.allSettled(selected.map(async (handler) => handler(notification, { request })))
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) {
      await Promise.resolve(replays.release(replayKey)).catch(() => {})
      return fail(
        new SuperOfficeWebhookError('handler_failed', 'A handler failed; SuperOffice may retry.', {
          cause: failed.reason,
        }),
        request,
      )
    }
    await Promise.resolve(replays.complete(replayKey, replayTtlMs)).catch(() => {})
    return { status: 200, headers: JSON_HEADERS, body: { ok: true } }
  }

  const receiver: SuperOfficeTenantStatus = {
    maxBodyBytes,
    on(change, handler) {
      const key: string | undefined = typeof change === 'number' ? NAMES[change] : change
      if (key === undefined || (key !== '*' && !(key in superOfficeTenantChangeTypes))) {
        throw new TypeError(
          `on(): '${String(change)}' is not a tenant status change (${Object.keys(superOfficeTenantChangeTypes).join(', ')}, 0-5 or '*').`,
        )
      }
      if (typeof handler !== 'function') throw new TypeError('on(): the handler must be a function.')
      const list = handlers.get(key) ?? []
      list.push(handler as never)
      handlers.set(key, list)
      return receiver
    },
    onError(handler) {
      errorHandlers.push(handler)
      return receiver
    },
    handle: (input) => handle(input).catch((error: unknown) => receiver.answerError(error)),
    answerError: (error) =>
      fail(
        error instanceof SuperOfficeWebhookError
          ? error
          : new SuperOfficeWebhookError('internal_error', 'The notification could not be processed.', { cause: error }),
      ),
    receive: (input: SuperOfficeRequestInput) =>
      receiveSuperOfficeRequest(
        receiver,
        input,
        (body) => receiver.handle(body),
        () => fail(methodNotAllowed()),
      ),
    async handleRequest(request) {
      const { method, headers, url } = request
      return toResponse(await receiver.receive({ method, headers, url, body: { web: request }, request }))
    },
  }
  return receiver
}

/** Claims that only a person's sign-in or a system user's token carries, never a notification. */
const USER_CLAIMS = [
  TICKET_CLAIM,
  'http://schemes.superoffice.net/identity/system_token',
  'http://schemes.superoffice.net/identity/associateid',
  'http://schemes.superoffice.net/identity/upn',
  'nonce',
]

/**
 * Checks that verified claims make a tenant status notification for this app and this tenant:
 * the audience is the app, no user or system-user claim, the tenant claim equals the body's.
 */
function notificationFor(claims: JWTPayload, audiences: ReadonlySet<string>, tenant: string): void {
  const aud = Array.isArray(claims.aud) ? claims.aud : claims.aud === undefined ? [] : [claims.aud]
  if (!aud.some((a) => audiences.has(a))) {
    throw new Error(`the token's audience (${aud.join(', ') || 'none'}) is not this app`)
  }
  const userClaim = USER_CLAIMS.find((claim) => claims[claim] !== undefined)
  if (userClaim) {
    throw new Error(`the token carries ${userClaim}: a sign-in or system-user token, not a notification`)
  }
  if (claims[TENANT_CLAIM] !== tenant) {
    throw new Error(`the token is for tenant ${String(claims[TENANT_CLAIM])}, the body for ${tenant}`)
  }
}
