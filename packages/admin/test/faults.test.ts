// Issue 20: a hostile or failing Webhook API, over real HTTP, and the watchdog running long.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { readRawBody } from '@superoffice-webhooks/core/adapter'
import { startWebhookApiServer } from '@superoffice-webhooks/fixtures/webhook-api'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createSuperOfficeWebhookClient,
  SuperOfficeApiError,
  type SuperOfficeWebhookClientOptions,
  type WebhookStateChange,
  watchWebhooks,
} from '../src/index.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void
interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A peer on loopback that records what it was sent and answers as `handler` says. */
async function peer(handler: Handler) {
  const seen: Seen[] = []
  const server = createServer(async (req, res) => {
    const body = Buffer.from(await readRawBody(req, { limit: 1 << 20 })).toString('utf8')
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
    handler(req, res)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { origin, seen }
}

const TOKEN = 'access-token-7f3a9c'
const APP_TOKEN = 'app-token-41d2e8'
const clientFor = (origin: string, extra: Partial<SuperOfficeWebhookClientOptions> = {}) =>
  createSuperOfficeWebhookClient({
    baseUrl: `${origin}/Cust1`,
    accessToken: TOKEN,
    appToken: APP_TOKEN,
    retries: 2,
    retryDelayMs: 10,
    ...extra,
  })
const webhookJson = { WebhookId: 1, Name: 'w', State: 'Active', Events: ['sale.sold'], TargetUrl: 'https://x' }
const refusal = async (call: Promise<unknown>) => {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(SuperOfficeApiError)
  return error as SuperOfficeApiError
}

describe('7. the client keeps credentials in the API origin', () => {
  it('a 307 to another host is not followed: no token, app token or webhook Secret reaches it', async () => {
    const elsewhere = await peer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'))
    const api = await peer((_req, res) => res.writeHead(307, { location: `${elsewhere.origin}/steal` }).end())
    const client = clientFor(api.origin)
    const error = await refusal(
      client.create({ Name: 'n', Events: ['sale.sold'], TargetUrl: 'https://x', Secret: 'webhook-secret-99' }),
    )
    expect(error.status).toBe(307)
    expect(error.message).toContain(`redirected to another origin (${elsewhere.origin})`)
    expect(elsewhere.seen).toEqual([])
    expect(api.seen).toHaveLength(1) // and not retried
  })

  it('a redirect within the origin is followed, with the method and body of a 307', async () => {
    const api = await peer((req, res) => {
      if (req.url?.startsWith('/Cust1/')) res.writeHead(307, { location: `/moved${req.url}` }).end()
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(webhookJson))
    })
    const created = await clientFor(api.origin).create({ Name: 'n', Events: ['sale.sold'], TargetUrl: 'https://x' })
    expect(created.WebhookId).toBe(1)
    expect(api.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /Cust1/api/v1/Webhook',
      'POST /moved/Cust1/api/v1/Webhook',
    ])
    expect(JSON.parse(api.seen[1]?.body ?? '{}')).toMatchObject({ Name: 'n' })
  })

  it('a 429 with Retry-After: 999999 fails at once with the value instead of sleeping 11.6 days', async () => {
    for (const value of ['999999', '99999999999999']) {
      const api = await peer((_req, res) => res.writeHead(429, { 'retry-after': value }).end('{"Error":"slow down"}'))
      const error = await refusal(clientFor(api.origin).list())
      expect(error.status).toBe(429)
      expect(error.message).toMatch(/retry after \d+ s, more than the 60 s this client waits/)
      expect(api.seen).toHaveLength(1) // neither slept nor retried at once
    }
  })

  it('a short Retry-After (seconds or an HTTP date) is honoured', async () => {
    let calls = 0
    const api = await peer((_req, res) => {
      calls++
      if (calls === 1) res.writeHead(429, { 'retry-after': '1' }).end()
      else if (calls === 2) res.writeHead(503, { 'retry-after': new Date(Date.now() + 500).toUTCString() }).end()
      else res.writeHead(200, { 'content-type': 'application/json' }).end('[]')
    })
    expect(await clientFor(api.origin).list()).toEqual([])
    expect(calls).toBe(3)
  })

  it('an endless answer is cut off at maxResponseBytes; a huge declared one is not read at all', async () => {
    const endless = await peer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(16 * 1024, 0x20)
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) {}
        if (!res.destroyed) res.once('drain', pump)
      }
      res.write('[')
      pump()
    })
    const error = await refusal(clientFor(endless.origin, { maxResponseBytes: 256 * 1024 }).list())
    expect(error.message).toMatch(/larger than 262144 bytes/)

    const declared = await peer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) }).end(),
    )
    expect((await refusal(clientFor(declared.origin).list())).message).toMatch(/larger than 4194304 bytes/)
  })

  it('an answer that never ends is bounded by timeoutMs and reported as such', async () => {
    const trickle = await peer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('[')
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 50)
    })
    const error = await refusal(clientFor(trickle.origin, { timeoutMs: 400, retries: 0 }).list())
    expect(error.status).toBe(0)
    expect(error.message).toMatch(/no complete answer within 400 ms/)
  })

  it('a 200 whose body is not JSON is a SuperOfficeApiError naming what came back', async () => {
    const api = await peer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>'))
    const error = await refusal(clientFor(api.origin).get(1))
    expect(error.status).toBe(200)
    expect(error.message).toMatch(/the answer is not JSON \(text\/html\): <html>login<\/html>/)
  })

  it('a token, app token or webhook secret that the server echoes never appears in the error', async () => {
    const api = await peer((req, res) =>
      res.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          Error: `bad: ${req.headers.authorization} ${req.headers['so-apptoken']} webhook-secret-99`,
        }),
      ),
    )
    const error = await refusal(
      clientFor(api.origin).create({ Name: 'n', Events: ['e'], TargetUrl: 'https://x', Secret: 'webhook-secret-99' }),
    )
    expect(error.message).not.toContain(TOKEN)
    expect(error.message).not.toContain(APP_TOKEN)
    expect(error.message).not.toContain('webhook-secret-99')
    expect(error.message).toContain('[redacted]')
  })
})

describe('3. the watchdog as a service', () => {
  it('checks at once, keeps checking for several intervals, restarts a webhook twice and survives an outage between', async () => {
    const api = await startWebhookApiServer({ retryDelaysMs: [5, 5] })
    let failing = true
    const webhooks = createSuperOfficeWebhooks({ secret: 'w-secret', logger: false })
    webhooks.onAny(() => {
      if (failing) throw new Error('down')
    })
    // The webhook's target: core's pipeline over node:http, failing while `failing` is set.
    const receiver = createServer(async (req, res) => {
      const answer = await webhooks.handle({
        rawBody: await readRawBody(req, { limit: 1 << 20 }),
        headers: req.headers,
      })
      res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
    })
    servers.push(receiver)
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    const targetUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`
    const client = createSuperOfficeWebhookClient({ baseUrl: api.baseUrl, accessToken: api.token, retries: 0 })
    failing = false
    const hook = await client.create({ Name: 'svc', Events: ['sale.sold'], TargetUrl: targetUrl, Secret: 'w-secret' })

    const changes: WebhookStateChange[] = []
    const errors: { failures: number; nextCheckInMs: number }[] = []
    const before = api.calls
    const watchdog = watchWebhooks(client, {
      intervalMs: 150,
      restart: true,
      maxBackoffMs: 300,
      onStateChange: (c) => void changes.push(c),
      onError: (_error, info) => void errors.push(info),
    })
    const until = async (check: () => boolean, what: string) => {
      for (let i = 0; i < 600 && !check(); i++) await new Promise((r) => setTimeout(r, 50))
      expect(check(), what).toBe(true)
    }
    try {
      await until(() => api.calls > before, 'the first check, at once')
      const disable = async () => {
        failing = true
        for (let i = 0; i < 3; i++) await client.signal('sale.sold', i + 1)
        failing = false
      }
      await disable()
      await until(() => changes.filter((c) => c.restarted).length === 1, 'the first restart')

      api.failNext(503, 3) // an outage: three checks in a row fail, each reported, none stops it
      await until(() => errors.length === 3, 'the outage reported')

      await disable()
      await until(() => changes.filter((c) => c.restarted).length === 2, 'the second restart, after the outage')
      expect((await client.get(hook.WebhookId)).State).toBe('Active')
      expect(errors.map((e) => e.failures)).toEqual([1, 2, 3])
    } finally {
      watchdog.stop()
      await watchdog.done
      await api.close()
    }
  })

  it('done means no call in flight: a stop during a slow check waits for it, the same signal cuts it short', async () => {
    // A Webhook API that answers each list only when released: the check is in flight when stopped.
    let arrived = 0
    let release: () => void = () => {}
    const slow = createServer((req, res) => {
      arrived++
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('[]')
      if (req.url?.includes('/Webhook')) release = answer
      else answer()
    })
    servers.push(slow)
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve))
    const baseUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`

    // stop() alone: done waits for the running check to settle.
    const client = createSuperOfficeWebhookClient({ baseUrl, accessToken: 't0ken', retries: 0 })
    const watchdog = watchWebhooks(client, { intervalMs: 50 })
    while (arrived === 0) await new Promise((r) => setTimeout(r, 10))
    watchdog.stop()
    let settled = false
    const done = watchdog.done.then(() => {
      settled = true
    })
    await new Promise((r) => setTimeout(r, 100))
    expect(settled).toBe(false)
    release()
    await done
    const after = arrived
    await new Promise((r) => setTimeout(r, 200))
    expect(arrived).toBe(after)

    // One signal for client and watchdog: the call in flight is given up, done follows at once.
    arrived = 0
    const controller = new AbortController()
    const cut = createSuperOfficeWebhookClient({ baseUrl, accessToken: 't0ken', signal: controller.signal })
    const errors: unknown[] = []
    const second = watchWebhooks(cut, { intervalMs: 50, signal: controller.signal, onError: (e) => errors.push(e) })
    while (arrived === 0) await new Promise((r) => setTimeout(r, 10))
    controller.abort()
    await second.done
    await new Promise((r) => setTimeout(r, 200))
    expect(arrived).toBe(1)
    expect(errors).toEqual([]) // a check cut short by stopping is not reported as a failure
  })

  it('holds the process open until stopped, like a service; the signal option stops it', async () => {
    const api = await startWebhookApiServer()
    // Calls counted where they start: one sent just before the stop may reach the server later.
    let started = 0
    const client = createSuperOfficeWebhookClient({
      baseUrl: api.baseUrl,
      accessToken: api.token,
      fetch: (input, init) => {
        started++
        return fetch(input, init)
      },
    })
    const controller = new AbortController()
    const watchdog = watchWebhooks(client, { intervalMs: 100, signal: controller.signal })
    try {
      // Checks run on a ref'd timer: at once and then about every 100 ms.
      while (api.calls < 2) await new Promise((r) => setTimeout(r, 20))
      controller.abort()
      await watchdog.done
      const after = started
      await new Promise((r) => setTimeout(r, 300))
      expect(started).toBe(after)
    } finally {
      watchdog.stop()
      await api.close()
    }
  })
})
