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
  // A ring of `maxEntries` slots in claim order: claim number n goes to slot n % maxEntries and
  // evicts whatever key still owns that slot. The Map says which slot each key owns; a slot whose
  // key gave it up (released, or claimed afresh after expiry) is stale and evicts nothing. The order is never read by iterating the Map from its old end: V8 leaves a hole for
  // every deleted key until it rehashes, and finding the oldest key behind tens of thousands of
  // holes cost up to 90 µs per claim once the store was full. Slots grow with use up to the cap.
  const slots = new Map<string, number>()
  let keys: (string | undefined)[] = []
  // A slot's expiry; NaN once its key no longer owns it, so eviction needs no Map lookup to tell.
  let expiries = new Float64Array(Math.min(maxEntries, 1024))
  let claimed = 0 // claims ever inserted: the next one goes to slot claimed % maxEntries
  let swept = 0 // claims the sweep has passed

  const insert = (key: string, expiresAt: number) => {
    const slot = claimed++ % maxEntries
    if (slot >= expiries.length) {
      const grown = new Float64Array(Math.min(maxEntries, expiries.length * 2))
      grown.set(expiries)
      expiries = grown
    }
    const previous = keys[slot]
    if (previous !== undefined && !Number.isNaN(expiries[slot])) slots.delete(previous)
    keys[slot] = key
    expiries[slot] = expiresAt
    slots.set(key, slot)
  }

  const disown = (key: string, slot: number) => {
    expiries[slot] = Number.NaN
    slots.delete(key)
  }

  let calls = 0
  const sweep = (time: number) => {
    // Every 16th claim drops up to 64 stale or expired slots from the old end: claim stays O(1)
    // while expired keys drain faster than new ones arrive.
    if ((++calls & 15) !== 0) return
    swept = Math.max(swept, claimed - maxEntries)
    for (let steps = 0; steps < 64 && swept < claimed; steps++, swept++) {
      const slot = swept % maxEntries
      const key = keys[slot]
      const expiresAt = expiries[slot] as number
      if (key !== undefined && !Number.isNaN(expiresAt)) {
        if (expiresAt > time) return
        disown(key, slot)
      }
      keys[slot] = undefined
    }
  }

  return {
    claim(key, ttlMs) {
      const time = now()
      sweep(time)
      const slot = slots.get(key)
      if (slot !== undefined) {
        if ((expiries[slot] as number) > time) return false
        // Expired: claimed afresh at the young end (the old slot goes stale).
        disown(key, slot)
      }
      insert(key, time + ttlMs)
      return true
    },
    complete(key, ttlMs) {
      // Updated in place: the key keeps its claim position, close enough to expiry order for the
      // sweep. A key evicted meanwhile comes back at the young end.
      const slot = slots.get(key)
      if (slot !== undefined) expiries[slot] = now() + ttlMs
      else insert(key, now() + ttlMs)
    },
    release(key) {
      const slot = slots.get(key)
      if (slot !== undefined) disown(key, slot)
    },
    get size() {
      return slots.size
    },
    clear() {
      slots.clear()
      keys = []
      expiries = new Float64Array(Math.min(maxEntries, 1024))
      claimed = 0
      swept = 0
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
