import type { ResolvedEnvironment } from './environment.js'
import { exchange, isRetryable, jsonOf, type Limits, messageOf, retryWait, SuperOfficeApiError, sleep } from './http.js'

/**
 * Where a tenant lives now, as SuperOffice's state API says.
 *
 * @example
 * ```ts
 * const { endpoint, state } = await api.endpoint('Cust12345') // https://online3.superoffice.com/Cust12345
 * ```
 */
export interface SuperOfficeTenantEndpoint {
  tenant: string
  /** The tenant's root, on its current numbered host: `https://online3.superoffice.com/Cust12345`. */
  endpoint: string
  /** `Running`, `OnlineMaintenance`, `Suspended`… */
  state: string
  isRunning: boolean
  /** When to look again (epoch ms). */
  validUntil: number
}

/**
 * The tenant is not in a state that serves API calls (suspended, in offline maintenance,
 * provisioning, deleted…). Its `state` names SuperOffice's state.
 *
 * @example
 * ```ts
 * catch (error) { if (error instanceof SuperOfficeTenantStateError) console.warn(error.tenant, error.state) }
 * ```
 */
export class SuperOfficeTenantStateError extends Error {
  override readonly name = 'SuperOfficeTenantStateError'
  constructor(
    readonly tenant: string,
    readonly state: string,
  ) {
    super(`SuperOffice tenant ${tenant} is ${state}, not running: its API is not available now.`)
  }
}

const MIN_CACHE_MS = 5_000
const MAX_CACHE_MS = 60 * 60_000

/** The state API with a cache per tenant, kept until `ValidUntil` and dropped on a 421 or a Move. */
export function createEndpointCache(environment: ResolvedEnvironment, limits: Limits) {
  const cache = new Map<string, SuperOfficeTenantEndpoint>()
  const pending = new Map<string, Promise<SuperOfficeTenantEndpoint>>()

  const lookUp = async (tenant: string): Promise<SuperOfficeTenantEndpoint> => {
    const label = `GET /api/state/${tenant}`
    for (let attempt = 0; ; attempt++) {
      let answer: Awaited<ReturnType<typeof exchange>> | undefined
      try {
        answer = await exchange(limits, label, environment.stateUrl(tenant), {
          method: 'GET',
          headers: { Accept: 'application/json' },
        })
      } catch (error) {
        if (!isRetryable(error) || attempt >= limits.retries) throw error
      }
      if (answer && answer.status === 200) return parseState(tenant, answer, label, environment)
      if (answer && answer.status !== 429 && answer.status < 500) {
        throw new SuperOfficeApiError(answer.status, label, messageOf(answer.text))
      }
      if (attempt >= limits.retries) {
        throw new SuperOfficeApiError(answer?.status ?? 0, label, messageOf(answer?.text ?? ''))
      }
      await sleep(retryWait(limits, answer, attempt, label))
    }
  }

  return {
    /** The tenant's endpoint; a tenant that is not running throws {@link SuperOfficeTenantStateError}. */
    async get(tenant: string): Promise<SuperOfficeTenantEndpoint> {
      let entry = cache.get(tenant)
      if (!entry || entry.validUntil <= Date.now()) {
        let lookup = pending.get(tenant)
        if (!lookup) {
          lookup = lookUp(tenant).finally(() => pending.delete(tenant))
          pending.set(tenant, lookup)
        }
        entry = await lookup
        cache.set(tenant, entry)
      }
      if (!entry.isRunning) throw new SuperOfficeTenantStateError(tenant, entry.state)
      return entry
    },
    /** Forgets a tenant's endpoint: the next call asks the state API again. */
    forget(tenant: string): void {
      cache.delete(tenant)
    },
  }
}

function parseState(
  tenant: string,
  answer: Awaited<ReturnType<typeof exchange>>,
  label: string,
  environment: ResolvedEnvironment,
): SuperOfficeTenantEndpoint {
  const body = jsonOf(answer, label) as Record<string, unknown> | null
  const state = typeof body?.State === 'string' ? body.State : String(body?.State ?? 'Unknown')
  const isRunning = body?.IsRunning === true
  const validUntilRaw = typeof body?.ValidUntil === 'string' ? Date.parse(body.ValidUntil) : Number.NaN
  const now = Date.now()
  const validUntil = Number.isNaN(validUntilRaw)
    ? now + MIN_CACHE_MS
    : Math.min(now + MAX_CACHE_MS, Math.max(now + MIN_CACHE_MS, validUntilRaw))
  if (!isRunning) return { tenant, endpoint: '', state, isRunning, validUntil: Math.min(validUntil, now + 30_000) }
  if (body?.ContextIdentifier !== undefined && body.ContextIdentifier !== tenant) {
    throw new SuperOfficeApiError(
      200,
      label,
      `the state API answered for another tenant (${String(body.ContextIdentifier)})`,
    )
  }
  let url: URL
  try {
    url = new URL(String(body?.Endpoint))
  } catch {
    throw new SuperOfficeApiError(200, label, 'the state API named no usable Endpoint')
  }
  if (!environment.endpointAllowed(url)) {
    throw new SuperOfficeApiError(
      200,
      label,
      `the state API named an endpoint this environment does not allow (${url.origin}); no credential is sent there`,
    )
  }
  return { tenant, endpoint: url.href.replace(/\/+$/, ''), state, isRunning, validUntil }
}
