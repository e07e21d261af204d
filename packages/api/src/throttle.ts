import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterStoreAbstract,
} from 'rate-limiter-flexible'

/**
 * A per-tenant limit on calls to SuperOffice that the API client asks before each call. The
 * client's own limit (`concurrency`) holds per process; this one can be shared by every process.
 *
 * @example
 * ```ts
 * const api = createSuperOfficeApi({ ..., throttle: createSharedTenantThrottle({ redis }) })
 * ```
 */
export interface SuperOfficeTenantThrottle {
  /** Waits for the tenant's turn; resolves with the function that ends the call. */
  acquire(tenant: string, signal?: AbortSignal): Promise<() => void>
  /** SuperOffice answered 429 with this `Retry-After`: the tenant's calls wait that long, everywhere. */
  throttled(tenant: string, retryAfterMs: number): Promise<void>
  /** Resolves once the store is ready (PostgreSQL: its tables made); `acquire` waits for it too. */
  readonly ready: Promise<void>
}

/**
 * Options of {@link createSharedTenantThrottle}.
 *
 * @example
 * ```ts
 * const options: SharedTenantThrottleOptions = { redis, concurrency: 4, perSecond: 10 }
 * ```
 */
export type SharedTenantThrottleOptions = (
  | {
      /** An ioredis client (or Cluster) the limits live in. */
      redis: object
    }
  | {
      /** A node-postgres `Pool` the limits live in (a table made on first use). */
      postgres: object
    }
) & {
  /** Calls in flight per tenant across every process. Default 4. */
  concurrency?: number
  /** Calls started per tenant per second across every process. Default 10. */
  perSecond?: number
  /** Key prefix (Redis) or table name (PostgreSQL). Default `superoffice-throttle` / `superoffice_throttle`. */
  keyPrefix?: string
  /**
   * How long a call's slot is held at most (a process killed mid-call frees it then). Default
   * 35 s: the client's request timeout and a margin.
   */
  slotTtlMs?: number
  /** The longest wait for a turn before the call fails. Default 5 minutes. */
  maxWaitMs?: number
}

/**
 * One throttle per tenant shared by every process and worker: calls in flight and calls per
 * second, kept in Redis or PostgreSQL by rate-limiter-flexible, and a 429 from SuperOffice holds
 * the tenant back for its `Retry-After` in every process, not only in the one that met it. Eight
 * worker processes then make `concurrency` calls at once against a tenant, not eight times that.
 * When the store cannot be reached, each process falls back to the same limits in its own memory
 * (rate-limiter-flexible's insurance limiter), so calls go on, limited per process.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { createSharedTenantThrottle, createSuperOfficeApi } from '@superoffice-webhooks/api'
 *
 * const api = createSuperOfficeApi({
 *   environment: 'online',
 *   applicationToken: process.env.SUPEROFFICE_APP_TOKEN!,
 *   privateKey: process.env.SUPEROFFICE_PRIVATE_KEY!,
 *   systemUserToken: (tenant) => tokens.get(tenant)!,
 *   throttle: createSharedTenantThrottle({ redis: new Redis(process.env.REDIS_URL!), concurrency: 4, perSecond: 10 }),
 * })
 * ```
 */
export function createSharedTenantThrottle(options: SharedTenantThrottleOptions): SuperOfficeTenantThrottle {
  const concurrency = options.concurrency ?? 4
  const perSecond = options.perSecond ?? 10
  if (!(Number.isInteger(concurrency) && concurrency > 0) || !(Number.isInteger(perSecond) && perSecond > 0)) {
    throw new RangeError('createSharedTenantThrottle: concurrency and perSecond must be whole numbers of at least 1.')
  }
  const slotSeconds = Math.max(1, Math.ceil((options.slotTtlMs ?? 35_000) / 1000))
  const maxWaitMs = options.maxWaitMs ?? 5 * 60_000
  const prefix = options.keyPrefix ?? ('redis' in options ? 'superoffice-throttle' : 'superoffice_throttle')
  // Each limiter is backed by the same limits in memory while the store cannot be reached.
  const tables: Promise<void>[] = []
  const make = (name: string, points: number, duration: number): RateLimiterStoreAbstract => {
    const insuranceLimiter = new RateLimiterMemory({ keyPrefix: `${prefix}-${name}`, points, duration })
    if ('redis' in options) {
      return new RateLimiterRedis({
        storeClient: options.redis,
        keyPrefix: `${prefix}-${name}`,
        points,
        duration,
        insuranceLimiter,
      })
    }
    let made: (error?: unknown) => void = () => {}
    tables.push(
      new Promise<void>((resolve, reject) => {
        made = (error) => (error ? reject(error) : resolve())
      }),
    )
    return new RateLimiterPostgres(
      { storeClient: options.postgres, tableName: `${prefix}_${name}`, points, duration, insuranceLimiter },
      (error?: unknown) => made(error),
    )
  }
  // A slot is a key of one point that expires: taken by consume, freed by delete.
  const slots = make('slot', 1, slotSeconds)
  const rate = make('rate', perSecond, 1)
  const hold = make('hold', 1, 1)
  // A store that cannot make its tables: the insurance limiters answer (per process).
  const ready = Promise.all(tables).then(() => undefined)
  const settled = ready.catch(() => undefined)

  const wait = (ms: number, signal: AbortSignal | undefined) =>
    new Promise<void>((resolve, reject) => {
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
  /** The limiter's refusal (a RateLimiterRes): how long until it may allow; other errors are thrown. */
  const refusedFor = (error: unknown): number => {
    if (error instanceof RateLimiterRes) return Math.max(error.msBeforeNext, 1)
    throw error
  }

  return {
    ready,
    async acquire(tenant, signal) {
      await settled
      const deadline = Date.now() + maxWaitMs
      const giveUp = () => {
        if (Date.now() > deadline) {
          throw new Error(`the shared throttle gave tenant ${tenant} no turn within ${Math.round(maxWaitMs / 1000)} s`)
        }
      }
      // SuperOffice asked this tenant to wait (a 429 met by any process).
      for (;;) {
        const held = await hold.get(tenant).catch(() => null)
        if (!held || held.consumedPoints <= 1 || held.msBeforeNext <= 0) break
        giveUp()
        await wait(Math.min(held.msBeforeNext, 1000), signal)
      }
      // A slot of the tenant's `concurrency`, polled with backoff while all are taken.
      let key: string | undefined
      for (let delay = 10; key === undefined; delay = Math.min(delay * 2, 250)) {
        const first = Math.floor(Math.random() * concurrency)
        for (let n = 0; n < concurrency && key === undefined; n++) {
          const candidate = `${tenant}:${(first + n) % concurrency}`
          try {
            await slots.consume(candidate)
            key = candidate
          } catch (error) {
            refusedFor(error)
          }
        }
        if (key !== undefined) break
        giveUp()
        await wait(delay + Math.random() * delay, signal)
      }
      const taken = key
      const release = () => void slots.delete(taken).catch(() => {})
      // Then the tenant's calls per second.
      try {
        for (;;) {
          try {
            await rate.consume(tenant)
            break
          } catch (error) {
            const ms = refusedFor(error)
            giveUp()
            await wait(ms + Math.random() * 20, signal)
          }
        }
      } catch (error) {
        release()
        throw error
      }
      let released = false
      return () => {
        if (released) return
        released = true
        release()
      }
    },
    async throttled(tenant, retryAfterMs) {
      // Two points in the hold key: past its limit, so `get` shows it held, for the time asked.
      // At most an hour, whatever a Retry-After says.
      const seconds = Math.max(1, Math.ceil(Math.min(retryAfterMs, 60 * 60_000) / 1000))
      await hold.set(tenant, 2, seconds).catch(() => {})
    },
  }
}
