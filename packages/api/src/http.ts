/**
 * An answer from SuperOffice that was not a success, with what SuperOffice said. Never holds a
 * ticket, an access token, the application token or a webhook secret.
 *
 * @example
 * ```ts
 * try { await api.request('Cust12345', 'GET', '/Sale/12') } catch (error) {
 *   if (error instanceof SuperOfficeApiError) console.error(error.status, error.superOfficeMessage)
 * }
 * ```
 */
export class SuperOfficeApiError extends Error {
  override readonly name = 'SuperOfficeApiError'
  /**
   * What went wrong, for code to branch on: `unreachable` (no answer: network, timeout),
   * `unauthorized` (401, 403), `not_found` (404), `moved` (421, the tenant's host changed),
   * `throttled` (429), `refused` (another 4xx: SuperOffice said no), `server_error` (5xx),
   * `invalid_answer` (an answer that is not what the API documents: not JSON, too large, a
   * redirect that is not followed).
   */
  readonly code: SuperOfficeApiErrorCode
  constructor(
    /** The HTTP status (0 when SuperOffice could not be reached or the answer was unusable before a status). */
    readonly status: number,
    /** `GET /api/v1/Sale/12`: the method and path, without query secrets. */
    readonly request: string,
    /** SuperOffice's own message (its `Error`, `Message` or text body), or what went wrong. */
    readonly superOfficeMessage: string,
    /**
     * Set when the call failed because SuperOffice throttled the tenant (429) for longer than the
     * client waits: how long SuperOffice asked to wait, in ms. The inbox reads it to hold that
     * tenant's jobs for that time without using an attempt.
     */
    readonly retryAfterMs?: number,
  ) {
    super(`${request} failed${status ? ` with ${status}` : ''}: ${superOfficeMessage}`)
    this.code = codeOf(status)
  }
}

/**
 * The kinds of {@link SuperOfficeApiError}.
 *
 * @example
 * ```ts
 * if (error instanceof SuperOfficeApiError && error.code === 'not_found') return null
 * ```
 */
export type SuperOfficeApiErrorCode =
  | 'unreachable'
  | 'unauthorized'
  | 'not_found'
  | 'moved'
  | 'throttled'
  | 'refused'
  | 'server_error'
  | 'invalid_answer'

function codeOf(status: number): SuperOfficeApiErrorCode {
  if (status === 0) return 'unreachable'
  if (status === 401 || status === 403) return 'unauthorized'
  if (status === 404) return 'not_found'
  if (status === 421) return 'moved'
  if (status === 429) return 'throttled'
  if (status >= 500) return 'server_error'
  if (status >= 400) return 'refused'
  return 'invalid_answer'
}

/** How the HTTP layer behaves; every field has a default. */
export interface HttpLimits {
  /** A `fetch` of your own (proxies, tests). Default the global one. */
  fetch?: typeof fetch
  /** Per-request timeout, to the last byte of the answer. Default 30 s. */
  timeoutMs?: number
  /** The largest answer read; a larger one fails the call without being read further. Default 4 MiB. */
  maxResponseBytes?: number
  /** Retries of a 429, 503, other 5xx or a network failure. Default 3. */
  retries?: number
  /** First retry delay, doubled each time (a `Retry-After` header wins). Default 500 ms. */
  retryDelayMs?: number
  /** The longest `Retry-After` waited for; a longer one fails the call at once, naming the value. Default 60 s. */
  maxRetryAfterMs?: number
  /**
   * How many 429s in a row one call takes before it fails, whatever `Retry-After` says (a server
   * that asks for no wait at all must not make the client loop). Default 30.
   */
  maxThrottledRetries?: number
}

/** One exchange's result: the status, headers and the (bounded) body text. */
export interface Exchange {
  status: number
  headers: Headers
  text: string
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/** Remembers every credential the client handled, and removes them from any text it reports. */
export class Redactor {
  private readonly secrets = new Set<string>()
  remember(value: unknown): void {
    if (typeof value === 'string' && value.length >= 4) this.secrets.add(value)
  }
  redact(text: string): string {
    let out = text
    for (const secret of this.secrets) out = out.split(secret).join('[redacted]')
    // Control characters from a server's text would reach terminals and log lines raw: shown
    // escaped (`\x1b`) instead. Line breaks and tabs stay; a terminal printer escapes those itself.
    return out.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
  }
}

const MAX_REDIRECTS = 5

/** Resolved limits. */
export function limitsOf(limits: HttpLimits = {}) {
  return {
    fetch: limits.fetch ?? ((input: string | URL | Request, init?: RequestInit) => fetch(input, init)),
    timeoutMs: limits.timeoutMs ?? 30_000,
    maxResponseBytes: limits.maxResponseBytes ?? 4 * 1024 * 1024,
    retries: limits.retries ?? 3,
    retryDelayMs: limits.retryDelayMs ?? 500,
    maxRetryAfterMs: limits.maxRetryAfterMs ?? 60_000,
    maxThrottledRetries: Math.max(0, limits.maxThrottledRetries ?? 30),
  }
}

export type Limits = ReturnType<typeof limitsOf>

/**
 * One request and its whole answer: redirects followed only within `url`'s origin (a redirect
 * elsewhere would carry the credentials to another host, so it fails the call, naming where it
 * pointed), the timeout covering the body, and the body bounded. Network failures and timeouts are
 * `SuperOfficeApiError`s with status 0 and `retryable` set.
 */
export async function exchange(
  limits: Limits,
  label: string,
  url: string,
  init: RequestInit,
  cancel?: AbortSignal,
): Promise<Exchange> {
  cancel?.throwIfAborted()
  const timeout = AbortSignal.timeout(limits.timeoutMs)
  const signal = cancel ? AbortSignal.any([timeout, cancel]) : timeout
  const origin = new URL(url).origin
  let current = url
  let request: RequestInit = { ...init, redirect: 'manual', signal }
  try {
    for (let hop = 0; ; hop++) {
      const response = await limits.fetch(current, request)
      if (response.status >= 300 && response.status < 400 && response.status !== 304) {
        const location = response.headers.get('location')
        await response.body?.cancel().catch(() => {})
        if (location) {
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
          if (
            response.status === 303 ||
            ((response.status === 301 || response.status === 302) && request.method !== 'GET')
          ) {
            const { body: _body, ...rest } = request
            request = { ...rest, method: 'GET' }
          }
          current = target.href
          continue
        }
        return { status: response.status, headers: response.headers, text: '' }
      }
      const text = await readBounded(response, limits.maxResponseBytes, label)
      return { status: response.status, headers: response.headers, text }
    }
  } catch (error) {
    if (error instanceof SuperOfficeApiError) throw error
    // The caller gave up (Ctrl+C, a stopped watchdog): its reason, not a retryable network failure.
    if (cancel?.aborted) throw cancel.reason
    const reason = signal.aborted
      ? `no complete answer within ${limits.timeoutMs} ms`
      : `SuperOffice could not be reached (${(error as Error).message})`
    throw Object.assign(new SuperOfficeApiError(0, label, reason), { retryable: true })
  }
}

/** Whether an error from {@link exchange} is a network failure worth another try. */
export function isRetryable(error: unknown): boolean {
  return (error as { retryable?: unknown } | null)?.retryable === true
}

/** No wait between two attempts is shorter than this, whatever the peer or the options say. */
export const MIN_RETRY_WAIT_MS = 10
/** Exponential backoff stops doubling here. */
const MAX_BACKOFF_MS = 30_000

/**
 * How long to wait before retrying a throttled or failed answer (429, 5xx): its `Retry-After`, or
 * exponential backoff (`retryDelayMs` doubled per attempt) when there is none or it asks for less
 * than `retryDelayMs` (a time in the past, `0`, a fraction of a millisecond). Throws when
 * SuperOffice asks for longer than `maxRetryAfterMs`.
 */
export function retryWait(limits: Limits, answer: Exchange | undefined, attempt: number, label: string): number {
  const after = answer ? retryAfterMs(answer.headers.get('retry-after')) : undefined
  if (after !== undefined && after > limits.maxRetryAfterMs && answer) {
    throw new SuperOfficeApiError(
      answer.status,
      label,
      `throttled: SuperOffice asks to retry after ${Math.round(after / 1000)} s, more than the ${Math.round(limits.maxRetryAfterMs / 1000)} s this client waits (maxRetryAfterMs)`,
      answer.status === 429 ? after : undefined,
    )
  }
  const floor = Math.max(MIN_RETRY_WAIT_MS, limits.retryDelayMs)
  if (after !== undefined && after >= floor) return after
  return Math.min(MAX_BACKOFF_MS, floor * 2 ** Math.min(attempt, 16))
}

/**
 * The `Retry-After` of an answer when it is one to honour as pacing: at least the floor
 * (`retryDelayMs`, never under 10 ms). `undefined` when absent, unreadable, zero, past or shorter.
 */
export function pacedRetryAfterMs(limits: Limits, answer: Exchange): number | undefined {
  const after = retryAfterMs(answer.headers.get('retry-after'))
  return after !== undefined && after >= Math.max(MIN_RETRY_WAIT_MS, limits.retryDelayMs) ? after : undefined
}

/** Waits `ms`; rejects with the signal's reason as soon as it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
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
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return new TextDecoder().decode(out)
}

/** `Retry-After` in milliseconds: seconds or an HTTP date; `undefined` when absent or unreadable. */
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return seconds > 0 ? seconds * 1000 : undefined
  const date = Date.parse(header)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - Date.now())
}

/** JSON from an answer, or a clear error naming what came instead. */
export function jsonOf(answer: Exchange, label: string): unknown {
  if (!answer.text) return null
  try {
    return JSON.parse(answer.text)
  } catch {
    const type = answer.headers.get('content-type')?.split(';')[0] || 'no content type'
    throw new SuperOfficeApiError(answer.status, label, `the answer is not JSON (${type}): ${snippet(answer.text)}`)
  }
}

function snippet(text: string): string {
  const trimmed = text.trim()
  return trimmed.length > 120 ? `${trimmed.slice(0, 120)}…` : trimmed
}

/** SuperOffice's message from an error body: its `Error`, `Message` or `ErrorMessage` field, or the text itself. */
export function messageOf(text: string): string {
  try {
    const body = JSON.parse(text) as unknown
    if (typeof body === 'string') return body
    if (body && typeof body === 'object') {
      const record = body as Record<string, unknown>
      for (const key of ['Error', 'Message', 'ErrorMessage', 'message', 'error']) {
        if (typeof record[key] === 'string' && record[key]) return record[key] as string
      }
    }
  } catch {}
  return text.trim().slice(0, 500) || '(no message)'
}
