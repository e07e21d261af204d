import { Agent } from 'node:http'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EVENT_LINE, type ExampleApp, startExampleApp } from './example-app.js'
import { chunkedPost, postOn } from './http.js'

/**
 * The answer contract's core rows for a bare fetch handler (`webhooks.handleRequest(request)`) on
 * a runtime that is not Node: an app started as a process (Bun, Deno, workerd through Miniflare)
 * that serves POST /webhooks/superoffice, GET /healthz and GET /stats, and prints the example
 * apps' one line per event.
 */
export function runFetchRuntimeContract(options: {
  name: string
  command: string
  args: string[]
  cwd: string
  /** What `/stats` reports as the signature's crypto on this runtime. */
  crypto: 'node:crypto' | 'WebCrypto'
  env?: Record<string, string>
}): void {
  const secret = `${options.name}-secret`
  const start = (env: Record<string, string>) =>
    startExampleApp({
      command: options.command,
      args: options.args,
      cwd: options.cwd,
      env: { ...options.env, ...env },
      timeoutMs: 60_000,
    })

  describe(`handleRequest on ${options.name}, over real HTTP`, () => {
    let app: ExampleApp
    beforeAll(async () => {
      app = await start({ SUPEROFFICE_WEBHOOK_SECRET: secret })
    })
    afterAll(async () => {
      await app?.stop()
    })
    const endpoint = () => `${app.url}/webhooks/superoffice`
    const post = (body: string | Uint8Array, headers: Record<string, string>) =>
      fetch(endpoint(), { method: 'POST', body, headers })
    const lineFor = (eventId: string) => app.lines.filter((l) => l.endsWith(`id=${eventId}`))

    it(`checks signatures with ${options.crypto}`, async () => {
      expect(await (await fetch(`${app.url}/stats`)).json()).toMatchObject({ crypto: options.crypto })
    })

    it('200: a signed sale.sold reaches its handlers, one line in the fixed format', async () => {
      const event = createTestEvent('sale.sold', { ContextIdentifier: 'Cust777' })
      const { body, headers } = signedPayload(event, { secret })
      const response = await post(body, headers)
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ ok: true })
      expect(await app.waitForLine(new RegExp(`id=${event.EventId}$`))).toBe(
        `superoffice event=sale.sold key=${event.PrimaryKey} tenant=Cust777 id=${event.EventId}`,
      )
      expect(lineFor(event.EventId)[0]).toMatch(EVENT_LINE)
      expect(await (await fetch(`${app.url}/stats`)).json()).toMatchObject({ sold: 1, saleEvents: 1 })
    })

    it('200: the raw bytes are verified as sent (pretty-printed, non-ASCII)', async () => {
      const event = createTestEvent('contact.changed', { WebhookName: 'Kontakt – Ørjan “ærlig” 🚀' })
      const { body, headers } = signedPayload(JSON.stringify(event, null, 2), { secret })
      expect((await post(body, headers)).status).toBe(200)
      await app.waitForLine(new RegExp(`id=${event.EventId}$`))
    })

    it('401 signature_invalid: a body changed after signing is refused and not handled', async () => {
      const event = createTestEvent('sale.sold')
      const { headers } = signedPayload(event, { secret })
      const tampered = JSON.stringify({ ...event, PrimaryKey: event.PrimaryKey + 1 })
      const response = await post(tampered, headers)
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ ok: false, error: 'signature_invalid' })
      const wrongKey = signedPayload(createTestEvent('sale.sold'), { secret: 'not-the-secret' })
      expect((await post(wrongKey.body, wrongKey.headers)).status).toBe(401)
      expect(lineFor(event.EventId)).toHaveLength(0)
    })

    it('401 signature_missing: an unsigned delivery', async () => {
      const event = createTestEvent('sale.sold')
      const response = await post(JSON.stringify(event), { 'content-type': 'application/json' })
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ ok: false, error: 'signature_missing' })
      expect(lineFor(event.EventId)).toHaveLength(0)
    })

    it('400 invalid_json: a signed body that is not JSON', async () => {
      const { body, headers } = signedPayload('{"EventId": ', { secret })
      const response = await post(body, headers)
      expect(response.status).toBe(400)
      expect(await response.json()).toMatchObject({ ok: false, error: 'invalid_json' })
    })

    it('413 payload_too_large: a body over the limit (1 MiB), signed or not', async () => {
      const event = createTestEvent('sale.changed', { WebhookName: 'x'.repeat(1_200_000) })
      const { body, headers } = signedPayload(event, { secret })
      const response = await post(body, headers)
      expect(response.status).toBe(413)
      expect(await response.json()).toMatchObject({ ok: false, error: 'payload_too_large' })
      expect(lineFor(event.EventId)).toHaveLength(0)
    })

    it('413 then valid deliveries on the same pooled connection: answered, never a reset', async () => {
      // SuperOffice's sender reuses connections: the rest of a refused upload must not fail the
      // next delivery (workerd resets a connection whose body was left unread; Bun breaks the
      // upload when told Connection: close). The refused body is read and thrown away instead.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      try {
        const refused = await postOn(agent, endpoint(), Buffer.alloc(3 * 1024 * 1024, 0x20), {
          'content-type': 'application/json',
        })
        expect(refused.status).toBe(413)
        for (let i = 0; i < 3; i++) {
          const { body, headers } = signedPayload(createTestEvent('sale.sold'), { secret })
          expect((await postOn(agent, endpoint(), Buffer.from(body), headers)).status).toBe(200)
        }
      } finally {
        agent.destroy()
      }
    })

    it('413: a chunked body over the limit (no Content-Length), then the next delivery is answered', async () => {
      const { status, body } = await chunkedPost(endpoint(), 4 * 1024 * 1024)
      expect(status).toBe(413)
      expect(JSON.parse(body)).toMatchObject({ error: 'payload_too_large' })
      const { body: next, headers } = signedPayload(createTestEvent('sale.sold'), { secret })
      expect((await post(next, headers)).status).toBe(200)
    })

    it('a duplicate: 200 twice, handled once', async () => {
      const event = createTestEvent('sale.lost')
      const { body, headers } = signedPayload(event, { secret })
      expect(await (await post(body, headers)).json()).toEqual({ ok: true })
      expect(await (await post(body, headers)).json()).toEqual({ ok: true, duplicate: true })
      await app.waitForLine(new RegExp(`id=${event.EventId}$`))
      expect(lineFor(event.EventId)).toHaveLength(1)
    })

    it('405 with Allow: POST for other methods', async () => {
      const response = await fetch(endpoint())
      expect(response.status).toBe(405)
      expect(response.headers.get('allow')).toBe('POST')
      await response.body?.cancel()
    })
  })

  describe(`handleRequest on ${options.name}, deployed without its secret`, () => {
    it('answers 500 secret_unavailable (never 401 or 410), so SuperOffice keeps the delivery', async () => {
      const app = await start({ SUPEROFFICE_WEBHOOK_SECRET: '' })
      try {
        const { body, headers } = signedPayload(createTestEvent('sale.sold'), { secret: 'any' })
        const response = await fetch(`${app.url}/webhooks/superoffice`, { method: 'POST', body, headers })
        expect(response.status).toBe(500)
        const answer = await response.text()
        expect(JSON.parse(answer)).toMatchObject({ ok: false, error: 'secret_unavailable' })
        // The log names the variable to set; the answer does not.
        await expect
          .poll(() => `${app.stderr()}\n${app.lines.join('\n')}`, { timeout: 5000 })
          .toMatch(/SUPEROFFICE_WEBHOOK_SECRET/)
        expect(answer).not.toContain('SUPEROFFICE_WEBHOOK_SECRET')
      } finally {
        await app.stop()
      }
    })
  })
}
