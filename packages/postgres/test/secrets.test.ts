// Each tenant's webhook secrets in PostgreSQL (issue 30): shared by every instance, read by the
// receiver through secretsFromStore, so a tenant is only ever verified with its own secret.

import { createSuperOfficeWebhooks, secretsFromStore, signPayload } from '@superoffice-webhooks/core'
import { hasPostgres, startPostgresServer, type TestPostgresServer } from '@superoffice-webhooks/test-utils/servers'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPostgresSecretStore } from '../src/index.js'

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

describe.runIf(hasPostgres)('createPostgresSecretStore against a real PostgreSQL', () => {
  let server: TestPostgresServer
  const pools: pg.Pool[] = []
  const pool = (url = server.url) => {
    const made = new pg.Pool({ connectionString: url })
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

  it('keeps each tenant its secrets in a table made on first use, shared between instances; the receiver verifies with them', async () => {
    const one = createPostgresSecretStore(pool(), { commandTimeoutMs: 15_000 })
    const two = createPostgresSecretStore(pool(), { commandTimeoutMs: 15_000 })
    await one.set('CustA', ['a-new', 'a-old'])
    await one.set('CustB', ['b-secret'])
    await one.set('CustB', ['b-newer', 'b-secret'])
    expect(await two.get('CustA')).toEqual(['a-new', 'a-old'])
    expect(await two.get('CustB')).toEqual(['b-newer', 'b-secret'])
    expect(await two.tenants()).toEqual(['CustA', 'CustB'])
    const webhooks = createSuperOfficeWebhooks({ secret: secretsFromStore(two), logger: false })
    webhooks.onAny(() => {})
    const deliver = async (tenant: string, secret: string) => {
      const text = body(tenant)
      return (
        await webhooks.handle({ rawBody: text, headers: { 'x-superoffice-signature': signPayload(text, secret) } })
      ).status
    }
    expect(await deliver('CustB', 'b-secret')).toBe(200)
    expect(await deliver('CustA', 'b-newer')).toBe(401)
    await two.delete('CustB')
    expect(await one.tenants()).toEqual(['CustA'])
    expect(await deliver('CustB', 'b-newer')).toBe(401)
    await expect(one.set('CustC', [])).rejects.toThrow(/at least one secret/)
    const { rows } = await pool().query("SELECT to_regclass('superoffice_webhooks_secrets') AS t")
    expect(rows[0]?.t).toBe('superoffice_webhooks_secrets')
  })

  it('fails within commandTimeoutMs when PostgreSQL stops answering: the delivery is answered 500, not hung', async () => {
    const own = await startPostgresServer()
    const client = pool(own.url)
    try {
      await createPostgresSecretStore(client, { commandTimeoutMs: 15_000 }).set('CustA', ['a'])
      const store = createPostgresSecretStore(client, { commandTimeoutMs: 300, createTable: false })
      const webhooks = createSuperOfficeWebhooks({ secret: secretsFromStore(store), logger: false })
      own.pause()
      await expect(store.get('CustA')).rejects.toThrow(/did not answer within 300 ms/)
      const text = body('CustA')
      const answer = await webhooks.handle({
        rawBody: text,
        headers: { 'x-superoffice-signature': signPayload(text, 'a') },
      })
      expect(answer.status).toBe(500)
      expect(answer.body).toMatchObject({ error: 'secret_unavailable' })
    } finally {
      own.resume()
      await own.stop()
    }
  })

  it('refuses something that is not a PostgreSQL client, and a table name that is not plain', () => {
    expect(() => createPostgresSecretStore({} as never)).toThrow(/needs a node-postgres Pool/)
    expect(() => createPostgresSecretStore(pool(), { table: 'x; DROP TABLE y' })).toThrow(/not a plain table name/)
  })
})
