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
    const { dedupeKey } = await import('../src/index.js')
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
