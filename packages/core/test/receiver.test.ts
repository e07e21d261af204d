import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import {
  createMemoryDedupeStore,
  createSuperOfficeWebhooks,
  type SuperOfficeDedupeStore,
  type SuperOfficeWebhookError,
  type SuperOfficeWebhooksOptions,
  signPayload,
} from '../src/index.js'
import { envelope } from './helpers.js'

const secret = 'receiver test secret'

function signed(body: unknown, options: { secret?: string; headers?: Record<string, string> } = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  return {
    rawBody: Buffer.from(text),
    headers: { 'X-SuperOffice-Signature': signPayload(text, options.secret ?? secret), ...options.headers },
  }
}

function receiver(options: SuperOfficeWebhooksOptions = {}) {
  const errors: SuperOfficeWebhookError[] = []
  const webhooks = createSuperOfficeWebhooks({ secret, logger: false, ...options })
  webhooks.onError((error) => {
    errors.push(error)
  })
  return { webhooks, errors }
}

describe('answer contract', () => {
  it("500 internal_error: an error that is neither the request's nor a handler's (a pipeline or adapter bug), its text kept out of the answer", () => {
    const errors: { code: string }[] = []
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
    webhooks.onError((error) => void errors.push(error))
    const answer = webhooks.answerError(new Error('cannot read properties of undefined (secret: s3cr3t)'))
    expect(answer).toMatchObject({ status: 500, body: { ok: false, error: 'internal_error' } })
    expect(JSON.stringify(answer.body)).not.toContain('s3cr3t')
    expect(errors.map((e) => e.code)).toEqual(['internal_error'])
  })

  it('200: verified and handled', async () => {
    const { webhooks } = receiver()
    const handler = vi.fn()
    webhooks.on('sale.sold', handler)
    const answer = await webhooks.handle(signed(envelope('sale.sold')))
    expect(answer).toMatchObject({ status: 200, body: { ok: true } })
    expect(handler).toHaveBeenCalledOnce()
  })

  it('200: a duplicate EventId is answered without running handlers again', async () => {
    const { webhooks } = receiver()
    const handler = vi.fn()
    webhooks.on('sale.sold', handler)
    const request = signed(envelope('sale.sold'))
    await webhooks.handle(request)
    const again = await webhooks.handle(request)
    expect(again).toMatchObject({ status: 200, body: { ok: true, duplicate: true } })
    expect(handler).toHaveBeenCalledOnce()
  })

  it('200: the test event is answered without running catch-alls or wildcards', async () => {
    const { webhooks } = receiver()
    const any = vi.fn()
    webhooks.onAny(any).on('*', any)
    const answer = await webhooks.handle(signed(envelope('test'), { headers: { 'X-Hook-Test': 'true' } }))
    expect(answer).toMatchObject({ status: 200, body: { ok: true, test: true } })
    expect(any).not.toHaveBeenCalled()
  })

  it('200: the test event runs a handler registered for it by name', async () => {
    const { webhooks } = receiver()
    const onTest = vi.fn()
    webhooks.on('test', onTest)
    expect((await webhooks.handle(signed(envelope('test')))).status).toBe(200)
    expect(onTest).toHaveBeenCalledOnce()
  })

  it('200: an event nobody handles', async () => {
    const { webhooks } = receiver()
    webhooks.on('contact.created', vi.fn())
    expect(await webhooks.handle(signed(envelope('sale.sold')))).toMatchObject({
      status: 200,
      body: { ok: true, handled: false },
    })
  })

  it('200: an unknown custom event reaches onAny and wildcards as a typed unknown event', async () => {
    const { webhooks } = receiver()
    const any = vi.fn()
    const wildcard = vi.fn()
    webhooks.onAny(any).on('acme.*', wildcard)
    const answer = await webhooks.handle(signed(envelope('acme.exploded', { Custom: 1 })))
    expect(answer.status).toBe(200)
    expect(any.mock.calls[0]?.[0]).toMatchObject({ Event: 'acme.exploded', Custom: 1 })
    expect(any.mock.calls[0]?.[1]).toMatchObject({ kind: 'unknown', tenant: 'Cust90210' })
    expect(wildcard).toHaveBeenCalledOnce()
  })

  it('400 invalid_json: the body is not JSON', async () => {
    const { webhooks, errors } = receiver()
    const answer = await webhooks.handle(signed('{"EventId": nope'))
    expect(answer).toMatchObject({ status: 400, body: { ok: false, error: 'invalid_json' } })
    expect(errors[0]?.code).toBe('invalid_json')
  })

  it.each([
    ['an array', []],
    ['a JSON string', '"sale.sold"'],
    ['null', null],
    ['an object without Event', { EventId: 'x' }],
    [
      'an envelope without EventId',
      (() => {
        const { EventId: _, ...rest } = envelope('acme.exploded')
        return rest
      })(),
    ],
    ['a PrimaryKey that is not a number', envelope('acme.exploded', { PrimaryKey: 'one' })],
  ])('strict: 400 invalid_envelope for %s; tolerant: 200, reported as schema_mismatch', async (_label, body) => {
    const strict = receiver({ strict: true })
    expect(await strict.webhooks.handle(signed(body))).toMatchObject({
      status: 400,
      body: { error: 'invalid_envelope' },
    })
    // Tolerant (default): the signature matched, so the body is SuperOffice's; a 400 would count
    // towards the nine failures that disable the webhook.
    const tolerant = receiver()
    expect(await tolerant.webhooks.handle(signed(body))).toMatchObject({ status: 200, body: { ok: true } })
    expect(tolerant.errors.map((e) => e.code)).toEqual(['schema_mismatch'])
  })

  it('401 signature_missing: a secret is configured and the header is absent', async () => {
    const { webhooks } = receiver()
    const answer = await webhooks.handle({ rawBody: JSON.stringify(envelope('sale.sold')), headers: {} })
    expect(answer).toMatchObject({ status: 401, body: { ok: false, error: 'signature_missing' } })
  })

  it('401 signature_invalid: signed with another secret', async () => {
    const { webhooks } = receiver()
    const answer = await webhooks.handle(signed(envelope('sale.sold'), { secret: 'another' }))
    expect(answer).toMatchObject({ status: 401, body: { ok: false, error: 'signature_invalid' } })
  })

  it('401 comes before 400: an unsigned non-JSON body is refused for its signature', async () => {
    const { webhooks } = receiver()
    expect((await webhooks.handle({ rawBody: 'nope', headers: {} })).status).toBe(401)
  })

  it('413 payload_too_large: a body over the limit', async () => {
    const { webhooks } = receiver({ maxBodyBytes: 1024 })
    const answer = await webhooks.handle(signed(envelope('sale.sold', { Padding: 'x'.repeat(2000) })))
    expect(answer).toMatchObject({ status: 413, body: { ok: false, error: 'payload_too_large' } })
    const asText = await webhooks.handle({ rawBody: 'é'.repeat(600), headers: {} })
    expect(asText.status).toBe(413)
  })

  it('500 handler_failed: a handler failed; its message is not in the answer; a retry is handled', async () => {
    const { webhooks, errors } = receiver()
    let calls = 0
    webhooks.on('sale.sold', () => {
      calls++
      if (calls === 1) throw new Error('database password is hunter2')
    })
    const request = signed(envelope('sale.sold'))
    const first = await webhooks.handle(request)
    expect(first).toMatchObject({ status: 500, body: { ok: false, error: 'handler_failed' } })
    expect(JSON.stringify(first.body)).not.toContain('hunter2')
    expect(errors[0]?.cause).toBeInstanceOf(Error)
    const retry = await webhooks.handle({ ...request, headers: { ...request.headers, 'X-SuperOffice-Retry': '1' } })
    expect(retry).toMatchObject({ status: 200, body: { ok: true } })
    expect(calls).toBe(2)
  })

  it("onFailure: a request's own report hook hears its handler failures (after onError, also after an early answer); other requests' do not, and a throwing hook is contained", async () => {
    const { webhooks, errors } = receiver({ respond: 'after-claim' })
    webhooks.on('sale.sold', (event) => {
      if (event.PrimaryKey === 1) throw new Error('downstream down')
    })
    const heard: { code: string; status: number; request: unknown; errorsBefore: number }[] = []
    const failing = signed(envelope('sale.sold', { PrimaryKey: 1 }))
    const fine = signed(envelope('sale.sold', { PrimaryKey: 2 }))
    const hook = () => (error: SuperOfficeWebhookError, info: { status: number; request?: unknown }) => {
      heard.push({ code: error.code, status: info.status, request: info.request, errorsBefore: errors.length })
      throw new Error('a hook that throws')
    }
    const answers = await Promise.all([
      webhooks.receive({
        method: 'POST',
        headers: failing.headers,
        body: { bytes: failing.rawBody },
        request: 'A',
        onFailure: hook(),
      }),
      webhooks.receive({
        method: 'POST',
        headers: fine.headers,
        body: { bytes: fine.rawBody },
        request: 'B',
        onFailure: hook(),
      }),
    ])
    expect(answers.map((a) => a.status)).toEqual([200, 200])
    await webhooks.close()
    expect(heard).toEqual([{ code: 'handler_failed', status: 200, request: 'A', errorsBefore: 1 }])
  })

  it('never answers with the secret, a stack, or 410', async () => {
    const { webhooks } = receiver()
    webhooks.on('sale.sold', () => {
      throw new Error(secret)
    })
    const answers = await Promise.all([
      webhooks.handle(signed(envelope('sale.sold'))),
      webhooks.handle(signed(envelope('sale.sold'), { secret: 'wrong' })),
      webhooks.handle(signed('not json')),
      webhooks.handle({ rawBody: '{}', headers: {} }),
    ])
    for (const answer of answers) {
      expect(answer.status).not.toBe(410)
      const text = JSON.stringify(answer.body)
      expect(text).not.toContain(secret)
      expect(text).not.toMatch(/\bat .*:\d+:\d+/)
    }
  })
})

describe('configuration fails closed', () => {
  it('refuses to start without a secret', () => {
    expect(() => createSuperOfficeWebhooks({})).toThrow(/no secret/)
    expect(() => createSuperOfficeWebhooks({ secret: '' })).toThrow(/no secret/)
    expect(() => createSuperOfficeWebhooks({ secret: [] })).toThrow(/no secret/)
  })

  it('accepts unsigned requests only when asked to', async () => {
    const webhooks = createSuperOfficeWebhooks({ allowUnsigned: true, logger: false })
    expect((await webhooks.handle({ rawBody: JSON.stringify(envelope('sale.sold')), headers: {} })).status).toBe(200)
  })
})

describe('routing', () => {
  it('runs exact, list, wildcard, action-wildcard and catch-all handlers, each once', async () => {
    const { webhooks } = receiver()
    const calls: string[] = []
    webhooks
      .on('sale.sold', () => void calls.push('exact'))
      .on(['sale.sold', 'sale.lost'], () => void calls.push('list'))
      .on('sale.*', () => void calls.push('prefix'))
      .on('*.sold', () => void calls.push('action'))
      .on('contact.*', () => void calls.push('wrong'))
      .onAny(() => void calls.push('any'))
    await webhooks.handle(signed(envelope('sale.sold')))
    expect(calls.sort()).toEqual(['action', 'any', 'exact', 'list', 'prefix'])
  })

  it('refuses patterns it cannot honour', () => {
    const { webhooks } = receiver()
    expect(() => webhooks.on('sa*le.sold', vi.fn())).toThrow(/Unsupported event pattern/)
  })

  it('delivers list, extra-table and webhook-state events', async () => {
    const { webhooks } = receiver()
    const kinds: string[] = []
    webhooks.onAny((_event, context) => void kinds.push(context.kind))
    await webhooks.handle(signed(envelope('list.category.created', { Entity: 'list.category' })))
    await webhooks.handle(signed(envelope('y_rental.created', { Entity: 'y_rental' })))
    const { Entity: _, ...state } = envelope('webhook.errors')
    await webhooks.handle(signed(state))
    expect(kinds).toEqual(['list', 'extra-table', 'webhook-state'])
  })

  it('gives handlers the context: tenant, retry, matched secret, custom headers, raw bytes', async () => {
    const webhooks = createSuperOfficeWebhooks({ secret: ['new', secret], logger: false })
    const seen = vi.fn()
    webhooks.on('sale.sold', (_event, context) => seen(context))
    const request = signed(envelope('sale.sold'), { headers: { 'X-SuperOffice-Retry': '2', 'X-Custom': 'yes' } })
    await webhooks.handle(request)
    const context = seen.mock.calls[0]?.[0]
    expect(context).toMatchObject({ kind: 'known', tenant: 'Cust90210', retry: 2, secretIndex: 1 })
    expect(context.header('x-custom')).toBe('yes')
    expect(context.rawBody).toBe(request.rawBody)
  })
})

describe('tolerant by default, strict on request', () => {
  const changed = () => envelope('sale.sold', { FieldValues: { currency_id: 'NOK' } })

  it('tolerant: a documented event whose typed part changed shape is answered 200 and reaches wildcards', async () => {
    const { webhooks, errors } = receiver()
    const named = vi.fn()
    const wildcard = vi.fn()
    webhooks.on('sale.sold', named).on('sale.*', wildcard)
    const answer = await webhooks.handle(signed(changed()))
    expect(answer.status).toBe(200)
    expect(named).not.toHaveBeenCalled()
    expect(wildcard).toHaveBeenCalledOnce()
    expect(wildcard.mock.calls[0]?.[1].kind).toBe('unknown')
    expect(errors.map((e) => e.code)).toEqual(['schema_mismatch'])
  })

  it('strict: the same body is 400 schema_mismatch', async () => {
    const { webhooks } = receiver({ strict: true })
    expect(await webhooks.handle(signed(changed()))).toMatchObject({ status: 400, body: { error: 'schema_mismatch' } })
  })

  it('strict: unknown keys, unknown events and an EventId mismatch are 400', async () => {
    const { webhooks } = receiver({ strict: true })
    expect((await webhooks.handle(signed(envelope('sale.sold', { Extra: 1 })))).body).toMatchObject({
      error: 'schema_mismatch',
    })
    expect((await webhooks.handle(signed(envelope('acme.exploded')))).body).toMatchObject({ error: 'unknown_event' })
    const mismatched = signed(envelope('sale.sold'), { headers: { 'X-SuperOffice-EventId': 'other' } })
    expect((await webhooks.handle(mismatched)).body).toMatchObject({ error: 'event_id_mismatch' })
  })

  it('tolerant: a header/body EventId mismatch is logged, not refused', async () => {
    const warn = vi.fn()
    const webhooks = createSuperOfficeWebhooks({ secret, logger: { warn, error: vi.fn() } })
    const answer = await webhooks.handle(signed(envelope('sale.sold'), { headers: { 'X-Superoffice-Eventid': 'x' } }))
    expect(answer.status).toBe(200)
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('does not match'))
  })
})

describe('freshness (opt-in)', () => {
  it('accepts a fresh event and refuses a stale or far-future one with 401 timestamp_out_of_range', async () => {
    const { webhooks } = receiver({ maxEventAgeSeconds: 300 })
    expect((await webhooks.handle(signed(envelope('sale.sold')))).status).toBe(200)
    const stale = envelope('sale.sold', { Timestamp: '2018-04-24T08:13:02.8352175Z' })
    expect(await webhooks.handle(signed(stale))).toMatchObject({
      status: 401,
      body: { error: 'timestamp_out_of_range' },
    })
    const future = envelope('sale.sold', { Timestamp: new Date(Date.now() + 3600_000).toISOString() })
    expect((await webhooks.handle(signed(future))).status).toBe(401)
  })
})

describe('multi-tenant secrets', () => {
  const secrets: Record<string, string> = { CustA: 'secret of A', CustB: 'secret of B' }
  const make = () => receiver({ secret: ({ tenant }) => (tenant ? secrets[tenant] : undefined) })

  it('verifies each tenant with its own secret', async () => {
    const { webhooks } = make()
    const body = envelope('sale.sold', { ContextIdentifier: 'CustA' })
    expect((await webhooks.handle(signed(body, { secret: 'secret of A' }))).status).toBe(200)
  })

  it("refuses a body claiming tenant A signed with tenant B's secret", async () => {
    const { webhooks } = make()
    const body = envelope('sale.sold', { ContextIdentifier: 'CustA' })
    expect(await webhooks.handle(signed(body, { secret: 'secret of B' }))).toMatchObject({
      status: 401,
      body: { error: 'signature_invalid' },
    })
  })

  it('refuses an unknown tenant and a body that does not parse', async () => {
    const { webhooks } = make()
    expect((await webhooks.handle(signed(envelope('sale.sold', { ContextIdentifier: 'CustZ' })))).status).toBe(401)
    expect((await webhooks.handle(signed('not json', { secret: 'secret of A' }))).status).toBe(401)
  })

  it('answers 500 secret_unavailable when the resolver throws', async () => {
    const { webhooks } = receiver({
      secret: () => {
        throw new Error('vault down')
      },
    })
    const answer = await webhooks.handle(signed(envelope('sale.sold')))
    expect(answer).toMatchObject({ status: 500, body: { error: 'secret_unavailable' } })
    expect(JSON.stringify(answer.body)).not.toContain('vault')
  })
})

describe('dedupe', () => {
  it('100 concurrent deliveries of one EventId run the handler exactly once, all answered 200', async () => {
    const { webhooks } = receiver()
    let runs = 0
    webhooks.on('sale.sold', async () => {
      runs++
      await new Promise((r) => setTimeout(r, 20))
    })
    const request = signed(envelope('sale.sold'))
    const answers = await Promise.all(Array.from({ length: 100 }, () => webhooks.handle(request)))
    expect(runs).toBe(1)
    expect(answers.every((a) => a.status === 200)).toBe(true)
    expect(answers.filter((a) => 'duplicate' in a.body).length).toBe(99)
  })

  it('scopes EventIds per tenant', async () => {
    const { webhooks } = receiver()
    const handler = vi.fn()
    webhooks.on('sale.sold', handler)
    const a = envelope('sale.sold', { ContextIdentifier: 'CustA' })
    await webhooks.handle(signed(a))
    await webhooks.handle(signed({ ...a, ContextIdentifier: 'CustB' }))
    expect(handler).toHaveBeenCalledTimes(2)
  })

  it('can be turned off', async () => {
    const { webhooks } = receiver({ dedupe: false })
    const handler = vi.fn()
    webhooks.on('sale.sold', handler)
    const request = signed(envelope('sale.sold'))
    await webhooks.handle(request)
    await webhooks.handle(request)
    expect(handler).toHaveBeenCalledTimes(2)
  })

  const broken: SuperOfficeDedupeStore = {
    claim: () => Promise.reject(new Error('ECONNREFUSED')),
    complete: () => {},
    release: () => {},
  }

  it("store failure, 'refuse' (default): 500 dedupe_unavailable, handler not run", async () => {
    const { webhooks } = receiver({ dedupe: { store: broken } })
    const handler = vi.fn()
    webhooks.on('sale.sold', handler)
    expect(await webhooks.handle(signed(envelope('sale.sold')))).toMatchObject({
      status: 500,
      body: { error: 'dedupe_unavailable' },
    })
    expect(handler).not.toHaveBeenCalled()
  })

  it("store failure, 'accept': handled without a duplicate check, and logged", async () => {
    const warn = vi.fn()
    const webhooks = createSuperOfficeWebhooks({
      secret,
      logger: { warn, error: vi.fn() },
      dedupe: { store: broken, onStoreError: 'accept' },
    })
    const handler = vi.fn()
    webhooks.on('sale.sold', handler)
    expect((await webhooks.handle(signed(envelope('sale.sold')))).status).toBe(200)
    expect(handler).toHaveBeenCalledOnce()
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('dedupe store failed'), expect.any(Error))
  })

  it('uses a given store with the configured TTLs', async () => {
    const store = createMemoryDedupeStore()
    const claim = vi.spyOn(store, 'claim')
    const complete = vi.spyOn(store, 'complete')
    const { webhooks } = receiver({ dedupe: { store, ttlSeconds: 60, claimTtlSeconds: 5 } })
    webhooks.on('sale.sold', vi.fn())
    await webhooks.handle(signed(envelope('sale.sold', { EventId: 'e-1' })))
    expect(claim).toHaveBeenCalledWith('Cust90210:e-1', 5000)
    expect(complete).toHaveBeenCalledWith('Cust90210:e-1', 60000)
  })
})

describe("respond: 'after-claim'", () => {
  it('answers before a slow handler finishes and reports its failure to onError', async () => {
    const { webhooks, errors } = receiver({ respond: 'after-claim' })
    let finished = false
    webhooks.on('sale.sold', async () => {
      await new Promise((r) => setTimeout(r, 50))
      finished = true
      throw new Error('late failure')
    })
    const waitUntil = vi.fn()
    const answer = await webhooks.handle({ ...signed(envelope('sale.sold')), waitUntil })
    expect(answer).toMatchObject({ status: 200, body: { ok: true, deferred: true } })
    expect(finished).toBe(false)
    expect(waitUntil).toHaveBeenCalledOnce()
    await webhooks.drain()
    expect(finished).toBe(true)
    expect(errors.map((e) => e.code)).toEqual(['handler_failed'])
  })
})

describe('handleRequest (web standard)', () => {
  it('answers a Request with a JSON Response', async () => {
    const { webhooks } = receiver()
    webhooks.on('sale.sold', vi.fn())
    const { rawBody, headers } = signed(envelope('sale.sold'))
    const response = await webhooks.handleRequest(
      new Request('http://x/webhooks', { method: 'POST', body: rawBody, headers }),
    )
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('application/json')
    expect(await response.json()).toEqual({ ok: true })
  })

  it('405 for other methods, 413 from Content-Length before reading', async () => {
    const { webhooks } = receiver({ maxBodyBytes: 10 })
    expect((await webhooks.handleRequest(new Request('http://x/', { method: 'GET' }))).status).toBe(405)
    const big = new Request('http://x/', { method: 'POST', body: 'x'.repeat(100) })
    const response = await webhooks.handleRequest(big)
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ error: 'payload_too_large' })
  })
})

describe('properties', () => {
  it('arbitrary JSON bodies, correctly signed, never give 500', async () => {
    const { webhooks } = receiver()
    webhooks.onAny(() => {})
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record(
            {
              EventId: fc.oneof(fc.uuid(), fc.string(), fc.integer()),
              Event: fc.oneof(fc.constantFrom('sale.sold', 'test', 'list.x.created', 'webhook.errors'), fc.string()),
              PrimaryKey: fc.oneof(fc.integer(), fc.string()),
              Timestamp: fc.oneof(
                fc.string(),
                fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
              ),
              FieldValues: fc.dictionary(fc.string(), fc.jsonValue()),
            },
            { requiredKeys: [] },
          ),
        ),
        async (value) => {
          const answer = await webhooks.handle(signed(JSON.stringify(value)))
          expect([200, 400]).toContain(answer.status)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('any one-byte change of a signed body gives 401', async () => {
    const { webhooks } = receiver()
    const text = JSON.stringify(envelope('sale.sold'))
    const signature = signPayload(text, secret)
    await fc.assert(
      fc.asyncProperty(fc.nat(text.length - 1), fc.integer({ min: 1, max: 255 }), async (at, delta) => {
        const bytes = Buffer.from(text)
        bytes[at] = ((bytes[at] as number) + delta) % 256
        const answer = await webhooks.handle({ rawBody: bytes, headers: { 'x-superoffice-signature': signature } })
        expect(answer.status).toBe(401)
      }),
      { numRuns: 200 },
    )
  })
})

describe('raw bytes as SuperOffice may send them', () => {
  it('accepts a body with a UTF-8 BOM, signed over the bytes including the BOM', async () => {
    const { webhooks } = receiver()
    const handler = vi.fn()
    webhooks.on('sale.sold', handler)
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(envelope('sale.sold')))])
    const answer = await webhooks.handle({
      rawBody: bytes,
      headers: { 'x-superoffice-signature': signPayload(bytes, secret) },
    })
    expect(answer.status).toBe(200)
    expect(handler).toHaveBeenCalledOnce()
  })

  it('verifies non-ASCII text given as a string against its UTF-8 bytes', async () => {
    const { webhooks } = receiver()
    const text = JSON.stringify(envelope('sale.sold', { WebhookName: 'Ørsted – salg ✓' }))
    const answer = await webhooks.handle({
      rawBody: text,
      headers: { 'x-superoffice-signature': signPayload(Buffer.from(text, 'utf8'), secret) },
    })
    expect(answer.status).toBe(200)
  })
})

describe('body types', () => {
  it('takes a plain Uint8Array, a Buffer view into a larger buffer, and a string', async () => {
    const { webhooks } = receiver()
    const seen: string[] = []
    webhooks.on('sale.sold', (event) => void seen.push(event.EventId))
    const texts = [1, 2, 3].map((i) => JSON.stringify(envelope('sale.sold', { EventId: `body-type-${i}` })))
    const [a, b, c] = texts as [string, string, string]
    const pool = Buffer.from(`xxxx${b}yyyy`)
    const bodies = [new Uint8Array(new TextEncoder().encode(a)), pool.subarray(4, 4 + Buffer.byteLength(b)), c]
    for (const [i, rawBody] of bodies.entries()) {
      const answer = await webhooks.handle({
        rawBody,
        headers: { 'x-superoffice-signature': signPayload(texts[i] as string, secret) },
      })
      expect(answer.status).toBe(200)
    }
    expect(seen).toEqual(['body-type-1', 'body-type-2', 'body-type-3'])
  })
})
