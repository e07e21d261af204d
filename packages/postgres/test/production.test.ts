// Several instances sharing one PostgreSQL, as the Redis store's suite does with Redis.

import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { superOfficeWebhooks } from '@superoffice-webhooks/koa'
import { sendLikeSuperOffice } from '@superoffice-webhooks/test-utils/contract'
import { hasPostgres, startPostgresServer, type TestPostgresServer } from '@superoffice-webhooks/test-utils/servers'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import Koa from 'koa'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPostgresDedupeStore } from '../src/index.js'

const secret = 'pg-production-secret'

describe.runIf(hasPostgres)('several instances sharing one PostgreSQL', () => {
  let server: TestPostgresServer
  beforeAll(async () => {
    server = await startPostgresServer()
  })
  afterAll(async () => {
    await server?.stop()
  })

  async function instance(onStoreError: 'refuse' | 'accept' = 'refuse', url = server.url) {
    const pool = new pg.Pool({ connectionString: url, max: 10 })
    pool.on('error', () => {})
    const webhooks = createSuperOfficeWebhooks({
      secret,
      logger: false,
      dedupe: { store: createPostgresDedupeStore(pool, { commandTimeoutMs: 5000 }), onStoreError },
    })
    const handled: string[] = []
    webhooks.onAny((event) => void handled.push(String(event.EventId)))
    const http = new Koa().use(superOfficeWebhooks(webhooks)).listen(0, '127.0.0.1')
    await new Promise((resolve) => http.once('listening', resolve))
    return {
      url: `http://127.0.0.1:${(http.address() as { port: number }).port}/webhooks/superoffice`,
      handled,
      close: async () => {
        await new Promise((resolve) => http.close(resolve))
        await pool.end().catch(() => {})
      },
    }
  }
  const post = (url: string, body: string) => {
    const { headers } = signedPayload(body, { secret })
    return fetch(url, { method: 'POST', body, headers })
  }

  it('600 deliveries, 30% duplicate EventIds, concurrency 30, over two instances, sent as SuperOffice sends: each handled once, all 200', async () => {
    const apps = [await instance(), await instance()]
    try {
      const unique = Array.from({ length: 420 }, () => JSON.stringify(createTestEvent('sale.sold')))
      const bodies = [...unique, ...Array.from({ length: 180 }, (_, i) => unique[(i * 7) % unique.length] as string)]
      const statuses: number[] = []
      let next = 0
      // Sent as SuperOffice sends (again after a 500 or a broken connection): on a busy machine a
      // claim may miss its bound, and the retry must then be handled, not taken for a duplicate.
      await Promise.all(
        Array.from({ length: 30 }, async () => {
          while (next < bodies.length) {
            const i = next++
            const url = (apps[i % 2] as { url: string }).url
            const { status } = await sendLikeSuperOffice(async () => (await post(url, bodies[i] as string)).status)
            statuses.push(status)
          }
        }),
      )
      expect(statuses.filter((s) => s !== 200)).toEqual([])
      const counts = new Map<string, number>()
      for (const app of apps) for (const id of app.handled) counts.set(id, (counts.get(id) ?? 0) + 1)
      expect(counts.size).toBe(420)
      expect([...counts.values()].every((n) => n === 1)).toBe(true)
      expect(apps.every((app) => app.handled.length > 50)).toBe(true)
    } finally {
      for (const app of apps) await app.close()
    }
  }, 120_000)

  it("PostgreSQL down: 'refuse' answers 500 dedupe_unavailable (SuperOffice retries); back to 200 after", async () => {
    const own = await startPostgresServer()
    const app = await instance('refuse', own.url)
    try {
      const before = JSON.stringify(createTestEvent('sale.sold'))
      expect((await post(app.url, before)).status).toBe(200)
      await own.kill()
      const during = JSON.stringify(createTestEvent('sale.sold'))
      const refused = await post(app.url, during)
      expect(refused.status).toBe(500)
      expect(await refused.json()).toMatchObject({ error: 'dedupe_unavailable' })
      await own.restart()
      let status = 0
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = (await post(app.url, during)).status
        if (status !== 200) await new Promise((r) => setTimeout(r, 100))
      }
      expect(status).toBe(200)
      expect(app.handled).toHaveLength(2)
    } finally {
      await app.close()
      await own.stop()
    }
  })
})
