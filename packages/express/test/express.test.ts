import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSuperOfficeWebhooks, type SuperOfficeWebhookError } from '@superoffice-webhooks/core'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { superOfficeWebhookHandler, superOfficeWebhooks } from '../src/index.js'

const secret = 'express-secret'

async function serve(app: express.Express) {
  const server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const post = (url: string, event = createTestEvent('sale.sold')) => {
  const { body, headers } = signedPayload(event, { secret })
  return fetch(url, { method: 'POST', body, headers })
}

describe('express', () => {
  it('express.json() before the route: 500 raw_body_unavailable, and onError says how to fix the app', async () => {
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
    const errors: SuperOfficeWebhookError[] = []
    webhooks.onError((error) => {
      errors.push(error)
    })
    const app = express()
    app.use(express.json())
    app.use(superOfficeWebhooks(webhooks))
    const server = await serve(app)
    try {
      const response = await post(`${server.url}/webhooks/superoffice`)
      expect(response.status).toBe(500)
      expect(await response.json()).toMatchObject({ error: 'raw_body_unavailable' })
      expect(errors[0]?.message).toMatch(/Mount superOfficeWebhooks\(\) before the parsers/)
    } finally {
      await server.close()
    }
  })

  it("express.raw() on the route keeps the bytes: the signature matches; a router's path works", async () => {
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
    const seen: unknown[] = []
    webhooks.on('sale.sold', (event, context) => {
      seen.push([event.PrimaryKey, (context.request as express.Request).method])
    })
    const app = express()
    const router = express.Router()
    router.all('/superoffice', express.raw({ type: '*/*' }), superOfficeWebhookHandler(webhooks))
    app.use('/hooks', router)
    app.use(express.json())
    const server = await serve(app)
    try {
      const event = createTestEvent('sale.sold', { PrimaryKey: 77 })
      const response = await post(`${server.url}/hooks/superoffice`, event)
      expect(response.status).toBe(200)
      expect(seen).toEqual([[77, 'POST']])
      const get = await fetch(`${server.url}/hooks/superoffice`)
      expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST'])
    } finally {
      await server.close()
    }
  })

  it('other paths go on to the next middleware', async () => {
    const app = express()
    app.use(superOfficeWebhooks(createSuperOfficeWebhooks({ secret, logger: false })))
    app.get('/healthz', (_req, res) => {
      res.json({ ok: true })
    })
    const server = await serve(app)
    try {
      expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ ok: true })
    } finally {
      await server.close()
    }
  })
})
