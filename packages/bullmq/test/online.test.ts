// The inbox's workers and SuperOffice Online's throttling: handlers fetch the entity behind each
// event from the Online stand-in, which answers 429 past 10 calls a second per tenant. A burst of
// 200 events for one tenant must end with every job completed and none failed.
import { generateKeyPairSync } from 'node:crypto'
import { createSuperOfficeApi, reconcile } from '@superoffice-webhooks/api'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { hasRedis, startRedisServer, type TestRedisServer } from '@superoffice-webhooks/test-utils/servers'
import { createTestEvent, signedPayload, startSuperOfficeOnline } from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBullMQInbox } from '../src/index.js'
import { secret, until } from './helpers.js'

let redis: TestRedisServer
beforeAll(async () => {
  if (hasRedis) redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})

describe.runIf(hasRedis)('inbox workers calling a throttled SuperOffice Online', () => {
  it('200 sale.changed events for one tenant at 10 calls/s: every job completes, none fails', {
    timeout: 180_000,
  }, async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const online = await startSuperOfficeOnline({ appPublicKey: publicKey, rateLimitPerSecond: 10 })
    const api = createSuperOfficeApi({
      environment: { authority: online.authority },
      applicationToken: online.applicationToken,
      privateKey,
      systemUserToken: 'Cust12345-system-user',
    })
    const inbox = createBullMQInbox({ connection: redis.url, queueName: 'online-throttled' })
    const webhooks = createSuperOfficeWebhooks({ secret, inbox, api, logger: false })
    const fetched = new Set<number>()
    webhooks.on('sale.changed', async (_event, context) => {
      const sale = await context.fetchEntity()
      if (sale?.SaleId) fetched.add(sale.SaleId)
    })
    try {
      for (let i = 1; i <= 200; i++) {
        const event = createTestEvent('sale.changed', { PrimaryKey: i, ContextIdentifier: 'Cust12345' })
        const { body, headers } = signedPayload(event, { secret })
        expect((await webhooks.handle({ rawBody: body, headers })).status).toBe(200)
      }
      await webhooks.start({ concurrency: 20 })
      await until(() => fetched.size === 200, 150_000, 'every sale fetched')
      await until(async () => (await inbox.stats()).completed === 200, 10_000, 'every job completed')
      expect(await inbox.stats()).toMatchObject({ completed: 200, failed: 0 })
      expect(online.calls.some((c) => c.status === 429)).toBe(true) // the limit was met, and waited out
    } finally {
      await webhooks.close()
      await online.close()
    }
  })

  it('reconcile into the inbox: each recovered row is one job, run by the worker with context.reconciled; a second run stores nothing new', {
    timeout: 180_000,
  }, async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const online = await startSuperOfficeOnline({ appPublicKey: publicKey })
    const since = new Date(Date.now() - 60 * 60_000)
    for (let id = 1; id <= 40; id++)
      online.put('Cust12345', 'Sale', id, { SaleId: id }, { updatedAt: new Date(Date.now() - id * 60_000) })
    const api = createSuperOfficeApi({
      environment: { authority: online.authority },
      applicationToken: online.applicationToken,
      privateKey,
      systemUserToken: 'Cust12345-system-user',
    })
    const inbox = createBullMQInbox({ connection: redis.url, queueName: 'reconciled', logger: false })
    const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
    const recovered = new Set<number>()
    let runs = 0
    webhooks.on('sale.changed', (event, { reconciled }) => {
      runs++
      if (reconciled) recovered.add(event.PrimaryKey)
    })
    try {
      const first = await reconcile({ api, webhooks, tenant: 'Cust12345', since, entities: ['sale'], pageSize: 15 })
      expect(first.entities.sale).toEqual({ rows: 40, queued: 40, handled: 0, duplicate: 0 })
      await webhooks.start({ concurrency: 4 })
      await until(() => recovered.size === 40, 60_000, 'every recovered row')
      const again = await reconcile({ api, webhooks, tenant: 'Cust12345', since, entities: ['sale'], pageSize: 15 })
      expect(again.total).toBe(40)
      await until(async () => (await inbox.stats()).completed === 40, 30_000, 'the jobs completed')
      expect(await inbox.stats()).toMatchObject({ completed: 40, waiting: 0, failed: 0 }) // the same job ids: dropped
      expect(runs).toBe(40)
    } finally {
      await webhooks.close()
      await online.close()
    }
  })
})
