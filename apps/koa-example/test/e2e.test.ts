import { fileURLToPath } from 'node:url'
import { EVENT_LINE, type ExampleApp, startExampleApp } from '@superoffice-webhooks/adapter-contract'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const secret = 'koa-example-secret'
let app: ExampleApp

beforeAll(async () => {
  app = await startExampleApp({
    command: process.execPath,
    args: ['dist/server.js'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { SUPEROFFICE_WEBHOOK_SECRET: secret },
  })
})
afterAll(async () => {
  await app?.stop()
})

const post = (event: object, key = secret) => {
  const { body, headers } = signedPayload(event, { secret: key })
  return fetch(`${app.url}/webhooks/superoffice`, { method: 'POST', body, headers })
}

describe('koa-example, started from its build', () => {
  it('answers GET /healthz', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200)
  })

  it('prints one line per event, in the fixed format, and runs the typed and wildcard handlers', async () => {
    const sold = createTestEvent('sale.sold', { ContextIdentifier: 'Cust777' })
    const contact = createTestEvent('contact.created')
    const custom = createTestEvent('acme.exploded')
    for (const event of [sold, contact, custom]) expect((await post(event)).status).toBe(200)
    const line = await app.waitForLine(new RegExp(`id=${sold.EventId}$`))
    expect(line).toBe(`superoffice event=sale.sold key=${sold.PrimaryKey} tenant=Cust777 id=${sold.EventId}`)
    await app.waitForLine(new RegExp(`id=${custom.EventId}$`))
    const ours = app.lines.filter((l) => [sold, contact, custom].some((e) => l.endsWith(e.EventId)))
    expect(ours).toHaveLength(3)
    for (const l of ours) expect(l).toMatch(EVENT_LINE)
    const stats = await (await fetch(`${app.url}/stats`)).json()
    expect(stats).toMatchObject({ sold: 1, saleEvents: 1, soldByCurrency: { '47': 1 } })
  })

  it('refuses a bad signature with 401 and prints nothing for it', async () => {
    const event = createTestEvent('sale.sold')
    expect((await post(event, 'wrong')).status).toBe(401)
    expect(app.lines.some((l) => l.includes(event.EventId))).toBe(false)
  })

  it('answers a duplicate with 200 and prints it once', async () => {
    const event = createTestEvent('sale.lost')
    expect((await post(event)).status).toBe(200)
    expect((await post(event)).status).toBe(200)
    await app.waitForLine(new RegExp(`id=${event.EventId}$`))
    expect(app.lines.filter((l) => l.endsWith(event.EventId))).toHaveLength(1)
  })

  it('answers the test event with 200 and prints nothing', async () => {
    const event = createTestEvent('test')
    expect((await post(event)).status).toBe(200)
    expect(app.lines.some((l) => l.includes(event.EventId))).toBe(false)
  })
})
