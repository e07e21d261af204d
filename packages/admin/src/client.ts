import {
  assertTenant,
  createSuperOfficeApi,
  type HttpLimits,
  type SuperOfficeApi,
  SuperOfficeApiError,
} from '@superoffice-webhooks/api'
import * as z from 'zod'

/** A webhook's state in SuperOffice. `TooManyErrors`: stopped after nine consecutive failures. */
export type SuperOfficeWebhookState = 'Unknown' | 'Active' | 'Stopped' | 'TooManyErrors'

const stateSchema = z.enum(['Unknown', 'Active', 'Stopped', 'TooManyErrors'])
const nullableString = z.string().nullable().optional()

/**
 * The Webhook carrier as SuperOffice's REST API returns it. Loose: fields of other versions pass
 * through, and the delivery statistics (`TotalCalls`, `ConsecutiveErrors`…) are optional since not
 * every installation sends them.
 */
export const superOfficeWebhookSchema = z.looseObject({
  WebhookId: z.number(),
  Name: nullableString,
  Events: z.array(z.string()).nullable().optional(),
  TargetUrl: nullableString,
  Secret: nullableString,
  State: stateSchema,
  Type: nullableString,
  Headers: z.record(z.string(), z.string()).nullable().optional(),
  Properties: z.record(z.string(), z.unknown()).nullable().optional(),
  Registered: nullableString,
  Updated: nullableString,
  ErrorsEmail: nullableString,
  ErrorEmails: z
    .union([z.string(), z.array(z.string())])
    .nullable()
    .optional(),
  ErrorAssociates: z.array(z.unknown()).nullable().optional(),
  Description: nullableString,
  NotifyVia: z.unknown().optional(),
  NotifyWhen: z.unknown().optional(),
  TotalCalls: z.number().nullable().optional(),
  TotalErrors: z.number().nullable().optional(),
  ConsecutiveErrors: z.number().nullable().optional(),
  LastError: nullableString,
})

/**
 * A webhook as SuperOffice describes it.
 *
 * @example
 * ```ts
 * const hook: SuperOfficeWebhook = await client.get(12)
 * if (hook.State === 'TooManyErrors') await client.restart(hook.WebhookId)
 * ```
 */
export type SuperOfficeWebhook = z.output<typeof superOfficeWebhookSchema>

/**
 * What `create` and `update` send: a name, events and target, and whatever else you set.
 *
 * @example
 * ```ts
 * const input: SuperOfficeWebhookDraft = { Name: 'crm-sync', Events: ['sale.sold'], TargetUrl: url, Secret: secret }
 * ```
 */
export type SuperOfficeWebhookDraft = Partial<Omit<SuperOfficeWebhook, 'WebhookId'>> & {
  Name: string
  Events: string[]
  TargetUrl: string
}

/** `POST /api/v1/Webhook/Test`'s answer: whether the target answered 200, and what it said. */
export const superOfficeWebhookTestResultSchema = z.looseObject({ Success: z.boolean(), Message: nullableString })

/**
 * The result of pinging a webhook's target with a `test` event.
 *
 * @example
 * ```ts
 * const { Success, Message } = await client.test(hook)
 * ```
 */
export type SuperOfficeWebhookTestResult = z.output<typeof superOfficeWebhookTestResultSchema>

/**
 * Options of {@link createSuperOfficeWebhookClient}: a SuperOffice API client and a tenant
 * (SuperOffice Online: the tenant's host, tickets and throttling come from the API client), or an
 * installation's base URL and a token (on-premise).
 *
 * @example
 * ```ts
 * const online: SuperOfficeWebhookClientOptions = { api, tenant: 'Cust12345' }
 * const onPremise: SuperOfficeWebhookClientOptions = { baseUrl: 'https://crm.example.com/SuperOffice', accessToken }
 * ```
 */
export type SuperOfficeWebhookClientOptions =
  | SuperOfficeWebhookClientOnlineOptions
  | SuperOfficeWebhookClientDirectOptions

/**
 * SuperOffice Online: the Webhook API of one tenant, through a {@link SuperOfficeApi}.
 *
 * @example
 * ```ts
 * const options: SuperOfficeWebhookClientOnlineOptions = { api: createSuperOfficeApi({ environment: 'online', ... }), tenant: 'Cust12345' }
 * ```
 */
export interface SuperOfficeWebhookClientOnlineOptions {
  /** `createSuperOfficeApi(...)` from `@superoffice-webhooks/api`. */
  api: Pick<SuperOfficeApi, 'request'>
  /** The tenant (ContextIdentifier) whose webhooks are managed. */
  tenant: string
  /** Gives up every call of this client when aborted (a service shutting down, Ctrl+C). */
  signal?: AbortSignal
}

/**
 * On-premise (or any fixed address): the installation's base URL and a token.
 *
 * @example
 * ```ts
 * const options: SuperOfficeWebhookClientDirectOptions = { baseUrl, getAccessToken: () => tokens.current() }
 * ```
 */
export interface SuperOfficeWebhookClientDirectOptions extends HttpLimits {
  /** The installation's API base: `https://crm.example.com/SuperOffice` (the `/api/v1` part is added). */
  baseUrl: string
  /** A bearer access token (or a ticket, with `authScheme: 'SOTicket'`). */
  accessToken?: string
  /** Fetches a fresh token per request, for tokens that expire. Takes precedence over `accessToken`. */
  getAccessToken?: () => string | Promise<string>
  /** `Bearer` (default) or `SOTicket`. */
  authScheme?: 'Bearer' | 'SOTicket'
  /** `SO-AppToken`. */
  appToken?: string
  /** Gives up every call of this client when aborted (a service shutting down, Ctrl+C). */
  signal?: AbortSignal
}

/**
 * Filters of `list`, as SuperOffice takes them.
 *
 * @example
 * ```ts
 * await client.list({ statusFilter: 'TooManyErrors' })
 * ```
 */
export interface SuperOfficeWebhookFilter {
  nameFilter?: string
  eventFilter?: string
  statusFilter?: SuperOfficeWebhookState
}

/**
 * A typed client for SuperOffice's Webhook API.
 *
 * @example
 * ```ts
 * const hooks = await client.list({ statusFilter: 'TooManyErrors' })
 * for (const hook of hooks) await client.restart(hook.WebhookId)
 * ```
 */
export interface SuperOfficeWebhookClient {
  /** `GET /Webhook`, filtered. */
  list(filter?: SuperOfficeWebhookFilter): Promise<SuperOfficeWebhook[]>
  /** `GET /Webhook/default`: a new webhook with SuperOffice's defaults. */
  getDefault(): Promise<SuperOfficeWebhook>
  /** `GET /Webhook/{id}`. */
  get(id: number): Promise<SuperOfficeWebhook>
  /** `POST /Webhook`. SuperOffice first posts a signed `test` event to the TargetUrl and refuses to save unless it answers 200. */
  create(webhook: SuperOfficeWebhookDraft): Promise<SuperOfficeWebhook>
  /** `PUT /Webhook/{id}`: the whole webhook (read it first, change what you need). Tests the target like `create`. */
  update(id: number, webhook: SuperOfficeWebhookDraft | SuperOfficeWebhook): Promise<SuperOfficeWebhook>
  /** `DELETE /Webhook/{id}`. */
  delete(id: number): Promise<void>
  /** `POST /Webhook/Test`: pings the target with a `test` event. */
  test(webhook: SuperOfficeWebhookDraft | SuperOfficeWebhook): Promise<SuperOfficeWebhookTestResult>
  /** `POST /Webhook/{eventName}/{primaryKey}`: signals a (custom) event to every webhook subscribed to it. */
  signal(eventName: string, primaryKey: number, body?: Record<string, unknown>): Promise<void>
  /** `GET /Webhook/{id}/LastError`: the last failed answer SuperOffice recorded ('' when none). */
  lastError(id: number): Promise<string>
  /** Sets a stopped webhook (`TooManyErrors`, `Stopped`) back to `Active`. */
  restart(id: number): Promise<SuperOfficeWebhook>
}

/**
 * Creates a client for SuperOffice's Webhook API (`…/api/v1/Webhook`). Answers are validated with
 * zod; a refusal throws a {@link SuperOfficeApiError} with SuperOffice's own message; 429, 5xx and
 * network failures are retried with backoff; redirects stay on the API's origin. Nothing is
 * logged, and no error holds a token or a webhook secret.
 *
 * @example
 * ```ts
 * import { createSuperOfficeApi } from '@superoffice-webhooks/api'
 * import { createSuperOfficeWebhookClient } from '@superoffice-webhooks/admin'
 *
 * const api = createSuperOfficeApi({
 *   environment: 'online',
 *   applicationToken: process.env.SUPEROFFICE_APP_TOKEN!,
 *   privateKey: process.env.SUPEROFFICE_PRIVATE_KEY!,
 *   systemUserToken: process.env.SUPEROFFICE_SYSTEM_USER_TOKEN!,
 * })
 * const client = createSuperOfficeWebhookClient({ api, tenant: 'Cust12345' })
 * const stopped = await client.list({ statusFilter: 'TooManyErrors' })
 * ```
 */
export function createSuperOfficeWebhookClient(options: SuperOfficeWebhookClientOptions): SuperOfficeWebhookClient {
  let api: Pick<SuperOfficeApi, 'request'>
  let tenant: string
  if ('api' in options && options.api) {
    if (typeof options.api.request !== 'function') {
      throw new TypeError(
        'createSuperOfficeWebhookClient: api must be a SuperOffice API client (createSuperOfficeApi).',
      )
    }
    // A tenant id goes into every URL: refused here, at creation, rather than at the first call.
    assertTenant(options.tenant)
    api = options.api
    tenant = options.tenant
  } else {
    const direct = options as SuperOfficeWebhookClientDirectOptions
    if (!direct.accessToken && !direct.getAccessToken) {
      throw new TypeError(
        'createSuperOfficeWebhookClient: pass api and tenant (Online), or baseUrl with accessToken or getAccessToken.',
      )
    }
    const { baseUrl, accessToken, getAccessToken, authScheme, appToken, signal: _signal, ...limits } = direct
    const token = getAccessToken ?? (accessToken as string)
    api = createSuperOfficeApi({
      ...limits,
      endpoint: baseUrl,
      accessToken: typeof token === 'string' ? token : () => token(),
      accessTokenScheme: authScheme ?? 'Bearer',
      ...(appToken ? { applicationToken: appToken } : {}),
    })
    // A fixed address serves one installation; the name only labels its requests.
    tenant = 'Default'
  }

  const call = async <T>(
    method: string,
    path: string,
    schema: z.ZodType<T> | undefined,
    body?: unknown,
  ): Promise<T> => {
    const [route, search] = path.split('?') as [string, string | undefined]
    const label = `${method} /api/v1/Webhook${route}`
    const secret = body && typeof body === 'object' ? (body as { Secret?: unknown }).Secret : undefined
    const json = await api.request<unknown>(tenant, method, `/Webhook${route}`, {
      ...(body === undefined ? {} : { body }),
      ...(search ? { query: Object.fromEntries(new URLSearchParams(search)) } : {}),
      redact: typeof secret === 'string' ? [secret] : [],
      ...(options.signal ? { signal: options.signal } : {}),
    })
    if (!schema) return undefined as T
    const parsed = schema.safeParse(json)
    if (!parsed.success) {
      throw new SuperOfficeApiError(200, label, `unexpected answer: ${parsed.error.issues[0]?.message}`)
    }
    return parsed.data
  }

  const webhooks = z.array(superOfficeWebhookSchema)
  const client: SuperOfficeWebhookClient = {
    list(filter = {}) {
      const query = new URLSearchParams()
      for (const [key, value] of Object.entries(filter)) if (value) query.set(key, value)
      const qs = query.toString()
      return call('GET', qs ? `?${qs}` : '', webhooks)
    },
    getDefault: () => call('GET', '/default', superOfficeWebhookSchema),
    get: (id) => call('GET', `/${id}`, superOfficeWebhookSchema),
    create: (webhook) => call('POST', '', superOfficeWebhookSchema, { Type: 'webhook', State: 'Active', ...webhook }),
    update: (id, webhook) => call('PUT', `/${id}`, superOfficeWebhookSchema, { ...webhook, WebhookId: id }),
    delete: (id) => call('DELETE', `/${id}`, undefined),
    test: (webhook) => call('POST', '/Test', superOfficeWebhookTestResultSchema, { Type: 'webhook', ...webhook }),
    signal: (eventName, primaryKey, body) =>
      call('POST', `/${encodeURIComponent(eventName)}/${primaryKey}`, undefined, body ?? {}),
    lastError: async (id) => (await call('GET', `/${id}/LastError`, z.string().nullable())) ?? '',
    async restart(id) {
      const webhook = await client.get(id)
      return client.update(id, { ...webhook, State: 'Active' } as SuperOfficeWebhook)
    },
  }
  return client
}
