// The same claim/complete/release semantics as the Redis store, on a PostgreSQL the suite starts.
import { hasPostgres, startPostgresServer, type TestPostgresServer } from '@superoffice-webhooks/test-utils/servers'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPostgresDedupeStore as createStore, type PostgresDedupeStoreOptions } from '../src/index.js'

// Generous query bounds where the bound is not what is tested: a busy machine may be slow.
const createPostgresDedupeStore = (
  client: Parameters<typeof createStore>[0],
  options: PostgresDedupeStoreOptions = {},
) => createStore(client, { commandTimeoutMs: 15_000, ...options })

describe.runIf(hasPostgres)('createPostgresDedupeStore against a real PostgreSQL', () => {
  let server: TestPostgresServer
  const pools: pg.Pool[] = []
  const pool = () => {
    const made = new pg.Pool({ connectionString: server.url, max: 20 })
    made.on('error', () => {})
    pools.push(made)
    return made
  }
  beforeAll(async () => {
    server = await startPostgresServer()
  })
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end().catch(() => {})))
    await server?.stop()
  })

  it('claims once; complete keeps the key; release frees it', async () => {
    const store = createPostgresDedupeStore(pool())
    expect(await store.claim('a', 10_000)).toBe(true)
    expect(await store.claim('a', 10_000)).toBe(false)
    await store.complete('a', 60_000)
    expect(await store.claim('a', 10_000)).toBe(false)
    expect(await store.claim('b', 10_000)).toBe(true)
    await store.release('b')
    expect(await store.claim('b', 10_000)).toBe(true)
  })

  it('100 concurrent claims of one key from two pools: exactly one wins', async () => {
    const one = createPostgresDedupeStore(pool())
    const two = createPostgresDedupeStore(pool())
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? one : two).claim('contended', 10_000)),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
  })

  it('a claim expires, so a crash mid-handler does not block retries for ever', async () => {
    const store = createPostgresDedupeStore(pool())
    expect(await store.claim('crashed', 200)).toBe(true)
    expect(await store.claim('crashed', 200)).toBe(false)
    await new Promise((r) => setTimeout(r, 400))
    expect(await store.claim('crashed', 10_000)).toBe(true)
  })

  it("a late release does not free another instance's newer claim", async () => {
    const one = createPostgresDedupeStore(pool())
    const two = createPostgresDedupeStore(pool())
    expect(await one.claim('handover', 200)).toBe(true)
    await new Promise((r) => setTimeout(r, 400))
    expect(await two.claim('handover', 10_000)).toBe(true)
    await one.release('handover') // the first instance's handler failed late
    expect(await one.claim('handover', 10_000)).toBe(false)
  })

  it('keeps its rows in the named table, created on first use; expired rows are swept', async () => {
    const client = pool()
    const store = createPostgresDedupeStore(client, { table: 'public.so_claims', sweepEvery: 5 })
    for (let i = 0; i < 4; i++) expect(await store.claim(`s${i}`, 1)).toBe(true)
    await new Promise((r) => setTimeout(r, 50))
    expect(await store.claim('s4', 10_000)).toBe(true) // the fifth claim sweeps
    await new Promise((r) => setTimeout(r, 200))
    const { rows } = await client.query('SELECT key FROM public.so_claims ORDER BY key')
    expect(rows.map((r) => r.key)).toEqual(['s4'])
  })

  it('two instances starting at once both create the table and work (IF NOT EXISTS is not atomic)', async () => {
    const stores = Array.from({ length: 6 }, () => createPostgresDedupeStore(pool(), { table: 'fresh_claims' }))
    const results = await Promise.all(stores.map((store, i) => store.claim(`first-${i}`, 10_000)))
    expect(results).toEqual(stores.map(() => true))
  })

  it('fails within commandTimeoutMs when PostgreSQL stops answering', async () => {
    const own = await startPostgresServer()
    const client = new pg.Pool({ connectionString: own.url })
    client.on('error', () => {})
    try {
      // The table is made and a claim works under the generous bound; only the paused server meets
      // the short one, so a slow machine cannot fail the first step.
      expect(await createPostgresDedupeStore(client).claim('before', 10_000)).toBe(true)
      const store = createPostgresDedupeStore(client, { commandTimeoutMs: 300, createTable: false })
      own.pause()
      await expect(store.claim('paused', 1000)).rejects.toThrow(/did not answer within 300 ms/)
    } finally {
      own.resume()
      await client.end().catch(() => {})
      await own.stop()
    }
  })

  it('a claim that lands after its bound is given back, so the retry SuperOffice sends is handled', async () => {
    const own = await startPostgresServer()
    // One connection: its queries run in order, so a query sent after the resume runs after the late claim.
    const client = new pg.Client({ connectionString: own.url })
    client.on('error', () => {})
    await client.connect()
    try {
      expect(await createPostgresDedupeStore(client).claim('before', 10_000)).toBe(true)
      const store = createPostgresDedupeStore(client, { commandTimeoutMs: 300, createTable: false })
      own.pause()
      try {
        await expect(store.claim('late', 60_000)).rejects.toThrow(/did not answer within 300 ms/)
      } finally {
        own.resume()
      }
      await client.query('SELECT 1') // the late claim has run
      let left = 1
      for (let i = 0; i < 200 && left > 0; i++) {
        const { rows } = await client.query('SELECT key FROM superoffice_webhooks_dedupe WHERE key = $1', ['late'])
        left = rows.length
        if (left > 0) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(left).toBe(0)
      expect(await createPostgresDedupeStore(client, { createTable: false }).claim('late', 60_000)).toBe(true)
    } finally {
      await client.end().catch(() => {})
      await own.stop()
    }
  })

  it('refuses something that is not a PostgreSQL client, and a table name that is not plain', () => {
    expect(() => createPostgresDedupeStore({} as never)).toThrow(/needs a node-postgres Pool/)
    expect(() => createPostgresDedupeStore(pool(), { table: 'x; DROP TABLE y' })).toThrow(/not a plain table name/)
  })
})
