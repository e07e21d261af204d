import { Agent } from 'node:http'
import {
  createSuperOfficeWebhooks,
  type SuperOfficeAnyEvent,
  type SuperOfficeEventContext,
  type SuperOfficeWebhooks,
} from '@superoffice-webhooks/core'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { chunkedPost, postOn, uploadThenRead } from './http.js'

/** A running app with the adapter mounted. */
export interface ContractServer {
  /** Origin, e.g. `http://127.0.0.1:41234`. */
  url: string
  close(): Promise<void>
}

export interface AdapterContractOptions {
  /** Shown in the suite's title: `koa 3`, `h3 v2`… */
  name: string
  /** Starts a real HTTP server on a random port that mounts the adapter over `webhooks` at `path`. */
  start(webhooks: SuperOfficeWebhooks, path: string): Promise<ContractServer>
  /** Where the adapter is mounted. Default `/webhooks/superoffice`. */
  path?: string
  /**
   * The framework parses the body before the adapter sees it (NestJS): it answers malformed JSON
   * (400) and bodies over its own limit (413) itself, with its own body. Only the status is
   * checked for those two rows then.
   */
  frameworkParsesBody?: boolean
}

export const CONTRACT_SECRET = 'contract-current-secret'
export const CONTRACT_PREVIOUS_SECRET = 'contract-previous-secret'
export const CONTRACT_MAX_BODY_BYTES = 64 * 1024

interface Delivery {
  by: string
  event: SuperOfficeAnyEvent
  context: SuperOfficeEventContext
}

/**
 * Runs every row of the answer contract (README: The answer contract) against one adapter over real HTTP.
 */
export function runAdapterContract(options: AdapterContractOptions): void {
  const path = options.path ?? '/webhooks/superoffice'

  describe(`adapter contract: ${options.name}`, () => {
    let server: ContractServer
    let endpoint: string
    const deliveries: Delivery[] = []
    let failuresToThrow = 0

    const webhooks = createSuperOfficeWebhooks({
      secret: [CONTRACT_SECRET, CONTRACT_PREVIOUS_SECRET],
      maxBodyBytes: CONTRACT_MAX_BODY_BYTES,
      logger: false,
    })
    webhooks.onError(() => {})
    webhooks.on('sale.sold', (event, context) => {
      // Typed by name: FieldValues.currency_id is a number here.
      const currency: number | undefined = event.FieldValues?.currency_id
      void currency
      deliveries.push({ by: 'sale.sold', event, context })
      if (failuresToThrow > 0) {
        failuresToThrow--
        throw new Error(`handler exploded with ${CONTRACT_SECRET}`)
      }
    })
    webhooks.on('contact.*', (event, context) => void deliveries.push({ by: 'contact.*', event, context }))
    webhooks.on(['activity.deleted', 'quote.approved'], (event, context) => {
      deliveries.push({ by: 'list', event, context })
    })
    webhooks.onAny((event, context) => void deliveries.push({ by: 'any', event, context }))

    const post = (body: string | Uint8Array, headers: Record<string, string>) =>
      fetch(endpoint, { method: 'POST', body, headers })
    const send = (event: object | string, secret: string | null = CONTRACT_SECRET, extra = {}) => {
      const payload = signedPayload(event, secret === null ? extra : { secret, ...extra })
      return post(payload.body, payload.headers)
    }
    const byId = (eventId: string, by?: string) =>
      deliveries.filter((d) => d.event.EventId === eventId && (by === undefined || d.by === by))

    beforeAll(async () => {
      server = await options.start(webhooks, path)
      endpoint = `${server.url}${path}`
    })
    afterAll(async () => {
      await server?.close()
    })
    beforeEach(() => {
      deliveries.length = 0
      failuresToThrow = 0
    })

    it('200: signed events of several entities reach their typed handlers', async () => {
      const events = [
        createTestEvent('sale.sold'),
        createTestEvent('contact.created'),
        createTestEvent('activity.deleted'),
        createTestEvent('quote.approved'),
        createTestEvent('person.changed'),
      ]
      for (const event of events) {
        const response = await send(event)
        expect(response.status).toBe(200)
        expect(await response.json()).toEqual({ ok: true })
      }
      const [sold, contact, activity, quote, person] = events.map((e) => e.EventId) as string[]
      expect(byId(sold as string, 'sale.sold')[0]?.event).toEqual(events[0])
      expect(byId(sold as string, 'sale.sold')[0]?.context).toMatchObject({ kind: 'known', tenant: 'Cust12345' })
      expect(byId(contact as string, 'contact.*')).toHaveLength(1)
      expect(byId(activity as string, 'list')).toHaveLength(1)
      expect(byId(quote as string, 'list')).toHaveLength(1)
      expect(byId(person as string, 'any')).toHaveLength(1)
    })

    it('200: the raw bytes are verified as sent (pretty-printed JSON, non-ASCII, BOM-free UTF-8)', async () => {
      const event = createTestEvent('sale.sold', { WebhookName: 'Salg – Ørjan “ærlig” 🚀' })
      const response = await send(JSON.stringify(event, null, 2))
      expect(response.status).toBe(200)
      expect(byId(event.EventId, 'sale.sold')[0]?.event.WebhookName).toBe('Salg – Ørjan “ærlig” 🚀')
    })

    it('200: a rotation secret is accepted and reported', async () => {
      const event = createTestEvent('sale.sold')
      expect((await send(event, CONTRACT_PREVIOUS_SECRET)).status).toBe(200)
      expect(byId(event.EventId, 'sale.sold')[0]?.context.secretIndex).toBe(1)
    })

    it('401 signature_invalid: signed with the wrong secret', async () => {
      const event = createTestEvent('sale.sold')
      const response = await send(event, 'not-the-secret')
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ ok: false, error: 'signature_invalid' })
      expect(byId(event.EventId)).toHaveLength(0)
    })

    it('401 signature_missing: no signature header', async () => {
      const response = await send(createTestEvent('sale.sold'), null)
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ error: 'signature_missing' })
    })

    it('401: a body changed after signing', async () => {
      const event = createTestEvent('sale.sold')
      const { body, headers } = signedPayload(event, { secret: CONTRACT_SECRET })
      const response = await post(body.replace(`"PrimaryKey":${event.PrimaryKey}`, '"PrimaryKey":1'), headers)
      expect(response.status).toBe(401)
    })

    it('400 invalid_json: a signed body that is not JSON', async () => {
      const response = await send('{"EventId": "abc", oops')
      expect(response.status).toBe(400)
      const body = await response.json()
      if (!options.frameworkParsesBody) expect(body).toMatchObject({ ok: false, error: 'invalid_json' })
    })

    it("200 (tolerant): signed JSON that is not a SuperOffice envelope is SuperOffice's, never a 400", async () => {
      // A 400 would count towards the nine failures that disable the webhook; the pipeline reports
      // it as schema_mismatch instead (strict mode answers 400 invalid_envelope, tested in core).
      const response = await send(JSON.stringify({ hello: 'world' }))
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ ok: true, handled: false })
    })

    it('413 payload_too_large: a body over the limit with Content-Length', async () => {
      const event = createTestEvent('sale.sold', { Padding: 'x'.repeat(CONTRACT_MAX_BODY_BYTES) })
      const response = await send(event)
      expect(response.status).toBe(413)
      expect(await response.json()).toMatchObject({ error: 'payload_too_large' })
    })

    it('413 payload_too_large: a chunked body over the limit, refused without reading it all', async () => {
      const { status, body } = await chunkedPost(endpoint, CONTRACT_MAX_BODY_BYTES * 4)
      expect(status).toBe(413)
      if (!options.frameworkParsesBody) expect(JSON.parse(body)).toMatchObject({ error: 'payload_too_large' })
      // The connection is still usable afterwards.
      expect((await send(createTestEvent('sale.sold'))).status).toBe(200)
    })

    it('413 every time for a client that writes its whole upload first: declared or chunked, 3 MiB and 10 MiB', async () => {
      const answers: string[] = []
      for (const size of [3 * 1024 * 1024, 10 * 1024 * 1024]) {
        for (const chunked of [false, true]) {
          for (let i = 0; i < 4; i++)
            answers.push(
              `${size >> 20} MiB ${chunked ? 'chunked' : 'declared'}: ${await uploadThenRead(endpoint, size, chunked)}`,
            )
        }
      }
      expect(answers.filter((a) => !a.endsWith(': 413'))).toEqual([])
      expect((await send(createTestEvent('sale.sold'))).status).toBe(200)
    })

    it('413 then a valid delivery on the same pooled connection: answered, never a reset', async () => {
      // A sender that reuses connections (SuperOffice's does) must not count the next delivery as
      // failed because the rest of a refused upload was still on the wire.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      try {
        const big = Buffer.alloc(3 * 1024 * 1024, 0x20)
        const refused = await postOn(agent, endpoint, big, { 'content-type': 'application/json' })
        expect(refused.status).toBe(413)
        for (let i = 0; i < 3; i++) {
          const { body, headers } = signedPayload(createTestEvent('sale.sold'), { secret: CONTRACT_SECRET })
          const next = await postOn(agent, endpoint, Buffer.from(body), headers)
          expect(next.status).toBe(200)
        }
      } finally {
        agent.destroy()
      }
    })

    it('200 duplicate: the same EventId again runs no handler', async () => {
      const event = createTestEvent('sale.sold')
      expect((await send(event)).status).toBe(200)
      const again = await send(event, CONTRACT_SECRET, { retry: 1 })
      expect(again.status).toBe(200)
      expect(await again.json()).toEqual({ ok: true, duplicate: true })
      expect(byId(event.EventId, 'sale.sold')).toHaveLength(1)
    })

    it('200 test: the test event with X-Hook-Test is answered without running handlers', async () => {
      const event = createTestEvent('test')
      const response = await send(event)
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ ok: true, test: true })
      expect(byId(event.EventId)).toHaveLength(0)
    })

    it('200: an unknown custom event reaches the catch-all as an unknown event', async () => {
      const event = createTestEvent('acme.exploded', { Custom: { deep: true } })
      expect((await send(event)).status).toBe(200)
      const [delivery] = byId(event.EventId, 'any')
      expect(delivery?.context.kind).toBe('unknown')
      expect(delivery?.event).toMatchObject({ Event: 'acme.exploded', Custom: { deep: true } })
    })

    it('500 handler_failed, then 200 when SuperOffice retries; nothing leaks', async () => {
      failuresToThrow = 1
      const event = createTestEvent('sale.sold')
      const first = await send(event)
      expect(first.status).toBe(500)
      const text = await first.text()
      expect(JSON.parse(text)).toMatchObject({ ok: false, error: 'handler_failed' })
      expect(text).not.toContain(CONTRACT_SECRET)
      expect(text).not.toContain('exploded')
      const retry = await send(event, CONTRACT_SECRET, { retry: 1 })
      expect(retry.status).toBe(200)
      expect(await retry.json()).toEqual({ ok: true })
      expect(byId(event.EventId, 'sale.sold')).toHaveLength(2)
    })

    it('50 concurrent requests, a third of them duplicates: all 200, each EventId handled once', async () => {
      const events = Array.from({ length: 34 }, () => createTestEvent('sale.sold'))
      const sends = [...events, ...events.slice(0, 16)]
      const responses = await Promise.all(sends.map((event) => send(event)))
      expect(responses.map((r) => r.status)).toEqual(sends.map(() => 200))
      for (const event of events) expect(byId(event.EventId, 'sale.sold')).toHaveLength(1)
    })

    it('header names in any casing', async () => {
      const event = createTestEvent('sale.sold')
      const { body, headers } = signedPayload(event, { secret: CONTRACT_SECRET })
      const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]))
      expect((await post(body, lower)).status).toBe(200)
    })

    it('405 with Allow: POST for any other method on the webhook path, never 410', async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const response = await fetch(endpoint, { method })
        expect(response.status, method).toBe(405)
        expect(response.headers.get('allow'), method).toBe('POST')
        await response.body?.cancel()
      }
    })

    it('other paths are left to the app', async () => {
      const response = await fetch(`${server.url}/not-the-webhook`, { method: 'POST', body: '{}' })
      expect(response.status).toBe(404)
    })
  })
}
