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
 * const input: SuperOfficeWebhookInput = { Name: 'crm-sync', Events: ['sale.sold'], TargetUrl: url, Secret: secret }
 * ```
 */
export type SuperOfficeWebhookInput = Partial<Omit<SuperOfficeWebhook, 'WebhookId'>> & {
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
 * An answer from SuperOffice that was not a success, with what SuperOffice said. Never holds the
 * access token or a webhook secret.
 *
 * @example
 * ```ts
 * try { await client.create(input) } catch (error) {
 *   if (error instanceof SuperOfficeApiError) console.error(error.status, error.superOfficeMessage)
 * }
 * ```
 */
export class SuperOfficeApiError extends Error {
  override readonly name = 'SuperOfficeApiError'
  constructor(
    /** The HTTP status (0 when SuperOffice could not be reached). */
    readonly status: number,
    /** `GET /api/v1/Webhook/12`: the method and path, without query secrets. */
    readonly request: string,
    /** SuperOffice's own message (its `Error`, `Message` or text body), or the network error. */
    readonly superOfficeMessage: string,
  ) {
    super(`${request} failed${status ? ` with ${status}` : ''}: ${superOfficeMessage}`)
  }
}

/**
 * Options of {@link createSuperOfficeWebhookClient}.
 *
 * @example
 * ```ts
 * const options: SuperOfficeWebhookClientOptions = { baseUrl, getAccessToken: () => tokens.current() }
 * ```
 */
export interface SuperOfficeWebhookClientOptions {
  /** The tenant's API base: `https://online.superoffice.com/Cust12345` (the `/api/v1` part is added). */
  baseUrl: string
  /** A bearer access token (or a system user ticket, with `authScheme: 'SOTicket'`). */
  accessToken?: string
  /** Fetches a fresh token per request, for tokens that expire. Takes precedence over `accessToken`. */
  getAccessToken?: () => string | Promise<string>
  /** `Bearer` (default) or `SOTicket`. */
  authScheme?: 'Bearer' | 'SOTicket'
  /** `SO-AppToken`, for Online apps calling from a server. */
  appToken?: string
  /** Retries of a 429 or 5xx answer or a network failure, with exponential backoff. Default 3. */
  retries?: number
  /** First retry delay; doubles each time (a `Retry-After` header wins). Default 500 ms. */
  retryDelayMs?: number
  /** Per-request timeout. Default 30 s (saving a webhook waits for SuperOffice's test call). */
  timeoutMs?: number
  /** A `fetch` of your own (proxies, tests). Default the global one. */
  fetch?: typeof fetch
  /**
   * The longest `Retry-After` the client waits for. A throttled answer asking for longer fails
   * the call at once with the value, rather than putting the caller to sleep. Default 60 s.
   */
  maxRetryAfterMs?: number
  /** The largest answer read; a larger one fails the call (and is not read further). Default 4 MiB. */
  maxResponseBytes?: number
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
  create(webhook: SuperOfficeWebhookInput): Promise<SuperOfficeWebhook>
  /** `PUT /Webhook/{id}`: the whole webhook (read it first, change what you need). Tests the target like `create`. */
  update(id: number, webhook: SuperOfficeWebhookInput | SuperOfficeWebhook): Promise<SuperOfficeWebhook>
  /** `DELETE /Webhook/{id}`. */
  delete(id: number): Promise<void>
  /** `POST /Webhook/Test`: pings the target with a `test` event. */
  test(webhook: SuperOfficeWebhookInput | SuperOfficeWebhook): Promise<SuperOfficeWebhookTestResult>
  /** `POST /Webhook/{eventName}/{primaryKey}`: signals a (custom) event to every webhook subscribed to it. */
  signal(eventName: string, primaryKey: number, body?: Record<string, unknown>): Promise<void>
  /** `GET /Webhook/{id}/LastError`: the last failed answer SuperOffice recorded ('' when none). */
  lastError(id: number): Promise<string>
  /** Sets a stopped webhook (`TooManyErrors`, `Stopped`) back to `Active`. */
  restart(id: number): Promise<SuperOfficeWebhook>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Creates a client for SuperOffice's Webhook API (`…/api/v1/Webhook`). Answers are validated with
 * zod; a refusal throws a {@link SuperOfficeApiError} with SuperOffice's own message; 429, 5xx and
 * network failures are retried with backoff. Nothing is logged, and no error holds the token or a
 * secret.
 *
 * @example
 * ```ts
 * import { createSuperOfficeWebhookClient } from '@superoffice-webhooks/admin'
 *
 * const client = createSuperOfficeWebhookClient({
 *   baseUrl: 'https://online.superoffice.com/Cust12345',
 *   accessToken: process.env.SUPEROFFICE_ACCESS_TOKEN!,
 * })
 * const stopped = await client.list({ statusFilter: 'TooManyErrors' })
 * ```
 */
export function createSuperOfficeWebhookClient(options: SuperOfficeWebhookClientOptions): SuperOfficeWebhookClient {
  const base = `${options.baseUrl.replace(/\/+$/, '').replace(/\/api(\/v1)?$/i, '')}/api/v1/Webhook`
  const retries = options.retries ?? 3
  const retryDelayMs = options.retryDelayMs ?? 500
  const timeoutMs = options.timeoutMs ?? 30_000
  const doFetch = options.fetch ?? fetch
  if (!options.accessToken && !options.getAccessToken) {
    throw new TypeError('createSuperOfficeWebhookClient: pass accessToken or getAccessToken.')
  }

  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000
  const maxResponseBytes = options.maxResponseBytes ?? 4 * 1024 * 1024
  const origin = new URL(base).origin
  // Whatever SuperOffice (or something in its place) echoes back, no credential is ever printed.
  const secrets = new Set<string>()
  const remember = (value: string | undefined) => {
    if (value && value.length >= 4) secrets.add(value)
  }
  remember(options.accessToken)
  remember(options.appToken)
  const redact = (text: string) => {
    let out = text
    for (const secret of secrets) out = out.split(secret).join('[redacted]')
    return out
  }
  const fail = (status: number, label: string, message: string) =>
    new SuperOfficeApiError(status, label, redact(message))

  const call = async <T>(
    method: string,
    path: string,
    schema: z.ZodType<T> | undefined,
    body?: unknown,
  ): Promise<T> => {
    const label = `${method} /api/v1/Webhook${path.split('?')[0]}`
    if (body && typeof body === 'object') remember((body as { Secret?: unknown }).Secret as string | undefined)
    for (let attempt = 0; ; attempt++) {
      const token = options.getAccessToken ? await options.getAccessToken() : (options.accessToken as string)
      remember(token)
      const headers: Record<string, string> = {
        Accept: 'application/json',
        Authorization: `${options.authScheme ?? 'Bearer'} ${token}`,
      }
      if (options.appToken) headers['SO-AppToken'] = options.appToken
      if (body !== undefined) headers['Content-Type'] = 'application/json; charset=utf-8'
      const signal = AbortSignal.timeout(timeoutMs)
      let response: Response
      let text: string
      try {
        response = await fetchSameOrigin(doFetch, `${base}${path}`, origin, label, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal,
        })
        text = await readBounded(response, maxResponseBytes, label)
      } catch (error) {
        if (error instanceof SuperOfficeApiError) throw fail(error.status, label, error.superOfficeMessage)
        if (attempt < retries) {
          await sleep(retryDelayMs * 2 ** attempt)
          continue
        }
        const reason = signal.aborted
          ? `no complete answer within ${timeoutMs} ms`
          : `SuperOffice could not be reached (${(error as Error).message})`
        throw fail(0, label, reason)
      }
      if (response.ok) {
        if (!schema) return undefined as T
        let json: unknown = null
        if (text) {
          try {
            json = JSON.parse(text)
          } catch {
            throw fail(response.status, label, `the answer is not JSON (${contentTypeOf(response)}): ${snippet(text)}`)
          }
        }
        const parsed = schema.safeParse(json)
        if (!parsed.success) {
          throw fail(response.status, label, `unexpected answer: ${parsed.error.issues[0]?.message}`)
        }
        return parsed.data
      }
      if ((response.status === 429 || response.status >= 500) && attempt < retries) {
        const after = retryAfterMs(response.headers.get('retry-after'))
        if (after !== undefined && after > maxRetryAfterMs) {
          throw fail(
            response.status,
            label,
            `throttled: SuperOffice asks to retry after ${Math.round(after / 1000)} s, more than the ${Math.round(maxRetryAfterMs / 1000)} s this client waits (maxRetryAfterMs)`,
          )
        }
        await sleep(after ?? retryDelayMs * 2 ** attempt)
        continue
      }
      throw fail(response.status, label, messageOf(text))
    }
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

const MAX_REDIRECTS = 5

/**
 * `fetch` that follows redirects only within the API's origin. A redirect elsewhere would carry
 * the token, the app token and (on create and update) the webhook secret to another host, so it
 * fails the call, naming where it pointed.
 */
async function fetchSameOrigin(
  doFetch: typeof fetch,
  url: string,
  origin: string,
  label: string,
  init: RequestInit,
): Promise<Response> {
  let current = url
  let request = init
  for (let hop = 0; ; hop++) {
    const response = await doFetch(current, { ...request, redirect: 'manual' })
    if (response.status < 300 || response.status >= 400 || response.status === 304) return response
    const location = response.headers.get('location')
    await response.body?.cancel().catch(() => {})
    if (!location) return response
    const target = new URL(location, current)
    if (target.origin !== origin) {
      throw new SuperOfficeApiError(
        response.status,
        label,
        `redirected to another origin (${target.origin}); not followed, so no credential leaves ${origin}`,
      )
    }
    if (hop >= MAX_REDIRECTS) throw new SuperOfficeApiError(response.status, label, 'too many redirects')
    // 303 (and, as browsers do, 301/302 of a POST) continue as a GET without the body.
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && request.method !== 'GET')) {
      const { body: _body, ...rest } = request
      request = { ...rest, method: 'GET' }
    }
    current = target.href
  }
}

/** The body as text, refusing more than `limit` bytes without reading them. */
async function readBounded(response: Response, limit: number, label: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => {})
    throw new SuperOfficeApiError(response.status, label, `the answer is larger than ${limit} bytes (maxResponseBytes)`)
  }
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      throw new SuperOfficeApiError(
        response.status,
        label,
        `the answer is larger than ${limit} bytes (maxResponseBytes)`,
      )
    }
    chunks.push(value)
  }
  return new TextDecoder().decode(concat(chunks, size))
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
}

/** `Retry-After` in milliseconds: seconds or an HTTP date; `undefined` when absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return seconds > 0 ? seconds * 1000 : undefined
  const date = Date.parse(header)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - Date.now())
}

function contentTypeOf(response: Response): string {
  return response.headers.get('content-type')?.split(';')[0] || 'no content type'
}

function snippet(text: string): string {
  const trimmed = text.trim()
  return trimmed.length > 120 ? `${trimmed.slice(0, 120)}…` : trimmed
}

/** SuperOffice's message from an error body: its `Error` or `Message` field, or the text itself. */
function messageOf(text: string): string {
  try {
    const body = JSON.parse(text) as unknown
    if (typeof body === 'string') return body
    if (body && typeof body === 'object') {
      const record = body as Record<string, unknown>
      for (const key of ['Error', 'Message', 'message', 'error']) {
        if (typeof record[key] === 'string' && record[key]) return record[key] as string
      }
    }
  } catch {}
  return text.trim().slice(0, 500) || '(no message)'
}
