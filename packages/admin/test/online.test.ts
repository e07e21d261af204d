// The Webhook API of a SuperOffice Online tenant through createSuperOfficeApi: the tenant's host
// from the state API, a system-user ticket, and the watchdog running for several intervals while
// the tenant moves to another host.
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSuperOfficeApi } from '@superoffice-webhooks/api'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { readRawBody } from '@superoffice-webhooks/core/adapter'
import { startWebhookApiServer, type WebhookApiServer } from '@superoffice-webhooks/fixtures/webhook-api'
import { type SuperOfficeOnline, startSuperOfficeOnline } from '@superoffice-webhooks/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSuperOfficeWebhookClient, type WebhookStateChange, watchWebhooks } from '../src/index.js'

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const secret = 'online-test-secret'

let online: SuperOfficeOnline
let webhookApi: WebhookApiServer
let target: { server: Server; url: string; failing: boolean }
beforeEach(async () => {
  webhookApi = await startWebhookApiServer({ retryDelaysMs: [5, 5] })
  online = await startSuperOfficeOnline({
    appPublicKey: publicKey,
    forward: () => ({ baseUrl: webhookApi.baseUrl, headers: { authorization: `Bearer ${webhookApi.token}` } }),
  })
  const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
  const state = { failing: false }
  webhooks.onAny(() => {
    if (state.failing) throw new Error('downstream down')
  })
  const server = createServer(async (req, res) => {
    const answer = await webhooks.handle({ rawBody: await readRawBody(req, { limit: 1 << 20 }), headers: req.headers })
    res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  target = Object.assign(state, {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/superoffice`,
  })
})
afterEach(async () => {
  target.server.closeAllConnections()
  await new Promise((resolve) => target.server.close(resolve))
  await online.close()
  await webhookApi.close()
})

describe('the Webhook API on SuperOffice Online', () => {
  it('is reached on the tenant host with a ticket; the watchdog keeps working across a move', async () => {
    const api = createSuperOfficeApi({
      environment: { authority: online.authority },
      applicationToken: online.applicationToken,
      privateKey,
      systemUserToken: 'Cust12345-system-user',
      retryDelayMs: 5,
    })
    const client = createSuperOfficeWebhookClient({ api, tenant: 'Cust12345' })
    const hook = await client.create({ Name: 'watched', Events: ['sale.sold'], TargetUrl: target.url, Secret: secret })
    expect(online.calls.find((c) => c.method === 'POST' && c.path === '/Cust12345/api/v1/Webhook')).toMatchObject({
      status: 200,
      scheme: 'SOTicket',
      appToken: true,
    })

    const changes: WebhookStateChange[] = []
    const errors: unknown[] = []
    const watchdog = watchWebhooks(client, {
      restart: true,
      intervalMs: 100,
      onStateChange: (change) => void changes.push(change),
      onError: (error) => void errors.push(error),
    })
    try {
      // Running: several checks, then the tenant moves and the webhook is stopped by failures.
      await until(() => online.calls.filter((c) => c.path === '/Cust12345/api/v1/Webhook').length >= 4)
      online.moveTenant('Cust12345')
      target.failing = true
      for (let i = 0; i < 3; i++) await client.signal('sale.sold', 100 + i)
      target.failing = false
      await until(() => changes.some((c) => c.restarted))
      expect(changes.find((c) => c.restarted)).toMatchObject({
        webhook: { WebhookId: hook.WebhookId },
        state: 'TooManyErrors',
      })
      expect((await client.get(hook.WebhookId)).State).toBe('Active')
      expect(online.calls.some((c) => c.status === 421)).toBe(true)
      expect(errors).toEqual([])
    } finally {
      watchdog.stop()
    }
  })
})

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
