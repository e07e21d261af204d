import type { AddressInfo } from 'node:net'
import Router from '@koa/router'
import { createSuperOfficeWebhooks, type SuperOfficeEventContext } from '@superoffice-webhooks/core'
import { runAdapterContract } from '@superoffice-webhooks/test-utils/contract'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import Koa, { type Context } from 'koa'
import { describe, expect, it } from 'vitest'
import { superOfficeWebhookHandler } from '../src/index.js'

const secret = 'koa-router-secret'

// The answer contract with the path-less handler under @koa/router.
runAdapterContract({
  name: 'koa 3 under @koa/router',
  async start(webhooks, path) {
    const router = new Router()
    router.all(path, superOfficeWebhookHandler(webhooks))
    const server = new Koa().use(router.routes()).listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    }
  },
})

describe('the Koa context around a delivery', () => {
  it('reaches handlers as context.request, leaves ctx.state.superOffice, and 500s reach app.emit("error")', async () => {
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
    const seen: unknown[] = []
    webhooks.on('sale.sold', (_event, context: SuperOfficeEventContext) => {
      seen.push((context.request as Context).state.requestId)
    })
    webhooks.on('sale.lost', () => {
      throw new Error('crm down')
    })
    const logged: unknown[] = []
    const emitted: { code: string; path: string }[] = []
    const app = new Koa()
    app.silent = true
    app.on('error', (error: { code: string }, ctx: Context) => emitted.push({ code: error.code, path: ctx.path }))
    app.use(async (ctx, next) => {
      ctx.state.requestId = 'req-1'
      await next()
      logged.push(ctx.state.superOffice)
    })
    const router = new Router()
    router.post('/hooks', superOfficeWebhookHandler(webhooks))
    app.use(router.routes())
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`
    try {
      const sold = createTestEvent('sale.sold')
      const lost = createTestEvent('sale.lost')
      for (const event of [sold, lost]) {
        const { body, headers } = signedPayload(event, { secret })
        await fetch(url, { method: 'POST', body, headers })
      }
      expect(seen).toEqual(['req-1'])
      expect(logged).toEqual([
        { status: 200, code: 'ok', event: 'sale.sold', eventId: sold.EventId },
        { status: 500, code: 'handler_failed', event: 'sale.lost', eventId: lost.EventId },
      ])
      expect(emitted).toEqual([{ code: 'handler_failed', path: '/hooks' }])
    } finally {
      server.close()
    }
  })

  it("respond: 'after-claim': a failure after the answer reaches app.emit('error') too", async () => {
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false, respond: 'after-claim' })
    webhooks.on('sale.sold', async () => {
      throw new Error('late failure')
    })
    const app = new Koa()
    app.silent = true
    const emitted = new Promise<string>((resolve) => app.on('error', (error: { code: string }) => resolve(error.code)))
    const router = new Router()
    router.post('/hooks', superOfficeWebhookHandler(webhooks))
    const server = app.use(router.routes()).listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const { body, headers } = signedPayload(createTestEvent('sale.sold'), { secret })
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, {
        method: 'POST',
        body,
        headers,
      })
      expect(response.status).toBe(200)
      expect(await emitted).toBe('handler_failed')
    } finally {
      server.close()
    }
  })
})
