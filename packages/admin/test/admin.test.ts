import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSuperOfficeWebhooks, type SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { readRawBody } from '@superoffice-webhooks/core/adapter'
import { startWebhookApiServer, type WebhookApiServer } from '@superoffice-webhooks/fixtures/webhook-api'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createSuperOfficeWebhookClient,
  ensureWebhook,
  SuperOfficeApiError,
  type SuperOfficeWebhookClient,
  type WebhookStateChange,
  watchWebhooks,
} from '../src/index.js'

const secret = 'admin-test-secret'

/** A real receiver (core's pipeline over node:http); `failing` makes its handler throw. */
async function receiver(options: { secret?: string } = {}) {
  const state = { failing: false, events: [] as string[] }
  const webhooks: SuperOfficeWebhooks = createSuperOfficeWebhooks({ secret: options.secret ?? secret, logger: false })
  webhooks.onAny((event) => {
    if (state.failing) throw new Error('downstream down')
    state.events.push(event.Event)
  })
  const server: Server = createServer(async (req, res) => {
    const answer = await webhooks.handle({ rawBody: await readRawBody(req, { limit: 1 << 20 }), headers: req.headers })
    res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/superoffice`,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

let api: WebhookApiServer
let client: SuperOfficeWebhookClient
beforeEach(async () => {
  api = await startWebhookApiServer({ retryDelaysMs: [5, 5] })
  client = createSuperOfficeWebhookClient({ baseUrl: api.baseUrl, accessToken: api.token, retryDelayMs: 5 })
})
afterEach(async () => {
  await api.close()
})

describe('the Webhook API client', () => {
  it('create (after SuperOffice’s signed test call), get, list with filters, update, test, delete', async () => {
    const target = await receiver()
    try {
      const created = await client.create({
        Name: 'crm-sync',
        Events: ['sale.sold'],
        TargetUrl: target.url,
        Secret: secret,
      })
      expect(created).toMatchObject({ Name: 'crm-sync', State: 'Active', Type: 'webhook' })
      expect(created.WebhookId).toBeGreaterThan(0)
      expect(target.state.events).toEqual([]) // the test event reaches no business handler

      expect(await client.get(created.WebhookId)).toMatchObject({ TargetUrl: target.url })
      expect(await client.list({ nameFilter: 'crm-sync' })).toHaveLength(1)
      expect(await client.list({ eventFilter: 'contact.created' })).toHaveLength(0)
      expect(await client.list({ statusFilter: 'TooManyErrors' })).toHaveLength(0)

      const updated = await client.update(created.WebhookId, { ...created, Events: ['sale.sold', 'sale.lost'] })
      expect(updated.Events).toEqual(['sale.sold', 'sale.lost'])
      expect(await client.test(updated)).toMatchObject({ Success: true })
      expect((await client.getDefault()).Events).toEqual(['contact.created', 'contact.deleted'])

      await client.delete(created.WebhookId)
      expect(await client.list()).toEqual([])
    } finally {
      await target.close()
    }
  })

  it("a target with the wrong secret: the save fails with SuperOffice's message, and nothing is saved", async () => {
    const target = await receiver({ secret: 'another secret' })
    try {
      const error = await client
        .create({ Name: 'wrong', Events: ['sale.sold'], TargetUrl: target.url, Secret: secret })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(SuperOfficeApiError)
      expect((error as SuperOfficeApiError).status).toBe(400)
      expect((error as SuperOfficeApiError).superOfficeMessage).toMatch(/test call .* failed: 401 .*signature_invalid/)
      expect(String(error)).not.toContain(secret)
      expect(String(error)).not.toContain(api.token)
      expect(await client.list()).toEqual([])
      expect((await client.test({ Name: 'x', Events: [], TargetUrl: target.url, Secret: secret })).Success).toBe(false)
    } finally {
      await target.close()
    }
  })

  it('retries 429 and 503 with backoff; a 401 is not retried and says why', async () => {
    api.failNext(503, 2)
    const before = api.calls
    expect(await client.list()).toEqual([])
    expect(api.calls - before).toBe(3)
    api.failNext(429, 1)
    expect(await client.list()).toEqual([])

    const bad = createSuperOfficeWebhookClient({ baseUrl: api.baseUrl, accessToken: 'nope', retryDelayMs: 5 })
    const error = (await bad.list().catch((e: unknown) => e)) as SuperOfficeApiError
    expect(error.status).toBe(401)
    expect(error.message).toBe('GET /api/v1/Webhook failed with 401: Unauthorized: a valid access token is required.')
  })

  it('getAccessToken is asked for each request; an unreachable API is status 0 after the retries', async () => {
    let asked = 0
    const fresh = createSuperOfficeWebhookClient({
      baseUrl: api.baseUrl,
      getAccessToken: async () => {
        asked++
        return api.token
      },
    })
    await fresh.list()
    await fresh.list()
    expect(asked).toBe(2)
    await api.close()
    const down = createSuperOfficeWebhookClient({ baseUrl: api.baseUrl, accessToken: 't', retries: 1, retryDelayMs: 5 })
    expect(((await down.list().catch((e: unknown) => e)) as SuperOfficeApiError).status).toBe(0)
    api = await startWebhookApiServer()
  })
})

describe('ensureWebhook', () => {
  it('creates, then leaves alone, then updates what changed: idempotent', async () => {
    const target = await receiver()
    try {
      const spec = { name: 'deploy', targetUrl: target.url, events: ['sale.sold'], secret }
      expect((await ensureWebhook(client, spec)).action).toBe('created')
      expect((await ensureWebhook(client, spec)).action).toBe('unchanged')
      const { action, webhook } = await ensureWebhook(client, { ...spec, events: ['sale.sold', 'contact.created'] })
      expect(action).toBe('updated')
      expect(webhook.Events).toEqual(['sale.sold', 'contact.created'])
      expect(await client.list()).toHaveLength(1)
    } finally {
      await target.close()
    }
  })

  it('sets the description and who SuperOffice notifies of failures; a change there is an update', async () => {
    const target = await receiver()
    try {
      const spec = {
        name: 'notified',
        targetUrl: target.url,
        events: ['sale.sold'],
        secret,
        description: 'Syncs won sales to the ERP',
        notify: { via: 'Email' as const, when: 'Disabling' as const, emails: ['ops@example.com'], associates: [5] },
      }
      const { webhook } = await ensureWebhook(client, spec)
      expect(webhook).toMatchObject({
        Description: 'Syncs won sales to the ERP',
        NotifyVia: 'Email',
        NotifyWhen: 'Disabling',
        ErrorEmails: ['ops@example.com'],
        ErrorAssociates: [{ Id: 5 }],
      })
      expect((await ensureWebhook(client, spec)).action).toBe('unchanged')
      const changed = await ensureWebhook(client, {
        ...spec,
        notify: { ...spec.notify, when: 'FirstFailure' as const },
      })
      expect(changed.action).toBe('updated')
      expect(changed.webhook.NotifyWhen).toBe('FirstFailure')
    } finally {
      await target.close()
    }
  })
})

describe('watchWebhooks', () => {
  it('skips CRMScript webhooks unless asked to include them', async () => {
    const script = await client.create({
      Name: 'script',
      Events: ['sale.sold'],
      TargetUrl: 'https://script.invalid/1',
      Type: 'crmscript',
      State: 'TooManyErrors',
    })
    const watched: string[] = []
    const skipping = watchWebhooks(client, {
      intervalMs: 60_000,
      onStateChange: (c) => void watched.push(c.webhook.Name ?? ''),
    })
    await skipping.check()
    skipping.stop()
    expect(watched).toEqual([])
    const including = watchWebhooks(client, {
      intervalMs: 60_000,
      includeCrmScripts: true,
      onStateChange: (c) => void watched.push(c.webhook.Name ?? ''),
    })
    await including.check()
    including.stop()
    expect(watched).toEqual([script.Name])
  })

  it('notices TooManyErrors after nine failed deliveries, reports LastError, and restarts the webhook', async () => {
    const target = await receiver()
    try {
      const hook = await client.create({
        Name: 'watched',
        Events: ['sale.sold'],
        TargetUrl: target.url,
        Secret: secret,
      })
      const changes: WebhookStateChange[] = []
      const watchdog = watchWebhooks(client, {
        restart: true,
        intervalMs: 60_000,
        onStateChange: (c) => void changes.push(c),
      })
      try {
        expect(await watchdog.check()).toEqual([]) // Active and healthy: nothing to say

        target.state.failing = true
        for (let i = 0; i < 3; i++) await client.signal('sale.sold', 100 + i) // 3 events × 3 attempts
        expect((await client.get(hook.WebhookId)).State).toBe('TooManyErrors')
        await client.signal('sale.sold', 200) // SuperOffice sends nothing more
        expect(api.deliveries.filter((d) => d.webhookId === hook.WebhookId)).toHaveLength(9)

        target.state.failing = false
        const [change] = await watchdog.check()
        expect(change).toMatchObject({
          state: 'TooManyErrors',
          previous: 'Active',
          restarted: true,
          consecutiveErrors: 9,
        })
        expect(change?.lastError).toMatch(/^500 .*handler_failed/)
        expect((await client.get(hook.WebhookId)).State).toBe('Active')
        await client.signal('sale.sold', 300)
        expect(target.state.events).toEqual(['sale.sold'])
        expect(changes).toHaveLength(1)
      } finally {
        watchdog.stop()
      }
    } finally {
      await target.close()
    }
  })

  it('reports rising ConsecutiveErrors before the webhook stops, without restarting', async () => {
    const target = await receiver()
    try {
      await client.create({ Name: 'flaky', Events: ['sale.sold'], TargetUrl: target.url, Secret: secret })
      const watchdog = watchWebhooks(client)
      try {
        await watchdog.check()
        target.state.failing = true
        await client.signal('sale.sold', 1)
        const [change] = await watchdog.check()
        expect(change).toMatchObject({ reason: 'errors', state: 'Active', consecutiveErrors: 3 })
        expect(change?.restarted).toBeUndefined()
      } finally {
        watchdog.stop()
      }
    } finally {
      await target.close()
    }
  })
})
