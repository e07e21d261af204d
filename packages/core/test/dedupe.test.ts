import { describe, expect, it } from 'vitest'
import { createMemoryDedupeStore } from '../src/index.js'

describe('createMemoryDedupeStore', () => {
  it('claims once until released or expired', () => {
    let now = 0
    const store = createMemoryDedupeStore({ now: () => now })
    expect(store.claim('a', 100)).toBe(true)
    expect(store.claim('a', 100)).toBe(false)
    store.release('a')
    expect(store.claim('a', 100)).toBe(true)
    now = 101
    expect(store.claim('a', 100)).toBe(true)
  })

  it('keeps a completed key for the completion TTL', () => {
    let now = 0
    const store = createMemoryDedupeStore({ now: () => now })
    store.claim('a', 10)
    store.complete('a', 1000)
    now = 500
    expect(store.claim('a', 10)).toBe(false)
    now = 1001
    expect(store.claim('a', 10)).toBe(true)
  })

  it('never holds more than maxEntries keys, dropping the oldest', () => {
    const store = createMemoryDedupeStore({ maxEntries: 1000 })
    for (let i = 0; i < 10_000; i++) store.claim(`k${i}`, 60_000)
    expect(store.size).toBe(1000)
    expect(store.claim('k9999', 60_000)).toBe(false)
    expect(store.claim('k0', 60_000)).toBe(true)
  })

  it('evicts by claim order: a released and re-claimed key counts from its new claim', () => {
    const store = createMemoryDedupeStore({ maxEntries: 3 })
    store.claim('a', 60_000)
    store.claim('b', 60_000)
    store.release('a')
    store.claim('a', 60_000) // now younger than b
    store.claim('c', 60_000)
    store.claim('d', 60_000) // over the cap: b goes, not a
    expect(store.size).toBe(3)
    expect(store.claim('a', 60_000)).toBe(false)
    expect(store.claim('b', 60_000)).toBe(true)
  })

  it('evicts by claim order: a key claimed again after expiry counts from its new claim', () => {
    let now = 0
    const store = createMemoryDedupeStore({ maxEntries: 2, now: () => now })
    store.claim('a', 10)
    store.claim('b', 1000)
    now = 20
    expect(store.claim('a', 1000)).toBe(true) // expired, claimed afresh: younger than b
    store.claim('c', 1000) // over the cap: b goes
    expect(store.claim('a', 1000)).toBe(false)
    expect(store.claim('b', 1000)).toBe(true)
  })

  it('keeps a key evicted between claim and completion once it completes', () => {
    const store = createMemoryDedupeStore({ maxEntries: 1 })
    store.claim('a', 60_000)
    store.claim('b', 60_000) // evicts a while its handlers run
    store.complete('a', 60_000)
    expect(store.claim('a', 60_000)).toBe(false)
    expect(store.size).toBe(1)
  })

  it('stays correct through many release and claim cycles at the cap', () => {
    const store = createMemoryDedupeStore({ maxEntries: 100 })
    for (let i = 0; i < 50_000; i++) {
      const key = `k${i}`
      expect(store.claim(key, 60_000)).toBe(true)
      if (i % 3 === 0) store.release(key)
      else store.complete(key, 60_000)
    }
    expect(store.size).toBeLessThanOrEqual(100)
    // The newest completed keys are the ones held.
    expect(store.claim('k49999', 60_000)).toBe(false)
    expect(store.claim('k49997', 60_000)).toBe(false)
    // Released (49998 is a multiple of 3): handled again on retry.
    expect(store.claim('k49998', 60_000)).toBe(true)
    store.clear()
    expect(store.size).toBe(0)
    expect(store.claim('k49999', 60_000)).toBe(true)
  })

  it('agrees with a plain model over 250,000 random claims, completions and releases', () => {
    // The model: a key is held until released, expired, or until maxEntries claims after its own
    // claim (the ring's eviction). Sweeping drops expired keys early, which no claim can tell; a
    // completion after expiry could (the store re-inserts a swept key), so none is made then: the
    // pipeline completes a key while its claim still holds.
    for (const maxEntries of [1, 3, 7, 64, 700]) {
      let time = 0
      const store = createMemoryDedupeStore({ maxEntries, now: () => time })
      const held = new Map<string, { claim: number; expiresAt: number }>()
      const byClaim = new Map<number, string>()
      let claims = 0
      const insert = (key: string, expiresAt: number) => {
        const n = claims++
        const evicted = byClaim.get(n - maxEntries)
        if (evicted !== undefined && held.get(evicted)?.claim === n - maxEntries) held.delete(evicted)
        byClaim.delete(n - maxEntries)
        held.set(key, { claim: n, expiresAt })
        byClaim.set(n, key)
      }
      let seed = 12345 + maxEntries
      const random = (n: number) => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
        return (seed >>> 8) % n
      }
      for (let step = 0; step < 50_000; step++) {
        time += random(3)
        const key = `k${random(maxEntries * 3)}`
        const ttl = 1 + random(40)
        const op = random(10)
        if (op < 6) {
          const entry = held.get(key)
          const expected = !(entry && entry.expiresAt > time)
          if (expected) {
            if (entry) held.delete(key)
            insert(key, time + ttl)
          }
          // expect() only on a disagreement: 500,000 matcher calls cost more than the store itself.
          const got = store.claim(key, ttl)
          if (got !== expected) expect({ step, maxEntries, key, got }).toEqual({ step, maxEntries, key, got: expected })
        } else if (op < 9) {
          const entry = held.get(key)
          if (entry && entry.expiresAt <= time) continue
          if (entry) entry.expiresAt = time + ttl
          else insert(key, time + ttl)
          store.complete(key, ttl)
        } else {
          held.delete(key)
          store.release(key)
        }
        if (store.size > Math.min(maxEntries, held.size)) {
          expect({ step, size: store.size }).toEqual({ step, size: Math.min(maxEntries, held.size) })
        }
      }
    }
  }, 120_000)

  it('keeps working across table rebuilds and growth up to a large cap', () => {
    const store = createMemoryDedupeStore({ maxEntries: 5000 })
    for (let i = 0; i < 40_000; i++) {
      if (store.claim(`e${i}`, 60_000) !== true) expect({ i, claimed: false }).toEqual({ i, claimed: true })
      if (i % 7 === 0) store.release(`e${i}`)
      else store.complete(`e${i}`, 60_000)
      // A recent key is still held; one 5,000 claims back is gone.
      if (i > 10 && (i - 10) % 7 !== 0 && store.claim(`e${i - 10}`, 60_000) !== false) {
        expect({ i, reclaimed: true }).toEqual({ i, reclaimed: false })
      }
    }
    expect(store.size).toBeLessThanOrEqual(5000)
    expect(store.claim('e0', 60_000)).toBe(true)
  })

  it('tells apart keys that differ in one character, and keeps long or non-Latin-1 keys exactly', () => {
    const store = createMemoryDedupeStore({ maxEntries: 50 })
    const long = `Cust12345:${'x'.repeat(80)}`
    const keys = ['a', 'b', 'ab', 'ba', '', 'Cust:é', 'Cust:€', 'Cust:😀', long, `${long}y`, `${'z'.repeat(63)}`]
    for (const key of keys) expect(store.claim(key, 60_000)).toBe(true)
    for (const key of keys) expect(store.claim(key, 60_000)).toBe(false)
    expect(store.claim('Cust:e', 60_000)).toBe(true)
    expect(store.claim(`${'z'.repeat(64)}`, 60_000)).toBe(true)
    store.release(long)
    expect(store.claim(long, 60_000)).toBe(true)
    expect(store.claim(`${long}y`, 60_000)).toBe(false)
    // Evicted long keys are forgotten too.
    for (let i = 0; i < 60; i++) store.claim(`filler${i}`, 60_000)
    expect(store.claim(`${long}y`, 60_000)).toBe(true)
    expect(store.size).toBeLessThanOrEqual(50)
  })

  it('sweeps expired keys as it goes', () => {
    let now = 0
    const store = createMemoryDedupeStore({ now: () => now })
    for (let i = 0; i < 100; i++) store.claim(`k${i}`, 10)
    now = 20
    for (let i = 0; i < 100; i++) store.claim(`n${i}`, 10)
    expect(store.size).toBeLessThan(200)
  })

  it('refuses a nonsensical cap', () => {
    expect(() => createMemoryDedupeStore({ maxEntries: 0 })).toThrow(RangeError)
  })
})

describe('dedupeKey', () => {
  it('is injective: escaped tenants never meet plain ones or each other', async () => {
    const { dedupeKey } = await import('../src/dedupe.js')
    const pairs: [string | undefined, string][] = [
      ['a:b', 'c'],
      ['a', 'b:c'],
      ['a%3Ab', 'c'],
      ['a%b', 'c'],
      ['', 'x'],
      [undefined, 'x'],
      ['Cust12345', 'e1'],
    ]
    const keys = pairs.map(([t, e]) => dedupeKey(t, e))
    expect(new Set(keys.slice(0, 4)).size).toBe(4)
    expect(dedupeKey('Cust12345', 'e1')).toBe('Cust12345:e1')
  })
})
