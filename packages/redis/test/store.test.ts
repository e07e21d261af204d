import type { SuperOfficeDedupeStore } from '@superoffice-webhooks/core'
import { hasRedis, startRedisServer, type TestRedisServer } from '@superoffice-webhooks/test-utils/servers'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisDedupeStore } from '../src/index.js'

// Without redis-server the suite is skipped loudly (hasRedis prints why); in CI it fails instead.
describe.runIf(hasRedis)('createRedisDedupeStore against a real redis-server', () => {
  let server: TestRedisServer
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    await server?.stop()
  })

  const clients: [
    string,
    () => Promise<{
      store: SuperOfficeDedupeStore
      raw: (key: string) => Promise<unknown>
      close: () => Promise<void>
    }>,
  ][] = [
    [
      'ioredis',
      async () => {
        const client = new Redis(server.url)
        return {
          store: createRedisDedupeStore(client, { prefix: 'io:' }),
          raw: (key) => client.get(`io:${key}`),
          close: async () => void client.disconnect(),
        }
      },
    ],
    [
      'node-redis',
      async () => {
        const client = createClient({ url: server.url })
        await client.connect()
        return {
          store: createRedisDedupeStore(client, { prefix: 'nr:' }),
          raw: (key) => client.get(`nr:${key}`),
          close: async () => void (await client.quit()),
        }
      },
    ],
  ]

  for (const [name, connect] of clients) {
    describe(name, () => {
      it('claims once; complete keeps the key; release frees it', async () => {
        const { store, raw, close } = await connect()
        try {
          expect(await store.claim('a', 10_000)).toBe(true)
          expect(await store.claim('a', 10_000)).toBe(false)
          await store.release('a')
          expect(await raw('a')).toBeNull()
          expect(await store.claim('a', 10_000)).toBe(true)
          await store.complete('a', 60_000)
          expect(await raw('a')).toBe('done')
          expect(await store.claim('a', 10_000)).toBe(false)
        } finally {
          await close()
        }
      })

      it('100 concurrent claims of one key from two clients: exactly one wins', async () => {
        const one = await connect()
        const two = await connect()
        try {
          const results = await Promise.all(
            Array.from({ length: 100 }, (_, i) => (i % 2 ? one.store : two.store).claim('race', 10_000)),
          )
          expect(results.filter(Boolean)).toHaveLength(1)
        } finally {
          await one.close()
          await two.close()
        }
      })

      it('a claim expires, so a crash mid-handler does not block retries for ever', async () => {
        const { store, close } = await connect()
        try {
          expect(await store.claim('expiring', 50)).toBe(true)
          await new Promise((r) => setTimeout(r, 120))
          expect(await store.claim('expiring', 50)).toBe(true)
        } finally {
          await close()
        }
      })

      it("a late release does not free another instance's newer claim", async () => {
        const one = await connect()
        const two = await connect()
        try {
          expect(await one.store.claim('handover', 50)).toBe(true)
          await new Promise((r) => setTimeout(r, 120))
          expect(await two.store.claim('handover', 10_000)).toBe(true)
          await one.store.release('handover')
          expect(await one.store.claim('handover', 10_000)).toBe(false)
        } finally {
          await one.close()
          await two.close()
        }
      })
    })
  }

  it('fails within commandTimeoutMs when Redis stops answering', async () => {
    const client = new Redis(server.url)
    const store = createRedisDedupeStore(client, { commandTimeoutMs: 200 })
    await client.ping()
    server.pause()
    try {
      const started = Date.now()
      await expect(store.claim('paused', 1000)).rejects.toThrow(/did not answer SET within 200 ms/)
      expect(Date.now() - started).toBeLessThan(15_000) // bounded, not hung: a busy machine may be slow
    } finally {
      server.resume()
      client.disconnect()
    }
  })

  it('a claim that runs after its bound is released right behind it, so the retry SuperOffice sends is handled', async () => {
    const client = new Redis(server.url)
    const other = new Redis(server.url)
    const store = createRedisDedupeStore(client, { commandTimeoutMs: 200 })
    await client.ping()
    server.pause()
    try {
      // The pipeline answered 500 for this claim; the SET is still in Redis's socket and runs on resume.
      await expect(store.claim('late', 60_000)).rejects.toThrow(/did not answer SET within 200 ms/)
    } finally {
      server.resume()
    }
    try {
      // One connection runs its commands in order: the SET, its release right behind it, then
      // this PING. So once the PING is answered the claim is gone: no window for a retry to meet it.
      await client.ping()
      expect(await other.get('superoffice-webhooks:late')).toBeNull()
      expect(await createRedisDedupeStore(other).claim('late', 60_000)).toBe(true)
    } finally {
      client.disconnect()
      other.disconnect()
    }
  })

  it('refuses something that is not a Redis client', () => {
    expect(() => createRedisDedupeStore({} as never)).toThrow(/ioredis client or a connected node-redis client/)
  })
})
