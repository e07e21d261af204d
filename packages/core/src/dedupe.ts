/**
 * Where the pipeline remembers which EventIds it has handled. `claim` must be atomic: of several
 * concurrent claims of one key, exactly one gets `true`.
 *
 * @example
 * ```ts
 * const store: SuperOfficeDedupeStore = {
 *   claim: (key, ttlMs) => db.insertIfAbsent(key, ttlMs),
 *   complete: (key, ttlMs) => db.touch(key, ttlMs),
 *   release: (key) => db.delete(key),
 * }
 * createSuperOfficeWebhooks({ secret, dedupe: { store } })
 * ```
 */
export interface SuperOfficeDedupeStore {
  /**
   * Claims a key for `ttlMs` while its handlers run. `true`: this delivery owns the event.
   * `false`: it is being handled or was handled already.
   */
  claim(key: string, ttlMs: number): boolean | Promise<boolean>
  /** The event was handled: remember the key for `ttlMs`. */
  complete(key: string, ttlMs: number): void | Promise<void>
  /** The handlers failed: forget the claim so SuperOffice's retry is handled. */
  release(key: string): void | Promise<void>
}

/** Options of {@link createMemoryDedupeStore}. */
export interface MemoryDedupeStoreOptions {
  /** Most keys kept; the oldest go first when it is reached. Default 100,000 (about 15 MB). */
  maxEntries?: number
  /** Clock, for tests. */
  now?: () => number
}

/** The in-memory store, with its size for monitoring. */
export interface MemoryDedupeStore extends SuperOfficeDedupeStore {
  /** Keys held now (expired ones may linger until swept). */
  readonly size: number
  /** Forgets everything. */
  clear(): void
}

/**
 * A bounded in-memory dedupe store: keys expire after their TTL, and the oldest are dropped once
 * `maxEntries` is reached. Right for one instance; several instances need a shared store such
 * as `@superoffice-webhooks/redis`.
 *
 * @example
 * ```ts
 * import { createMemoryDedupeStore, createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
 *
 * const webhooks = createSuperOfficeWebhooks({
 *   secret,
 *   dedupe: { store: createMemoryDedupeStore({ maxEntries: 10_000 }) },
 * })
 * ```
 */
export function createMemoryDedupeStore(options: MemoryDedupeStoreOptions = {}): MemoryDedupeStore {
  const maxEntries = options.maxEntries ?? 100_000
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer.')
  const now = options.now ?? Date.now
  // Insertion order is (nearly) expiry order, so the oldest key is the first to check and to evict.
  const expiries = new Map<string, number>()

  let claims = 0
  const sweep = (time: number) => {
    // Every 16th claim drops up to 64 expired keys from the old end: claim stays O(1) on average
    // while expired keys drain faster than new ones arrive.
    if ((++claims & 15) !== 0) return
    let steps = 0
    for (const [key, expiresAt] of expiries) {
      if (expiresAt > time || steps++ >= 64) break
      expiries.delete(key)
    }
  }

  const insert = (key: string, expiresAt: number) => {
    expiries.set(key, expiresAt)
    if (expiries.size > maxEntries) {
      const oldest = expiries.keys().next()
      if (!oldest.done) expiries.delete(oldest.value)
    }
  }

  return {
    claim(key, ttlMs) {
      const time = now()
      sweep(time)
      const expiresAt = expiries.get(key)
      if (expiresAt !== undefined) {
        if (expiresAt > time) return false
        // Re-inserted at the young end, so the old end stays (nearly) in expiry order.
        expiries.delete(key)
      }
      insert(key, time + ttlMs)
      return true
    },
    complete(key, ttlMs) {
      // Updated in place: keys stay in claim order, which is close enough to expiry order for the
      // sweep, and a delete plus re-insert per event is measurable on the hot path. (A key evicted
      // meanwhile comes back at the young end.)
      if (expiries.size >= maxEntries && !expiries.has(key)) insert(key, now() + ttlMs)
      else expiries.set(key, now() + ttlMs)
    },
    release(key) {
      expiries.delete(key)
    },
    get size() {
      return expiries.size
    },
    clear() {
      expiries.clear()
    },
  }
}

/**
 * The key an event is claimed under: the tenant, escaped so that it never contains the `:` that
 * separates it from the EventId (a tenant named `a:b` must not collide with tenant `a` and an
 * EventId starting `b:`), then the EventId.
 *
 * @example
 * ```ts
 * dedupeKey('Cust12345', '88f91933-…') // 'Cust12345:88f91933-…'
 * dedupeKey('a:b', 'c')                // 'a%3Ab:c'
 * ```
 */
export function dedupeKey(tenant: string | undefined, eventId: string): string {
  // Only a tenant holding ':' or '%' is encoded: every other key stays as before, and an encoded
  // tenant (which holds '%') can never equal an unencoded one (which does not).
  if (tenant === undefined) return `:${eventId}`
  const safe = tenant.includes(':') || tenant.includes('%') ? encodeURIComponent(tenant) : tenant
  return `${safe}:${eventId}`
}
