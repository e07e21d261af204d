import type { AddressInfo } from 'node:net'
import { bodyParser } from '@koa/bodyparser'
import { createSuperOfficeWebhooks, type SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import Koa from 'koa'
import { afterEach, describe, expect, it } from 'vitest'
import { superOfficeWebhooks } from '../src/index.js'

const secret = 'koa-secret'
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

async function serve(app: Pick<Koa, 'listen'>): Promise<string> {
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function receiver(): { webhooks: SuperOfficeWebhooks; seen: number[] } {
  const seen: number[] = []
  const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
  webhooks.on('sale.sold', (event) => void seen.push(event.PrimaryKey))
  return { webhooks, seen }
}

describe('@superoffice-webhooks/koa with body parsers', () => {
  it('uses ctx.request.rawBody when a body parser ran first', async () => {
    const { webhooks, seen } = receiver()
    const app = new Koa().use(bodyParser()).use(superOfficeWebhooks(webhooks))
    const url = await serve(app)
    const event = createTestEvent('sale.sold')
    const { body, headers } = signedPayload(JSON.stringify(event, null, 4), { secret })
    const response = await fetch(`${url}/webhooks/superoffice`, { method: 'POST', body, headers })
    expect(response.status).toBe(200)
    expect(seen).toEqual([event.PrimaryKey])
  })

  it('answers 500 raw_body_unavailable, with the fix in the error, when the raw bytes are gone', async () => {
    const { webhooks } = receiver()
    const errors: Error[] = []
    webhooks.onError((error) => void errors.push(error))
    const app = new Koa()
      .use(async (ctx, next) => {
        // A parser that keeps only the parsed value.
        for await (const _ of ctx.req) {
        }
        ;(ctx.request as { body?: unknown }).body = {}
        await next()
      })
      .use(superOfficeWebhooks(webhooks))
    const url = await serve(app)
    const { body, headers } = signedPayload(createTestEvent('sale.sold'), { secret })
    const response = await fetch(`${url}/webhooks/superoffice`, { method: 'POST', body, headers })
    expect(response.status).toBe(500)
    expect(await response.json()).toMatchObject({ error: 'raw_body_unavailable' })
    expect(errors[0]?.message).toMatch(/Mount superOfficeWebhooks\(\) before the body parser/)
  })

  it('leaves other routes and methods of the app alone', async () => {
    const { webhooks } = receiver()
    const app = new Koa().use(superOfficeWebhooks(webhooks, { path: '/hooks/so' })).use((ctx) => {
      ctx.body = { other: ctx.path }
    })
    const url = await serve(app)
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ other: '/healthz' })
    expect((await fetch(`${url}/webhooks/superoffice`, { method: 'POST', body: '{}' })).status).toBe(200)
  })
})
