// What a hostile or broken peer does to the API client: redirects to another origin, answers that
// are huge or never end, throttling for days, a state API that points elsewhere, a server that is
// gone. Real HTTP, a hand-written peer per case.
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startSuperOfficeOnline } from '@superoffice-webhooks/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { createSuperOfficeApi, SuperOfficeApiError } from '../src/index.js'

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function peer(handler: (req: IncomingMessage, res: ServerResponse, origin: string) => void): Promise<string> {
  let origin = ''
  const server = createServer((req, res) => handler(req, res, origin))
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return origin
}

/** An authority whose state API sends the tenant to `host`; API calls use a Bearer token. */
async function authorityFor(host: string) {
  return peer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify({ ContextIdentifier: 'Cust1', Endpoint: `${host}/Cust1`, State: 'Running', IsRunning: true }),
    )
  })
}

const apiAt = async (host: string, extra: Record<string, unknown> = {}) =>
  createSuperOfficeApi({
    environment: { authority: await authorityFor(host) },
    accessToken: 'bearer-token-123',
    applicationToken: 'app-token-456',
    retryDelayMs: 10,
    ...extra,
  })

describe('the API client and a hostile peer', () => {
  it('a redirect to another origin is not followed: the other host never sees a credential', async () => {
    const seen: (string | undefined)[] = []
    const elsewhere = await peer((req, res) => {
      seen.push(req.headers.authorization ?? req.headers['so-apptoken']?.toString())
      res.end('{}')
    })
    const host = await peer((_req, res) => {
      res.writeHead(307, { location: `${elsewhere}/steal` }).end()
    })
    const error = await (await apiAt(host)).request('Cust1', 'GET', '/Sale/1').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SuperOfficeApiError)
    expect(String(error)).toMatch(/redirected to another origin .*not followed/)
    expect(seen).toEqual([])
  })

  it('a huge answer is refused without being read; one that never ends times out', async () => {
    const huge = await peer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(64 * 1024, 32)
      let sent = 0
      const write = () => {
        while (sent < 50 * 1024 * 1024) {
          sent += chunk.length
          if (!res.write(chunk)) return res.once('drain', write)
        }
        res.end()
      }
      write()
    })
    await expect((await apiAt(huge)).request('Cust1', 'GET', '/Sale/1')).rejects.toThrow(/larger than 4194304 bytes/)
    const endless = await peer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"SaleId":')
    })
    await expect(
      (await apiAt(endless, { timeoutMs: 500, retries: 0 })).request('Cust1', 'GET', '/Sale/1'),
    ).rejects.toThrow(/no complete answer within 500 ms/)
  })

  it('a Retry-After of days fails the call at once, naming it; a 200 that is not JSON is a clear error', async () => {
    const throttled = await peer((_req, res) => {
      res.writeHead(429, { 'retry-after': '999999' }).end('{"Error":"slow down"}')
    })
    const error = (await (
      await apiAt(throttled)
    )
      .request('Cust1', 'GET', '/Sale/1')
      .catch((e: unknown) => e)) as SuperOfficeApiError
    expect(error.message).toMatch(/retry after 999999 s, more than the 60 s/)
    // What SuperOffice asked for travels with the error: the inbox holds the tenant that long.
    expect(error.retryAfterMs).toBe(999_999_000)
    expect(error.code).toBe('throttled')
    const html = await peer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>')
    })
    const notJson = (await (
      await apiAt(html)
    )
      .request('Cust1', 'GET', '/Sale/1')
      .catch((e: unknown) => e)) as SuperOfficeApiError
    expect(notJson.message).toMatch(/not JSON \(text\/html\)/)
    expect(notJson.code).toBe('invalid_answer')
  })

  it('a 429 asking for no wait (0, a past date, a fraction of a millisecond) settles: retried like a 5xx, with backoff', async () => {
    for (const retryAfter of ['0', 'Thu, 01 Jan 1970 00:00:00 GMT', '0.0000001', '-5', 'soon', undefined]) {
      let calls = 0
      const throttled = await peer((_req, res) => {
        calls++
        res.writeHead(429, retryAfter === undefined ? {} : { 'retry-after': retryAfter }).end('{"Error":"slow down"}')
      })
      const api = await apiAt(throttled, { retryDelayMs: 1, retries: 3 })
      const error = (await api.request('Cust1', 'GET', '/Sale/1').catch((e: unknown) => e)) as SuperOfficeApiError
      expect(error, `Retry-After ${retryAfter}`).toBeInstanceOf(SuperOfficeApiError)
      expect(error.status).toBe(429)
      expect(error.message).toMatch(/failed with 429: slow down/)
      expect(error.retryAfterMs, 'no pacing was asked for').toBeUndefined()
      expect(calls).toBe(4)
    }
  })

  it('a short Retry-After over and over ends at maxThrottledRetries, however little each asks', async () => {
    let calls = 0
    const throttled = await peer((_req, res) => {
      calls++
      res.writeHead(429, { 'retry-after': '0.02' }).end('{"Error":"slow down"}')
    })
    const api = await apiAt(throttled, { retryDelayMs: 1, maxThrottledRetries: 5 })
    const error = (await api.request('Cust1', 'GET', '/Sale/1').catch((e: unknown) => e)) as SuperOfficeApiError
    expect(error.status).toBe(429)
    expect(error.message).toMatch(/throttled 6 times in a row \(maxThrottledRetries 5\)/)
    expect(error.retryAfterMs).toBe(20)
    expect(calls).toBe(6)
  })

  it('the waits between 429s without a usable Retry-After back off from the floor', async () => {
    const times: number[] = []
    const throttled = await peer((_req, res) => {
      times.push(performance.now())
      res.writeHead(429, { 'retry-after': '0' }).end()
    })
    const api = await apiAt(throttled, { retryDelayMs: 20, retries: 3 })
    await expect(api.request('Cust1', 'GET', '/Sale/1')).rejects.toThrow(/failed with 429/)
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number))
    // At least the backoff each time (20, 40, 80 ms); a busy machine only makes them longer.
    expect(gaps[0]).toBeGreaterThanOrEqual(19)
    expect(gaps[1]).toBeGreaterThanOrEqual(39)
    expect(gaps[2]).toBeGreaterThanOrEqual(79)
  })

  it('an aborted signal ends a throttled call at once, and frees its slot for the next caller', async () => {
    let calls = 0
    const throttled = await peer((_req, res) => {
      calls++
      res.writeHead(429, { 'retry-after': '30' }).end()
    })
    const api = await apiAt(throttled, { concurrency: 1 })
    const stop = new AbortController()
    const first = api.request('Cust1', 'GET', '/Sale/1', { signal: stop.signal }).catch((e: unknown) => e)
    const queued = new AbortController()
    const second = api.request('Cust1', 'GET', '/Sale/2', { signal: queued.signal }).catch((e: unknown) => e)
    while (calls === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    stop.abort(new Error('stopped by the test'))
    queued.abort(new Error('queued caller gave up'))
    expect(((await first) as Error).message).toBe('stopped by the test')
    expect(((await second) as Error).message).toBe('queued caller gave up')
    expect(calls).toBe(1)
    // The slot is free again: a new call reaches the server.
    const third = new AbortController()
    const pending = api.request('Cust1', 'GET', '/Sale/3', { signal: third.signal }).catch((e: unknown) => e)
    while (calls === 1) await new Promise((resolve) => setTimeout(resolve, 5))
    third.abort(new Error('done'))
    expect(((await pending) as Error).message).toBe('done')
  })

  it('a path with encoded dot segments or separators never reaches the server', async () => {
    const paths: string[] = []
    const host = await peer((req, res) => {
      paths.push(req.url ?? '')
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
    const api = await apiAt(host)
    for (const bad of [
      '/Sale/%2e%2e/%2e%2e/Cust2/api/v1/Sale/1',
      '/Sale/%2E%2E/Webhook',
      '/Sale/.%2e/Webhook',
      '/Sale/%2e./Webhook',
      '/%2e',
      '/Sale/%252e%252e/Webhook',
      '/Sale%2f..%2fWebhook',
      '/Sale%5C1',
      '/Sale/%zz',
      '/Sale\\..\\Webhook',
      'Sale/1',
    ]) {
      await expect(api.request('Cust1', 'GET', bad), bad).rejects.toThrow(/must be a path under \/api\/v1/)
    }
    expect(paths).toEqual([])
    await api.request('Cust1', 'GET', '/Sale/1')
    await api.request('Cust1', 'POST', `/Webhook/${encodeURIComponent('y_table.created')}/7`)
    expect(paths).toEqual(['/Cust1/api/v1/Sale/1', '/Cust1/api/v1/Webhook/y_table.created/7'])
  })

  it('an error text that echoes the token or app token is redacted', async () => {
    const echo = await peer((req, res) => {
      res
        .writeHead(400)
        .end(JSON.stringify({ Error: `bad ${req.headers.authorization} ${req.headers['so-apptoken']}` }))
    })
    const error = (await (await apiAt(echo)).request('Cust1', 'GET', '/Sale/1').catch((e: unknown) => e)) as Error
    expect(error.message).toMatch(/bad Bearer \[redacted\] \[redacted\]/)
  })

  it('a state API of a named environment may only send the tenant to SuperOffice hosts', async () => {
    // A custom https authority allows only https endpoints; an http one any http(s) host. The named
    // environments ('online'…) allow only *.superoffice.com over https (not reachable from here).
    const authority = await peer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          ContextIdentifier: 'Cust1',
          Endpoint: 'ftp://evil.example/Cust1',
          State: 'Running',
          IsRunning: true,
        }),
      )
    })
    const api = createSuperOfficeApi({ environment: { authority }, accessToken: 't0ken' })
    await expect(api.request('Cust1', 'GET', '/Sale/1')).rejects.toThrow(/endpoint this environment does not allow/)
    const other = await peer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          ContextIdentifier: 'Cust2',
          Endpoint: `${authority}/Cust2`,
          State: 'Running',
          IsRunning: true,
        }),
      )
    })
    await expect(
      createSuperOfficeApi({ environment: { authority: other }, accessToken: 't0ken' }).request(
        'Cust1',
        'GET',
        '/Sale/1',
      ),
    ).rejects.toThrow(/answered for another tenant/)
  })

  it('SuperOffice unreachable is a status-0 error after the retries, naming it', async () => {
    const gone = await peer(() => {})
    const server = servers.pop() as Server
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    const api = createSuperOfficeApi({
      environment: { authority: gone },
      accessToken: 't0ken',
      retries: 1,
      retryDelayMs: 10,
    })
    const error = (await api.request('Cust1', 'GET', '/Sale/1').catch((e: unknown) => e)) as SuperOfficeApiError
    expect(error.status).toBe(0)
    expect(error.code).toBe('unreachable')
    expect(error.message).toMatch(/could not be reached/)
  })

  it('the JWKS down: the ticket cannot be checked, so it is not used', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const online = await startSuperOfficeOnline({ appPublicKey: publicKey })
    try {
      // An authority that forwards everything to the stand-in but the key set, which never answers.
      const proxy = await peer(async (req, res) => {
        if (req.url?.includes('jwks')) return // hangs
        const chunks: Buffer[] = []
        for await (const chunk of req) chunks.push(chunk as Buffer)
        const answer = await fetch(`${online.authority}${req.url}`, {
          method: req.method ?? 'GET',
          headers: { 'content-type': 'application/json' },
          ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
        })
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text())
      })
      const api = createSuperOfficeApi({
        environment: { authority: proxy, issuers: [online.authority] },
        applicationToken: online.applicationToken,
        privateKey,
        systemUserToken: 'Cust12345-system-user',
        timeoutMs: 1000,
      })
      await expect(api.request('Cust12345', 'GET', '/Sale/1')).rejects.toThrow(
        /JWT was refused: SuperOffice's key set could not be read \(.*no complete answer within 1000 ms\)/,
      )
      expect(online.calls.some((c) => c.server !== 'authority')).toBe(false)
    } finally {
      await online.close()
    }
  })
})
