// Each tenant's webhook secrets in Redis (issue 30): shared by every instance, read by the
// receiver through secretsFromStore, so a tenant is only ever verified with its own secret.

import { createSuperOfficeWebhooks, secretsFromStore, signPayload } from '@superoffice-webhooks/core'
import { hasRedis, startRedisServer, type TestRedisServer } from '@superoffice-webhooks/test-utils/servers'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisSecretStore } from '../src/index.js'

const body = (tenant: string) =>
  JSON.stringify({
    EventId: crypto.randomUUID(),
    Timestamp: new Date().toISOString(),
    Changes: [],
    Event: 'sale.sold',
    PrimaryKey: 1,
    Entity: 'sale',
    ContextIdentifier: tenant,
    ChangedByAssociateId: 1,
    WebhookName: 'crm-sync',
  })

describe.runIf(hasRedis)('createRedisSecretStore against a real redis-server', () => {
  let server: TestRedisServer
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('keeps each tenant its secrets, shared between instances (ioredis and node-redis); the receiver verifies with them', async () => {
    const io = new Redis(server.url)
    const node = createClient({ url: server.url })
    await node.connect()
    try {
      const one = createRedisSecretStore(io, { commandTimeoutMs: 10_000 })
      const two = createRedisSecretStore(node, { commandTimeoutMs: 10_000 })
      await one.set('CustA', ['a-new', 'a-old'])
      await one.set('CustB', ['b-secret'])
      expect(await two.get('CustA')).toEqual(['a-new', 'a-old'])
      expect((await two.tenants()).sort()).toEqual(['CustA', 'CustB'])
      expect(await two.get('CustUnknown')).toEqual([])
      const webhooks = createSuperOfficeWebhooks({ secret: secretsFromStore(two), logger: false })
      webhooks.onAny(() => {})
      const deliver = async (tenant: string, secret: string) => {
        const text = body(tenant)
        return (
          await webhooks.handle({ rawBody: text, headers: { 'x-superoffice-signature': signPayload(text, secret) } })
        ).status
      }
      expect(await deliver('CustA', 'a-old')).toBe(200)
      expect(await deliver('CustA', 'b-secret')).toBe(401) // another tenant's secret
      expect(await deliver('CustUnknown', 'b-secret')).toBe(401)
      await two.delete('CustA')
      expect(await one.get('CustA')).toEqual([])
      expect(await one.tenants()).toEqual(['CustB'])
      expect(await deliver('CustA', 'a-new')).toBe(401)
      await expect(one.set('CustC', [])).rejects.toThrow(/at least one secret/)
      await expect(one.set('CustC', [''])).rejects.toThrow(/none of them empty/)
    } finally {
      io.disconnect()
      await node.quit()
    }
  })

  it('fails within commandTimeoutMs when Redis stops answering: the delivery is answered 500, not hung', async () => {
    const client = new Redis(server.url)
    const store = createRedisSecretStore(client, { commandTimeoutMs: 200 })
    await store.set('CustA', ['a'])
    const webhooks = createSuperOfficeWebhooks({ secret: secretsFromStore(store), logger: false })
    server.pause()
    try {
      await expect(store.get('CustA')).rejects.toThrow(/did not answer GET within 200 ms/)
      const text = body('CustA')
      const answer = await webhooks.handle({
        rawBody: text,
        headers: { 'x-superoffice-signature': signPayload(text, 'a') },
      })
      expect(answer.status).toBe(500)
      expect(answer.body).toMatchObject({ error: 'secret_unavailable' })
      expect(JSON.stringify(answer.body)).not.toContain('"a"')
    } finally {
      server.resume()
      client.disconnect()
    }
  })
})
