import { fileURLToPath } from 'node:url'
import { EVENT_LINE, type ExampleApp, startExampleApp } from '@superoffice-webhooks/adapter-contract'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const secret = 'nestjs-example-secret'
let app: ExampleApp

beforeAll(async () => {
  app = await startExampleApp({
    command: process.execPath,
    args: ['dist/main.js'],
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

describe('nestjs-example (Nest 11, CommonJS build with decorator metadata), started from its build', () => {
  it('logs at start-up which handler serves which event', async () => {
    await app.waitForLine(/sale\.sold -> SalesService\.onSold\(\)/)
    await app.waitForLine(/\* -> EventLogService\.log\(\)/)
  })

  it('prints one line per event and runs the typed and wildcard handlers', async () => {
    const sold = createTestEvent('sale.sold', { ContextIdentifier: 'Cust31' })
    const contact = createTestEvent('contact.changed')
    const custom = createTestEvent('acme.exploded')
    for (const event of [sold, contact, custom]) expect((await post(event)).status).toBe(200)
    expect(await app.waitForLine(new RegExp(`id=${sold.EventId}$`))).toBe(
      `superoffice event=sale.sold key=${sold.PrimaryKey} tenant=Cust31 id=${sold.EventId}`,
    )
    await app.waitForLine(new RegExp(`id=${custom.EventId}$`))
    const ours = app.lines.filter((l) => [sold, contact, custom].some((e) => l.endsWith(e.EventId)))
    expect(ours).toHaveLength(3)
    for (const line of ours) expect(line).toMatch(EVENT_LINE)
    expect(await (await fetch(`${app.url}/stats`)).json()).toMatchObject({ sold: 1, saleEvents: 1 })
  })

  it('401 for a bad signature, 200 once for a duplicate, 200 and no line for the test event', async () => {
    const bad = createTestEvent('sale.sold')
    expect((await post(bad, 'wrong')).status).toBe(401)
    const dup = createTestEvent('sale.lost')
    expect((await post(dup)).status).toBe(200)
    expect(await (await post(dup)).json()).toEqual({ ok: true, duplicate: true })
    const test = createTestEvent('test')
    expect((await post(test)).status).toBe(200)
    await app.waitForLine(new RegExp(`id=${dup.EventId}$`))
    expect(app.lines.filter((l) => l.endsWith(dup.EventId))).toHaveLength(1)
    expect(app.lines.some((l) => l.includes(bad.EventId) || l.includes(test.EventId))).toBe(false)
  })
})
