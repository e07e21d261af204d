// Redis going away under a receiver: 'refuse' answers 500 (SuperOffice retries), 'accept' handles
// without a duplicate check. The Koa example on Redis is tested as a process in e2e/.

import { createSuperOfficeWebhooks, type SuperOfficeWebhooksOptions } from '@superoffice-webhooks/core'
import { superOfficeWebhooks } from '@superoffice-webhooks/koa'
import { hasRedis, startRedisServer, type TestRedisServer } from '@superoffice-webhooks/test-utils/servers'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { Redis } from 'ioredis'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createRedisDedupeStore } from '../src/index.js'

const secret = 'production-secret'

function post(url: string, event: object | string, key = secret) {
  const { body, headers } = signedPayload(event, { secret: key })
  return fetch(`${url}/webhooks/superoffice`, { method: 'POST', body, headers })
}

describe.runIf(hasRedis)('Redis going away mid-run', () => {
  let redis: TestRedisServer
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterAll(async () => {
    await redis?.stop()
  })

  async function start(onStoreError: 'refuse' | 'accept') {
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 })
    client.on('error', () => {})
    await client.ping() // connected before the first delivery: a busy machine may take a while
    const logger = { warn: vi.fn(), error: vi.fn() }
    const options: SuperOfficeWebhooksOptions = {
      secret,
      logger,
      dedupe: { store: createRedisDedupeStore(client, { commandTimeoutMs: 2000 }), onStoreError },
    }
    const webhooks = createSuperOfficeWebhooks(options)
    const handled: string[] = []
    webhooks.on('sale.sold', (event) => void handled.push(event.EventId))
    const server = new Koa().use(superOfficeWebhooks(webhooks)).listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    return {
      url,
      handled,
      logger,
      close: async () => {
        await new Promise((resolve) => server.close(resolve))
        client.disconnect()
      },
    }
  }

  it("'refuse': 500 dedupe_unavailable while Redis is down (SuperOffice retries), logged; back to 200 after", async () => {
    const app = await start('refuse')
    try {
      expect((await post(app.url, createTestEvent('sale.sold'))).status).toBe(200)
      await redis.kill()
      const during = createTestEvent('sale.sold')
      const response = await post(app.url, during)
      expect(response.status).toBe(500)
      expect(await response.json()).toMatchObject({ error: 'dedupe_unavailable' })
      expect(app.handled).not.toContain(during.EventId)
      expect(app.logger.error).toHaveBeenCalledWith(expect.stringContaining('dedupe_unavailable'), expect.any(Error))
      await redis.restart()
      await vi.waitFor(async () => expect((await post(app.url, during)).status).toBe(200), {
        timeout: 180_000,
        interval: 200,
      })
      expect(app.handled).toContain(during.EventId)
      expect((await post(app.url, during)).status).toBe(200)
      expect(app.handled.filter((id) => id === during.EventId)).toHaveLength(1)
    } finally {
      await app.close()
    }
  })

  it("'accept': 200 without a duplicate check while Redis is down, with a warning", async () => {
    const app = await start('accept')
    try {
      await redis.kill()
      const during = createTestEvent('sale.sold')
      expect((await post(app.url, during)).status).toBe(200)
      expect(app.handled).toContain(during.EventId)
      expect(app.logger.warn).toHaveBeenCalledWith(
        expect.stringContaining('without a duplicate check'),
        expect.any(Error),
      )
    } finally {
      await redis.restart()
      await app.close()
    }
  })
})
