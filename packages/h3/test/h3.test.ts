import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { SuperOfficeEvent } from '@superoffice-webhooks/core'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { defineHandler, H3 } from 'h3'
import { toNodeHandler } from 'h3/node'
import { createApp, createRouter, defineEventHandler, readRawBody, toNodeListener } from 'h3v1'
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest'
import { defineSuperOfficeWebhookHandler } from '../src/index.js'

const secret = 'h3-secret'
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

async function listen(listener: RequestListener): Promise<string> {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function post(url: string, event: object) {
  const { body, headers } = signedPayload(event, { secret })
  return fetch(url, { method: 'POST', body, headers })
}

describe('defineSuperOfficeWebhookHandler from options', () => {
  it('dispatches to handlers by name and pattern, typed by their keys (h3 v2)', async () => {
    const seen: string[] = []
    const handler = defineSuperOfficeWebhookHandler({
      secret,
      logger: false,
      on: {
        'sale.sold': (event) => {
          expectTypeOf(event).toEqualTypeOf<SuperOfficeEvent<'sale.sold'>>()
          seen.push(`sold:${event.PrimaryKey}`)
        },
        'contact.*': (event) => void seen.push(`contact:${event.Event}`),
      },
      onAny: (event) => void seen.push(`any:${event.Event}`),
    })
    const url = await listen(toNodeHandler(new H3().post('/hook', handler)) as RequestListener)
    expect((await post(`${url}/hook`, createTestEvent('sale.sold', { PrimaryKey: 9 }))).status).toBe(200)
    expect((await post(`${url}/hook`, createTestEvent('contact.created'))).status).toBe(200)
    expect(seen).toEqual(['sold:9', 'any:sale.sold', 'contact:contact.created', 'any:contact.created'])
    expect(handler.webhooks.maxBodyBytes).toBe(1024 * 1024)
  })

  it('reports errors to onError', async () => {
    const codes: string[] = []
    const handler = defineSuperOfficeWebhookHandler({ secret, logger: false, onError: (e) => void codes.push(e.code) })
    const url = await listen(toNodeListener(createApp().use('/hook', handler)))
    const { body, headers } = signedPayload(createTestEvent('sale.sold'), { secret: 'wrong' })
    expect((await fetch(`${url}/hook`, { method: 'POST', body, headers })).status).toBe(401)
    expect(codes).toEqual(['signature_invalid'])
  })
})

describe('raw bytes', () => {
  it('h3 v1: uses the bytes h3 already read when a middleware read the body first', async () => {
    const seen: number[] = []
    const app = createApp()
    app.use(
      defineEventHandler(async (event) => {
        await readRawBody(event, false)
      }),
    )
    app.use(
      createRouter().post(
        '/hook',
        defineSuperOfficeWebhookHandler({
          secret,
          logger: false,
          on: { 'sale.sold': (e) => void seen.push(e.PrimaryKey) },
        }),
      ),
    )
    const url = await listen(toNodeListener(app))
    const response = await post(`${url}/hook`, createTestEvent('sale.sold', { PrimaryKey: 4 }))
    expect(response.status).toBe(200)
    expect(seen).toEqual([4])
  })

  it('h3 v2: a handler that forwards waitUntil keeps early answers alive', async () => {
    let finished = false
    const handler = defineSuperOfficeWebhookHandler({
      secret,
      logger: false,
      respond: 'after-claim',
      on: {
        'sale.sold': async () => {
          await new Promise((r) => setTimeout(r, 100))
          finished = true
        },
      },
    })
    const url = await listen(
      toNodeHandler(
        new H3().post(
          '/hook',
          defineHandler((event) => handler(event)),
        ),
      ) as RequestListener,
    )
    const response = await post(`${url}/hook`, createTestEvent('sale.sold'))
    expect(await response.json()).toEqual({ ok: true, deferred: true })
    expect(finished).toBe(false)
    await handler.webhooks.drain()
    expect(finished).toBe(true)
  })
})

describe('the H3Event around a delivery', () => {
  it('reaches handlers and the secret resolver as context.request / hint.request (h3 v1 and v2)', async () => {
    const seen: string[] = []
    const handler = defineSuperOfficeWebhookHandler({
      secret: (hint) => {
        seen.push(`resolver:${typeof (hint.request as { context?: unknown }).context}`)
        return secret
      },
      on: {
        'sale.sold': (_event, context) => {
          seen.push(`handler:${(context.request as { context: { tag: string } }).context.tag}`)
        },
      },
    })
    const v1 = createApp()
    v1.use(
      defineEventHandler((event) => {
        event.context.tag = 'v1'
      }),
    )
    v1.use(createRouter().use('/hook', handler))
    await post(`${await listen(toNodeListener(v1))}/hook`, createTestEvent('sale.sold'))
    const v2 = new H3()
      .use((event) => {
        event.context.tag = 'v2'
      })
      .all('/hook', handler)
    await post(`${await listen(toNodeHandler(v2) as RequestListener)}/hook`, createTestEvent('sale.sold'))
    expect(seen).toEqual(['resolver:object', 'handler:v1', 'resolver:object', 'handler:v2'])
  })

  it("a handler failure goes to Nitro 2's event.captureError (the app's error hook) as well", async () => {
    const captured: { code: string; tags: string[] }[] = []
    const handler = defineSuperOfficeWebhookHandler({
      secret,
      logger: false,
      on: {
        'sale.lost': () => {
          throw new Error('erp down')
        },
      },
    })
    const app = createApp()
    // What Nitro 2's runtime puts on every event (nitropack/dist/runtime/internal/app.mjs).
    app.use(
      defineEventHandler((event) => {
        ;(event as unknown as { captureError: unknown }).captureError = (
          error: { code: string },
          context: { tags: string[] },
        ) => captured.push({ code: error.code, tags: context.tags })
      }),
    )
    app.use(createRouter().use('/hook', handler))
    const response = await post(`${await listen(toNodeListener(app))}/hook`, createTestEvent('sale.lost'))
    expect(response.status).toBe(500)
    expect(captured).toEqual([{ code: 'handler_failed', tags: ['superoffice-webhooks'] }])
  })
})
