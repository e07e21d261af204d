import type { KeyObject } from 'node:crypto'
import type { SuperOfficeEntityFor } from '@superoffice-webhooks/core'
import { type EntityEventLike, entityRoute } from './entities.js'
import { assertTenant, resolveEnvironment, type SuperOfficeEnvironment } from './environment.js'
import {
  type Exchange,
  exchange,
  type HttpLimits,
  isRetryable,
  jsonOf,
  limitsOf,
  messageOf,
  pacedRetryAfterMs,
  Redactor,
  retryWait,
  SuperOfficeApiError,
  sleep,
} from './http.js'
import { loadSuperOfficePrivateKey } from './private-key.js'
import { createEndpointCache, type SuperOfficeTenantEndpoint } from './tenant.js'
import type { SuperOfficeTenantThrottle } from './throttle.js'
import { createJwtVerifier, fetchTicket, type Ticket } from './ticket.js'

/**
 * Options of {@link createSuperOfficeApi}. Credentials are a system user (`applicationToken`,
 * `privateKey`, `systemUserToken`) or an OAuth access token (`accessToken`, with
 * `refreshAccessToken` for a 401).
 *
 * @example
 * ```ts
 * const options: SuperOfficeApiOptions = {
 *   environment: 'online',
 *   applicationToken: process.env.SUPEROFFICE_APP_TOKEN!,
 *   privateKey: process.env.SUPEROFFICE_PRIVATE_KEY!,
 *   systemUserToken: (tenant) => db.systemUserTokenOf(tenant),
 * }
 * ```
 */
export interface SuperOfficeApiOptions extends HttpLimits {
  /** `'sod'`, `'stage'`, `'online'`, or `{ authority }` (a stand-in, a proxy). Not needed with `endpoint`. */
  environment?: SuperOfficeEnvironment
  /**
   * On-premise installations: the installation's root (`https://crm.example.com/SuperOffice`),
   * used for every tenant instead of the state API. Credentials are then an `accessToken`.
   */
  endpoint?: string
  /** The app's application token (its client secret): sent as `SO-AppToken` and to `Authenticate`. */
  applicationToken?: string
  /** The app's RSA private key: PEM, SuperOffice's RSA XML, or a `KeyObject`. */
  privateKey?: string | KeyObject
  /**
   * The tenant's system user token (the `system_token` claim of the admin's consent sign-in): one
   * string for a single tenant, or a function per tenant.
   */
  systemUserToken?: string | ((tenant: string) => string | Promise<string>)
  /**
   * Instead of a system user: an OAuth access token (sent as `Bearer`). A function is asked before
   * every request (it keeps its own cache), so a token that expires is replaced without a 401.
   */
  accessToken?: string | ((tenant: string) => string | Promise<string>)
  /** How an `accessToken` is sent: `Bearer` (default) or `SOTicket` (a ticket the app holds itself). */
  accessTokenScheme?: 'Bearer' | 'SOTicket'
  /** Called once when an access token is refused (401); the new token is used for the retry. */
  refreshAccessToken?: (tenant: string) => string | Promise<string>
  /** Requests in flight per tenant; more wait their turn. Default 4. */
  concurrency?: number
  /**
   * A per-tenant limit shared by every process (`createSharedTenantThrottle({ redis })`): asked
   * after this client's own `concurrency`, and told of every 429, so all processes slow down for
   * a tenant SuperOffice throttles.
   */
  throttle?: SuperOfficeTenantThrottle
}

/**
 * Options of one {@link SuperOfficeApi.request}.
 *
 * @example
 * ```ts
 * await api.request('Cust12345', 'GET', '/Sale/12', { query: { $select: 'Heading,Amount' } })
 * ```
 */
export interface SuperOfficeRequestOptions {
  /** A JSON body. */
  body?: unknown
  /** Query parameters. */
  query?: Record<string, string | number | boolean>
  /** Resolve with `null` on 404 instead of throwing (a deleted row). */
  nullOn404?: boolean
  /** Values to keep out of every error text (a webhook secret in the body…). */
  redact?: (string | null | undefined)[]
  /**
   * Gives up the call when aborted: the request in flight and any wait before a retry end at once,
   * and the call rejects with the signal's reason.
   */
  signal?: AbortSignal
}

/**
 * A SuperOffice API client for every tenant of an app: each call goes to the tenant's current
 * host (the state API, cached until `ValidUntil`, looked up again on 421), authenticated with a
 * system-user ticket (cached, renewed before expiry and on a 401) or an access token, limited per
 * tenant, with 429 and 503 honoured.
 *
 * @example
 * ```ts
 * webhooks.on('sale.sold', async (event, context) => {
 *   const sale = await context.fetchEntity() // SaleEntity | null
 * })
 * ```
 */
export interface SuperOfficeApi {
  /**
   * The entity behind a webhook event: `sale.*` → `GET /api/v1/Sale/{PrimaryKey}`, `contact.*` →
   * Contact, `person.*` → Person, `project.*`, `ticket.*`, `activity.*` → Appointment (Document
   * when the row is a document's), `document.*`, `chatsession.*` → ChatSession, `projectmember.*`,
   * `salestakeholder.*`, extra tables (`y_…`) → CustomObject. `null` when the row no longer exists
   * (404). Events with no entity (tests, webhook state, lists, custom events) throw a TypeError.
   */
  fetchEntity<E extends EntityEventLike & { ContextIdentifier?: string | undefined }>(
    event: E,
  ): Promise<SuperOfficeEntityFor<E['Event']> | null>
  /** Any call under the tenant's `/api/v1`: `request(tenant, 'GET', '/Contact/5')`. */
  request<T = unknown>(tenant: string, method: string, path: string, options?: SuperOfficeRequestOptions): Promise<T>
  /** Where the tenant lives now (the state API, cached). */
  endpoint(tenant: string): Promise<SuperOfficeTenantEndpoint>
  /** Forgets a tenant's endpoint (a Move notification): the next call asks the state API again. */
  forgetEndpoint(tenant: string): void
  /** The environment's authority and the issuers its tokens carry. */
  readonly environment: { readonly name: string; readonly authority: string }
}

/**
 * Creates a {@link SuperOfficeApi}. Nothing is fetched until the first call.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * import { createSuperOfficeApi } from '@superoffice-webhooks/api'
 *
 * const api = createSuperOfficeApi({
 *   environment: 'online',
 *   applicationToken: process.env.SUPEROFFICE_APP_TOKEN!,
 *   privateKey: readFileSync('private.xml', 'utf8'), // or a PEM
 *   systemUserToken: process.env.SUPEROFFICE_SYSTEM_USER_TOKEN!,
 * })
 * const sale = await api.request('Cust12345', 'GET', '/Sale/12')
 * ```
 */
export function createSuperOfficeApi(options: SuperOfficeApiOptions): SuperOfficeApi {
  const limits = limitsOf(options)
  const fixed = options.endpoint === undefined ? undefined : fixedEndpoint(options.endpoint)
  if (fixed && options.systemUserToken !== undefined) {
    throw new TypeError(
      'createSuperOfficeApi: system users are a SuperOffice Online feature; with endpoint (on-premise) pass accessToken.',
    )
  }
  const environment = resolveEnvironment(options.environment ?? (fixed ? { authority: fixed } : undefined))
  const redactor = new Redactor()
  redactor.remember(options.applicationToken)
  if (typeof options.systemUserToken === 'string') redactor.remember(options.systemUserToken)
  if (typeof options.accessToken === 'string') redactor.remember(options.accessToken)
  const concurrency = Math.max(1, options.concurrency ?? 4)
  const systemUser = options.systemUserToken !== undefined
  if (systemUser && options.accessToken !== undefined) {
    throw new TypeError('createSuperOfficeApi: pass systemUserToken or accessToken, not both.')
  }
  if (!systemUser && options.accessToken === undefined) {
    throw new TypeError(
      'createSuperOfficeApi needs credentials: applicationToken, privateKey and systemUserToken (a system user), or accessToken.',
    )
  }
  const privateKey = systemUser ? loadSuperOfficePrivateKey(required(options.privateKey, 'privateKey')) : undefined
  const applicationToken = systemUser
    ? required(options.applicationToken, 'applicationToken')
    : options.applicationToken
  const endpoints = fixed
    ? {
        get: async (tenant: string): Promise<SuperOfficeTenantEndpoint> => ({
          tenant,
          endpoint: fixed,
          state: 'Running',
          isRunning: true,
          validUntil: Number.POSITIVE_INFINITY,
        }),
        forget: () => {},
      }
    : createEndpointCache(environment, limits)
  const verify = createJwtVerifier(environment, limits)

  // Credentials per tenant: a ticket (fetched once at a time) or an access token.
  const tickets = new Map<string, Ticket>()
  const ticketsPending = new Map<string, Promise<Ticket>>()
  const accessTokens = new Map<string, string>()
  const credential = async (tenant: string, renew: boolean): Promise<string> => {
    if (!systemUser) {
      const scheme = options.accessTokenScheme ?? 'Bearer'
      if (!renew && typeof options.accessToken === 'function' && !accessTokens.has(tenant)) {
        const token = await options.accessToken(tenant)
        if (typeof token !== 'string' || token === '') throw new TypeError(`accessToken gave no token for ${tenant}.`)
        redactor.remember(token)
        return `${scheme} ${token}`
      }
      let token = renew ? undefined : accessTokens.get(tenant)
      if (token === undefined) {
        token =
          renew && options.refreshAccessToken
            ? await options.refreshAccessToken(tenant)
            : typeof options.accessToken === 'function'
              ? await options.accessToken(tenant)
              : (options.accessToken as string)
        if (typeof token !== 'string' || token === '') throw new TypeError(`accessToken gave no token for ${tenant}.`)
        redactor.remember(token)
        accessTokens.set(tenant, token)
      }
      return `${scheme} ${token}`
    }
    const cached = tickets.get(tenant)
    if (!renew && cached && cached.renewAt > Date.now()) return `SOTicket ${cached.ticket}`
    let pending = ticketsPending.get(tenant)
    if (!pending) {
      pending = (async () => {
        const token =
          typeof options.systemUserToken === 'function'
            ? await options.systemUserToken(tenant)
            : (options.systemUserToken as string)
        if (typeof token !== 'string' || token === '')
          throw new TypeError(`systemUserToken gave no token for ${tenant}.`)
        return fetchTicket({
          environment,
          limits,
          redactor,
          verify,
          tenant,
          applicationToken: applicationToken as string,
          privateKey: privateKey as KeyObject,
          systemUserToken: token,
        })
      })().finally(() => ticketsPending.delete(tenant))
      ticketsPending.set(tenant, pending)
    }
    const ticket = await pending
    tickets.set(tenant, ticket)
    return `SOTicket ${ticket.ticket}`
  }

  // A small semaphore per tenant: SuperOffice throttles per tenant, and one busy tenant must not
  // hold back the others.
  const slots = new Map<string, { active: number; waiting: (() => void)[] }>()
  const acquire = async (tenant: string, signal: AbortSignal | undefined) => {
    let slot = slots.get(tenant)
    if (!slot) {
      slot = { active: 0, waiting: [] }
      slots.set(tenant, slot)
    }
    if (slot.active >= concurrency) {
      const current = slot
      await new Promise<void>((resolve, reject) => {
        const take = () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }
        // A caller that gives up while waiting leaves the queue, so its turn is not lost to others.
        const onAbort = () => {
          const at = current.waiting.indexOf(take)
          if (at >= 0) current.waiting.splice(at, 1)
          reject(signal?.reason)
        }
        current.waiting.push(take)
        signal?.addEventListener('abort', onAbort, { once: true })
      })
    }
    slot.active++
    return () => {
      const current = slot as { active: number; waiting: (() => void)[] }
      current.active--
      const next = current.waiting.shift()
      if (next) next()
      else if (current.active === 0) slots.delete(tenant)
    }
  }

  const request = async <T>(
    tenant: string,
    method: string,
    path: string,
    requestOptions: SuperOfficeRequestOptions = {},
  ): Promise<T> => {
    assertTenant(tenant)
    assertApiPath(path)
    const signal = requestOptions.signal
    signal?.throwIfAborted()
    const query = requestOptions.query
      ? `?${new URLSearchParams(Object.entries(requestOptions.query).map(([k, v]): [string, string] => [k, String(v)]))}`
      : ''
    const label = `${method} /api/v1${path}`
    for (const value of requestOptions.redact ?? []) redactor.remember(value)
    const local = await acquire(tenant, signal)
    let shared: (() => void) | undefined
    try {
      shared = await options.throttle?.acquire(tenant, signal)
    } catch (error) {
      local()
      throw error
    }
    const release = () => {
      shared?.()
      local()
    }
    try {
      let moved = 0
      let renewed = false
      // A 429 is SuperOffice pacing the tenant, not a failure: its waits count against
      // maxRetryAfterMs in total rather than against `retries`, so a busy tenant slows calls down
      // instead of failing them. Each wait has a floor and their number a bound, so a server that
      // asks for no wait (`Retry-After: 0`, a date in the past) cannot make the call loop.
      let throttledMs = 0
      let throttled = 0
      for (let attempt = 0; ; ) {
        const { endpoint } = await endpoints.get(tenant)
        const authorization = await credential(tenant, false)
        const headers: Record<string, string> = { Accept: 'application/json', Authorization: authorization }
        if (applicationToken) headers['SO-AppToken'] = applicationToken
        if (requestOptions.body !== undefined) headers['Content-Type'] = 'application/json; charset=utf-8'
        let answer: Exchange | undefined
        try {
          answer = await exchange(
            limits,
            label,
            `${endpoint}/api/v1${path}${query}`,
            {
              method,
              headers,
              ...(requestOptions.body === undefined ? {} : { body: JSON.stringify(requestOptions.body) }),
            },
            signal,
          )
        } catch (error) {
          if (!(error instanceof SuperOfficeApiError)) throw error
          if (!isRetryable(error) || attempt >= limits.retries) throw redacted(error)
        }
        if (answer) {
          const { status } = answer
          if (status >= 200 && status < 300) {
            const json = jsonOf(answer, label)
            return json as T
          }
          if (status === 404 && requestOptions.nullOn404) return null as T
          // The tenant moved: its old host refuses with 421. Ask the state API again, at once.
          if (status === 421 && moved < 2) {
            moved++
            endpoints.forget(tenant)
            continue
          }
          if (status === 401 && !renewed && (systemUser || options.refreshAccessToken)) {
            renewed = true
            tickets.delete(tenant)
            accessTokens.delete(tenant)
            if (!systemUser) await credential(tenant, true)
            continue
          }
          // SuperOffice paces a tenant with a 429 and a Retry-After; a 429 without a usable one (none,
          // zero, in the past) is retried like a 5xx, from `retries` with backoff.
          if (status === 429 && pacedRetryAfterMs(limits, answer) !== undefined) {
            if (throttled >= limits.maxThrottledRetries) {
              throw new SuperOfficeApiError(
                status,
                label,
                `throttled ${throttled + 1} times in a row (maxThrottledRetries ${limits.maxThrottledRetries}): ${redactor.redact(messageOf(answer.text))}`,
                pacedRetryAfterMs(limits, answer),
              )
            }
            const asked = pacedRetryAfterMs(limits, answer)
            if (asked !== undefined) await options.throttle?.throttled(tenant, asked).catch(() => {})
            const wait = retryWait(limits, answer, throttled, label)
            throttled++
            throttledMs += wait
            if (throttledMs > limits.maxRetryAfterMs) {
              throw new SuperOfficeApiError(
                status,
                label,
                `throttled for more than ${Math.round(limits.maxRetryAfterMs / 1000)} s in total (maxRetryAfterMs): ${redactor.redact(messageOf(answer.text))}`,
                wait,
              )
            }
            await sleep(wait, signal)
            continue
          }
          if ((status < 500 && status !== 429) || attempt >= limits.retries) {
            throw new SuperOfficeApiError(status, label, redactor.redact(messageOf(answer.text)))
          }
        }
        await sleep(retryWait(limits, answer, attempt, label), signal)
        attempt++
      }
    } finally {
      release()
    }
  }

  const redacted = (error: SuperOfficeApiError) =>
    new SuperOfficeApiError(error.status, error.request, redactor.redact(error.superOfficeMessage), error.retryAfterMs)

  return {
    environment: { name: environment.name, authority: environment.authority },
    request,
    endpoint: (tenant) => {
      assertTenant(tenant)
      return endpoints.get(tenant)
    },
    forgetEndpoint: (tenant) => endpoints.forget(tenant),
    async fetchEntity(event) {
      const route = entityRoute(event)
      if (!route) {
        throw new TypeError(`fetchEntity: '${event.Event}' events have no entity to fetch.`)
      }
      if (typeof event.ContextIdentifier !== 'string') {
        throw new TypeError('fetchEntity: the event has no ContextIdentifier (its tenant).')
      }
      return request(event.ContextIdentifier, 'GET', route.path, { nullOn404: true })
    },
  }
}

/**
 * A path under `/api/v1`, checked on its decoded segments: `%2e%2e`, `.%2E`, `%2f` or a backslash
 * would let a URL parser or the server step out to another tenant's path with this tenant's
 * credentials, so any segment that decodes to `.`, `..`, or holds a separator is refused.
 */
function assertApiPath(path: string): void {
  const refuse = (why: string) =>
    new TypeError(
      `request: '${String(path).slice(0, 200)}' must be a path under /api/v1 such as '/Sale/12' (${why}; query in options.query).`,
    )
  if (typeof path !== 'string' || !path.startsWith('/')) throw refuse('it must start with /')
  if (/[?#\\]/.test(path)) throw refuse('no ?, # or backslash')
  for (const segment of path.slice(1).split('/')) {
    let decoded: string
    try {
      decoded = decodeURIComponent(segment)
    } catch {
      throw refuse('a segment is not valid percent-encoding')
    }
    // Decoded twice: a server that decodes again must not find a dot segment either.
    let twice = decoded
    try {
      twice = decodeURIComponent(decoded)
    } catch {}
    for (const form of [segment, decoded, twice]) {
      if (form.trim() === '.' || form.includes('..') || /[/\\]/.test(form)) {
        throw refuse('no dot segments or encoded separators')
      }
    }
  }
}

function fixedEndpoint(endpoint: string): string {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new TypeError(`createSuperOfficeApi: endpoint '${endpoint}' is not a URL.`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new TypeError('createSuperOfficeApi: endpoint must be http(s).')
  return url.href.replace(/\/+$/, '').replace(/\/api(\/v1)?$/i, '')
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === null || value === '') {
    throw new TypeError(`createSuperOfficeApi: a system user needs ${name}.`)
  }
  return value
}
