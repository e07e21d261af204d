import { encodeKeyPart, hasLoneSurrogate } from './encode-key.js'
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
  /** Most keys kept; the oldest go first when it is reached. Default 100,000 (about 10 MB). */
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
  // Keys live in a ring of `maxEntries` slots in claim order: claim number n takes slot
  // n % maxEntries and evicts the key still there. A hash table of our own (open addressing,
  // linear probing, at most half full) finds a key's slot. Everything is in typed arrays, the keys
  // too (their characters, in a fixed-width arena): the garbage collector has nothing to walk,
  // a key string dies young instead of being promoted and marked, and a lookup touches one or
  // two cache lines. (A Map of 100,000 key strings made every major GC mark them all, and finding
  // its oldest key cost up to 90 µs once full: V8 keeps a hole per deleted key until it rehashes.)
  // At least 2.5 entries per key: probes stay short, and a full ring never needs a bigger table.
  const maxTable = 2 ** Math.ceil(Math.log2(maxEntries * 2.5))
  // A per-store seed: collisions computed for one process do not carry over to another.
  const seed = (Math.random() * 0x1_0000_0000) | 0
  let chars = new Uint8Array(0) // per slot: length, then up to KEY_CHARS Latin-1 characters
  const longKeys = new Map<number, string>() // slots whose key does not fit (rare)
  let positions = new Int32Array(0) // the table index that points at each slot; -1: slot free
  let expiries = new Float64Array(0)
  // Pairs: [0 empty, else slot + 1] then the key's hash, side by side so that a probe reads one
  // cache line.
  let table = new Int32Array(2 * Math.min(maxTable, 1024))
  let live = 0
  let claimed = 0 // claims ever inserted: the next one goes to slot claimed % maxEntries
  let swept = 0 // claims the sweep has passed
  // The key at hand, encoded in one pass: its hash, and its characters in `scratch` when they fit
  // the arena. claim and complete of one delivery get the same string: it is encoded once.
  const scratch = new Uint8Array(KEY_WIDTH)
  let lastKey: string | undefined
  let lastHash = 0
  let lastFits = false

  const encode = (key: string): number => {
    if (key === lastKey) return lastHash
    let h = seed
    let fits = key.length <= KEY_CHARS
    for (let i = 0; i < key.length; i++) {
      const code = key.charCodeAt(i)
      h = Math.imul(h ^ code, 0x01000193)
      if (code > 0xff) fits = false
      else if (fits) scratch[i + 1] = code
    }
    scratch[0] = key.length
    h ^= h >>> 16
    h = Math.imul(h, 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
    lastKey = key
    lastHash = h
    lastFits = fits
    return h
  }

  /** Whether `slot` holds `key`, which was the last key encoded. */
  const keyEquals = (slot: number, key: string): boolean => {
    const base = slot * KEY_WIDTH
    const length = chars[base] as number
    if (length === LONG) return longKeys.get(slot) === key
    if (!lastFits || length !== key.length) return false
    for (let i = 1; i <= length; i++) if (chars[base + i] !== scratch[i]) return false
    return true
  }

  /** Stores the last key encoded in `slot`. */
  const storeKey = (slot: number, key: string) => {
    const base = slot * KEY_WIDTH
    if (lastFits) {
      for (let i = 0; i <= key.length; i++) chars[base + i] = scratch[i] as number
    } else {
      chars[base] = LONG
      longKeys.set(slot, key)
    }
  }

  /** The slot holding `key`, or -1. */
  const find = (key: string, hash: number): number => {
    const mask = (table.length >> 1) - 1
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const entry = table[2 * i] as number
      if (entry === 0) return -1
      if (table[2 * i + 1] === hash && keyEquals(entry - 1, key)) return entry - 1
    }
  }

  const disown = (slot: number) => {
    // Backward-shift deletion: entries after the hole that probed past it move back into it, so
    // the table never fills with deleted markers and never needs a sweep of its own.
    const mask = (table.length >> 1) - 1
    let hole = positions[slot] as number
    for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
      const entry = table[2 * j] as number
      if (entry === 0) break
      const hash = table[2 * j + 1] as number
      // The entry at j may fill the hole if the hole lies on its probe path (home .. j).
      if (((j - (hash & mask)) & mask) >= ((j - hole) & mask)) {
        table[2 * hole] = entry
        table[2 * hole + 1] = hash
        positions[entry - 1] = hole
        hole = j
      }
    }
    table[2 * hole] = 0
    positions[slot] = -1
    if (chars[slot * KEY_WIDTH] === LONG) longKeys.delete(slot)
    live--
  }

  const growTable = (size: number) => {
    const old = table
    table = new Int32Array(2 * size)
    const mask = size - 1
    for (let j = 0; j < old.length; j += 2) {
      const entry = old[j] as number
      if (entry === 0) continue
      const hash = old[j + 1] as number
      let i = hash & mask
      while (table[2 * i] !== 0) i = (i + 1) & mask
      table[2 * i] = entry
      table[2 * i + 1] = hash
      positions[entry - 1] = i
    }
  }

  const growSlots = () => {
    const size = Math.min(maxEntries, Math.max(1024, expiries.length * 2))
    const copied = <T extends Uint8Array | Int32Array | Float64Array>(from: T, to: T): T => {
      to.set(from)
      return to
    }
    chars = copied(chars, new Uint8Array(size * KEY_WIDTH))
    positions = copied(positions, new Int32Array(size).fill(-1))
    expiries = copied(expiries, new Float64Array(size))
  }

  /** Adds a key known to be absent, evicting the oldest when the ring is full. */
  const insert = (key: string, hash: number, expiresAt: number) => {
    const slot = claimed++ % maxEntries
    if (slot >= expiries.length) growSlots()
    if ((positions[slot] as number) >= 0) disown(slot)
    // Doubled while more than half full; at its largest it is at most 40% full (2.5 per key).
    const capacity = table.length >> 1
    if ((live + 1) * 2 > capacity && capacity < maxTable) growTable(capacity * 2)
    const mask = (table.length >> 1) - 1
    let i = hash & mask
    while (table[2 * i] !== 0) i = (i + 1) & mask
    table[2 * i] = slot + 1
    table[2 * i + 1] = hash
    positions[slot] = i
    storeKey(slot, key)
    expiries[slot] = expiresAt
    live++
  }

  let calls = 0
  const sweep = (time: number) => {
    // Every 16th claim drops up to 64 expired keys from the old end: claim stays O(1) while
    // expired keys drain faster than new ones arrive.
    if ((++calls & 15) !== 0) return
    swept = Math.max(swept, claimed - maxEntries)
    for (let steps = 0; steps < 64 && swept < claimed; steps++, swept++) {
      const slot = swept % maxEntries
      if ((positions[slot] as number) < 0) continue
      if ((expiries[slot] as number) > time) return
      disown(slot)
    }
  }

  return {
    claim(key, ttlMs) {
      const time = now()
      sweep(time)
      const hash = encode(key)
      const slot = find(key, hash)
      if (slot !== -1) {
        if ((expiries[slot] as number) > time) return false
        // Expired: claimed afresh at the young end.
        disown(slot)
      }
      insert(key, hash, time + ttlMs)
      return true
    },
    complete(key, ttlMs) {
      // Updated in place: the key keeps its claim position, close enough to expiry order for the
      // sweep. A key evicted meanwhile comes back at the young end.
      const hash = encode(key)
      const slot = find(key, hash)
      if (slot !== -1) expiries[slot] = now() + ttlMs
      else insert(key, hash, now() + ttlMs)
    },
    release(key) {
      const slot = find(key, encode(key))
      if (slot !== -1) disown(slot)
    },
    get size() {
      return live
    },
    clear() {
      chars = new Uint8Array(0)
      longKeys.clear()
      positions = new Int32Array(0)
      expiries = new Float64Array(0)
      table = new Int32Array(2 * Math.min(maxTable, 1024))
      live = 0
      claimed = 0
      swept = 0
      lastKey = undefined
    },
  }
}

// The memory store's key arena: a length byte, then the key's characters when all are Latin-1
// (tenant, ':', EventId: ASCII in practice); longer or wider keys are kept as strings.
const KEY_WIDTH = 64
const KEY_CHARS = KEY_WIDTH - 1
const LONG = 0xff

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
  // Only a tenant holding ':' or '%' or a lone surrogate is encoded: every other key stays as
  // before, and an encoded tenant (which holds '%') never equals an unencoded one (which does
  // not). The EventId likewise, minus ':': a shared store writes keys as UTF-8, where every lone
  // surrogate would become U+FFFD and two events would share one key.
  const id = eventId.includes('%') || hasLoneSurrogate(eventId) ? encodeKeyPart(eventId) : eventId
  if (tenant === undefined) return `:${id}`
  const safe = tenant.includes(':') || tenant.includes('%') || hasLoneSurrogate(tenant) ? encodeKeyPart(tenant) : tenant
  return `${safe}:${id}`
}
