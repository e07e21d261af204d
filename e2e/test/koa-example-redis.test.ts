// The Koa example as users run it (its built server, as a process), several instances on one
// redis-server: each EventId handled once across instances, and one secret per tenant.
import { fileURLToPath } from 'node:url'
import { type ExampleApp, startExampleApp } from '@superoffice-webhooks/test-utils/apps'
import { sendLikeSuperOffice } from '@superoffice-webhooks/test-utils/contract'
import { hasRedis, startRedisServer, type TestRedisServer } from '@superoffice-webhooks/test-utils/servers'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const secret = 'production-secret'
const exampleDir = fileURLToPath(new URL('../../apps/koa-example', import.meta.url))
/** Runs `tasks` with at most `limit` in flight. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length)
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++
        results[i] = await (tasks[i] as () => Promise<T>)()
      }
    }),
  )
  return results
}

function post(url: string, event: object | string, key = secret) {
  const { body, headers } = signedPayload(event, { secret: key })
  return fetch(`${url}/webhooks/superoffice`, { method: 'POST', body, headers })
}

describe.runIf(hasRedis)('several instances sharing one Redis', () => {
  let redis: TestRedisServer
  let apps: ExampleApp[]
  beforeAll(async () => {
    redis = await startRedisServer()
    apps = await Promise.all(
      [1, 2].map(() =>
        startExampleApp({
          command: process.execPath,
          args: ['dist/server.js'],
          cwd: exampleDir,
          env: { SUPEROFFICE_WEBHOOK_SECRET: secret, REDIS_URL: redis.url },
        }),
      ),
    )
  })
  afterAll(async () => {
    await Promise.all((apps ?? []).map((app) => app.stop()))
    await redis?.stop()
  })

  it('1,000 deliveries, 30% duplicate EventIds, concurrency 50, over two instances, sent as SuperOffice sends: each handled once, all 200', async () => {
    const unique = Array.from({ length: 700 }, (_, i) =>
      JSON.stringify(createTestEvent(i % 2 ? 'sale.sold' : 'contact.changed')),
    )
    const duplicates = Array.from({ length: 300 }, (_, i) => unique[(i * 7) % unique.length] as string)
    const bodies = [...unique, ...duplicates].sort(() => Math.random() - 0.5)
    // Sent as SuperOffice sends (again after a 500 or a broken connection): on a busy machine a
    // claim may miss its bound, and the retry must then be handled, not taken for a duplicate.
    const statuses = await pool(
      bodies.map((body, i) => async () => {
        const url = (apps[i % 2] as ExampleApp).url
        return (await sendLikeSuperOffice(async () => (await post(url, body)).status)).status
      }),
      50,
    )
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    await new Promise((r) => setTimeout(r, 300))
    const printed = new Map<string, number>()
    for (const app of apps) {
      for (const line of app.lines) {
        const id = line.match(/ id=(\S+)$/)?.[1]
        if (id) printed.set(id, (printed.get(id) ?? 0) + 1)
      }
    }
    const ids = unique.map((b) => JSON.parse(b).EventId as string)
    expect(ids.filter((id) => printed.get(id) !== 1)).toEqual([])
    expect(printed.size).toBe(700)
    // Both instances did real work.
    expect(apps.every((app) => app.lines.length > 100)).toBe(true)
  })
})

describe('multi-tenant secrets in the Koa example', () => {
  let app: ExampleApp
  beforeAll(async () => {
    app = await startExampleApp({
      command: process.execPath,
      args: ['dist/server.js'],
      cwd: exampleDir,
      env: {
        SUPEROFFICE_WEBHOOK_SECRET: '',
        SUPEROFFICE_TENANT_SECRETS: JSON.stringify({ CustA: 'secret-of-a', CustB: 'secret-of-b' }),
      },
    })
  })
  afterAll(async () => {
    await app?.stop()
  })

  it("serves each tenant with its own secret, and refuses a body claiming tenant A signed with B's secret", async () => {
    const a = createTestEvent('sale.sold', { ContextIdentifier: 'CustA' })
    const b = createTestEvent('sale.sold', { ContextIdentifier: 'CustB' })
    expect((await post(app.url, a, 'secret-of-a')).status).toBe(200)
    expect((await post(app.url, b, 'secret-of-b')).status).toBe(200)
    const forged = createTestEvent('sale.sold', { ContextIdentifier: 'CustA' })
    const response = await post(app.url, forged, 'secret-of-b')
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ error: 'signature_invalid' })
    const unknown = createTestEvent('sale.sold', { ContextIdentifier: 'CustZ' })
    expect((await post(app.url, unknown, 'secret-of-a')).status).toBe(401)
    await app.waitForLine(new RegExp(`tenant=CustB id=${b.EventId}$`))
    expect(app.lines.some((l) => l.includes(forged.EventId))).toBe(false)
  })
})
