// Issue 13: what an attacker or a bad tenant can send. Each block names the numbered finding.
import { tracingChannel } from 'node:diagnostics_channel'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import { readRawBody } from '../src/adapter.js'
import {
  createSuperOfficeWebhooks,
  RECEIVE_CHANNEL,
  SchemaIssue,
  type SuperOfficeLogger,
  type SuperOfficeOutcome,
  type SuperOfficeReceiveMessage,
  type SuperOfficeWebhookError,
  signPayload,
  superOfficeEventSchemas,
  traceSuperOfficeWebhooks,
} from '../src/index.js'
import { envelope } from './helpers.js'

const secret = 'hardening secret'
const sign = (text: string, key = secret) => ({
  rawBody: Buffer.from(text),
  headers: { 'X-SuperOffice-Signature': signPayload(text, key) },
})

function recordingLogger() {
  const lines: { level: string; message: string; details: unknown[] }[] = []
  const at =
    (level: string) =>
    (message: string, ...details: unknown[]) =>
      lines.push({ level, message, details })
  const logger: SuperOfficeLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
  return { logger, lines }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('1. no work before authentication when the secret is a resolver', () => {
  const secrets: Record<string, string> = { CustA: 'secret A' }
  const make = () =>
    createSuperOfficeWebhooks({ secret: ({ tenant }) => (tenant ? secrets[tenant] : undefined), logger: false })

  it('an unsigned 1 MiB body of nested arrays is refused without a JSON parse', async () => {
    const webhooks = make()
    const nested = `${'['.repeat(400_000)}${']'.repeat(400_000)}`
    const parse = vi.spyOn(JSON, 'parse')
    const answer = await webhooks.handle({
      rawBody: Buffer.from(nested),
      headers: { 'X-SuperOffice-Signature': `${'A'.repeat(43)}=` },
    })
    expect(answer.status).toBe(401)
    expect(parse).not.toHaveBeenCalled()
  })

  it('reads the tenant lazily from the top level of the raw bytes, only when the resolver asks', async () => {
    const seen: (string | undefined)[] = []
    let asked = 0
    const webhooks = createSuperOfficeWebhooks({
      logger: false,
      secret: (hint) => {
        asked++
        seen.push(hint.tenant)
        return hint.tenant ? secrets[hint.tenant] : undefined
      },
    })
    webhooks.onAny(() => {})
    // A nested ContextIdentifier (custom Properties, FieldValues) must not be taken for the tenant.
    const body = JSON.stringify({
      FieldValues: { ContextIdentifier: 'CustEvil' },
      ...envelope('sale.sold', { ContextIdentifier: 'CustA' }),
    })
    expect((await webhooks.handle(sign(body, 'secret A'))).status).toBe(200)
    expect(seen).toEqual(['CustA'])
    const unsigned = await webhooks.handle({ rawBody: Buffer.from(body), headers: {} })
    expect(unsigned.status).toBe(401)
    expect(asked).toBe(1) // a request without a signature never reaches the resolver
  })
})

describe('2. no tenant enumeration', () => {
  it('an unknown tenant and a configured one with a wrong signature get the same answer', async () => {
    const webhooks = createSuperOfficeWebhooks({
      secret: ({ tenant }) => (tenant === 'CustA' ? 'secret A' : undefined),
      logger: false,
    })
    const known = await webhooks.handle(
      sign(JSON.stringify(envelope('sale.sold', { ContextIdentifier: 'CustA' })), 'x'),
    )
    const unknown = await webhooks.handle(
      sign(JSON.stringify(envelope('sale.sold', { ContextIdentifier: 'CustZ' })), 'x'),
    )
    expect(unknown.status).toBe(401)
    expect(unknown.body).toEqual(known.body)
    const noHeader = (tenant: string) =>
      webhooks.handle({
        rawBody: Buffer.from(JSON.stringify(envelope('sale.sold', { ContextIdentifier: tenant }))),
        headers: {},
      })
    expect((await noHeader('CustZ')).body).toEqual((await noHeader('CustA')).body)
  })
})

describe('3. dedupe keys cannot collide across tenants', () => {
  it("tenant 'a:b' with EventId 'c' and tenant 'a' with EventId 'b:c' are two events", async () => {
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
    const handled: string[] = []
    webhooks.onAny((_event, context) => {
      handled.push(`${context.tenant}|${context.eventId}`)
    })
    const first = await webhooks.handle(
      sign(JSON.stringify(envelope('sale.sold', { ContextIdentifier: 'a:b', EventId: 'c' }))),
    )
    const second = await webhooks.handle(
      sign(JSON.stringify(envelope('sale.sold', { ContextIdentifier: 'a', EventId: 'b:c' }))),
    )
    expect([first.body, second.body]).toEqual([{ ok: true }, { ok: true }])
    expect(handled).toEqual(['a:b|c', 'a|b:c'])
  })
})

/** Stops `Date` for the rest of the test (timers still run): the log limiter's minute never ends. */
function freezeClock() {
  vi.useFakeTimers({ toFake: ['Date'] })
  onTestFinished(() => {
    vi.useRealTimers()
  })
}

describe('4. memory and logs stay bounded whatever names a tenant sends', () => {
  it('20,000 signed events with distinct names and a missing field: bounded heap, bounded log', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const { logger, lines } = recordingLogger()
    // The limiter counts per minute of the clock: frozen here, so a busy machine that takes more
    // than a minute for 20,000 events does not open a second window.
    freezeClock()
    const webhooks = createSuperOfficeWebhooks({ secret, logger, dedupe: false })
    webhooks.onAny(() => {})
    const send = (i: number) => {
      const { PrimaryKey: _, ...body } = envelope(`acme${i}.exploded`, { FieldValues: { x: 'y'.repeat(200) } })
      return webhooks.handle(sign(JSON.stringify(body)))
    }
    for (let i = 0; i < 2_000; i++) await send(i)
    gc()
    const before = process.memoryUsage().heapUsed
    for (let i = 2_000; i < 20_000; i++) expect((await send(i)).status).toBe(200)
    gc()
    const grown = process.memoryUsage().heapUsed - before
    expect(grown).toBeLessThan(8 * 1024 * 1024)
    // One warning per event would be 20,000 lines; the limiter keeps 10 a minute per error code.
    expect(lines.length).toBe(10)
    expect(lines.every((l) => l.message.includes('schema_mismatch'))).toBe(true)
  })

  it('the same failure repeated is logged a few times a minute, then summarised', async () => {
    const { logger, lines } = recordingLogger()
    freezeClock()
    const webhooks = createSuperOfficeWebhooks({ secret, logger })
    for (let i = 0; i < 500; i++) await webhooks.handle(sign('{}', 'wrong secret'))
    expect(lines.length).toBe(10)
    expect(lines[0]?.message).toMatch(/signature_invalid \(answered 401\)/)
  })
})

describe('5. a client that drops the connection mid-upload', () => {
  it('is request_aborted, quiet (debug), and never a handler failure', async () => {
    const { logger, lines } = recordingLogger()
    const webhooks = createSuperOfficeWebhooks({ secret, logger, logLevel: 'debug' })
    const codes: string[] = []
    webhooks.onError((error) => {
      codes.push(error.code)
    })
    let client: ReturnType<typeof httpRequest> | undefined
    const done = new Promise<void>((resolve) => {
      const server = createServer(async (req, res) => {
        try {
          // The client drops the connection once the server is reading, not after a fixed delay:
          // on a busy machine the request may not even have reached the server by then.
          setTimeout(() => client?.destroy(), 20)
          const rawBody = await readRawBody(req, { limit: webhooks.maxBodyBytes })
          const answer = await webhooks.handle({ rawBody, headers: req.headers })
          res.writeHead(answer.status).end()
        } catch (error) {
          webhooks.answerError(error)
        }
        server.close()
        resolve()
      })
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo
        client = httpRequest({ port, method: 'POST', headers: { 'content-length': '10000' } })
        client.on('error', () => {})
        client.write('{"EventId":')
      })
    })
    await done
    expect(codes).toEqual(['request_aborted'])
    expect(lines.map((l) => l.level)).toEqual(['debug'])
    expect(lines.some((l) => l.level === 'error')).toBe(false)
  })
})

describe('6. very large Values/FieldValues', () => {
  it('a signed body with 60,000 odd Values entries is not handed to zod; the mismatch names its path', async () => {
    const errors: SuperOfficeWebhookError[] = []
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
    webhooks.onError((e) => {
      errors.push(e)
    })
    webhooks.on('sale.*', () => {})
    const values = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`k${i}`, 'x']))
    const zod = vi.spyOn(superOfficeEventSchemas['sale.deleted'], 'safeParse')
    const answer = await webhooks.handle(sign(JSON.stringify(envelope('sale.deleted', { Values: values }))))
    expect(answer.status).toBe(200)
    expect(zod).not.toHaveBeenCalled()
    expect(errors[0]?.code).toBe('schema_mismatch')
    expect(errors[0]?.cause).toBeInstanceOf(SchemaIssue)
    expect((errors[0]?.cause as SchemaIssue | undefined)?.issue).toEqual({
      path: ['Values', 'k0'],
      expected: 'a number',
    })
    expect(String(errors[0]?.cause)).toContain('Values.k0: expected a number')
  })
})

describe('7. a verified body that is not the documented shape never gets a 4xx (tolerant mode)', () => {
  it('an event without EventId, Timestamp or PrimaryKey reaches wildcards and onAny, not deduplicated', async () => {
    const errors: string[] = []
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
    webhooks.onError((e) => {
      errors.push(e.code)
    })
    const named = vi.fn()
    const wildcard = vi.fn()
    const any = vi.fn()
    webhooks.on('sale.sold', named).on('sale.*', wildcard).onAny(any)
    const { EventId: _e, Timestamp: _t, PrimaryKey: _p, ...body } = envelope('sale.sold')
    const request = sign(JSON.stringify(body))
    expect((await webhooks.handle(request)).status).toBe(200)
    expect((await webhooks.handle(request)).status).toBe(200)
    expect(named).not.toHaveBeenCalled()
    expect(wildcard).toHaveBeenCalledTimes(2) // no EventId: nothing to dedupe on
    expect(any).toHaveBeenCalledTimes(2)
    expect(any.mock.calls[0]?.[1]).toMatchObject({ kind: 'unknown', eventId: undefined })
    expect(errors).toEqual(['schema_mismatch', 'schema_mismatch'])
  })

  it('strict mode keeps its 400s', async () => {
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false, strict: true })
    const { EventId: _, ...body } = envelope('sale.sold')
    expect((await webhooks.handle(sign(JSON.stringify(body)))).status).toBe(400)
  })
})

describe('8. logging does not depend on onError, and names what failed', () => {
  it('two failing handlers: two error lines, each naming event, EventId, tenant and handler', async () => {
    const { logger, lines } = recordingLogger()
    const webhooks = createSuperOfficeWebhooks({ secret, logger })
    webhooks.onError(() => {})
    webhooks.on('sale.sold', function markWon() {
      throw new Error('crm down')
    })
    webhooks.on('sale.*', async function audit() {
      throw new Error('audit down')
    })
    const event = envelope('sale.sold', { ContextIdentifier: 'Cust7' })
    const answer = await webhooks.handle(sign(JSON.stringify(event)))
    expect(answer.status).toBe(500)
    const errors = lines.filter((l) => l.level === 'error')
    expect(errors).toHaveLength(2)
    for (const [line, handler, message] of [
      [errors[0], 'markWon', 'crm down'],
      [errors[1], 'audit', 'audit down'],
    ] as const) {
      expect(line?.message).toContain(`event=sale.sold id=${event.EventId} tenant=Cust7 handler=${handler}`)
      expect((line?.details[0] as Error | undefined)?.message).toBe(message)
    }
  })
})

describe('observability', () => {
  it('onOutcome: one call per request with code, status, event, tenant, duplicate and duration', async () => {
    const outcomes: SuperOfficeOutcome[] = []
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
    webhooks
      .on('sale.sold', () => {})
      .onOutcome((o) => {
        outcomes.push(o)
      })
    const request = sign(JSON.stringify(envelope('sale.sold', { ContextIdentifier: 'Cust1', EventId: 'e1' })))
    await webhooks.handle(request)
    await webhooks.handle(request)
    await webhooks.handle(sign('{}', 'wrong'))
    expect(outcomes.map(({ durationMs, ...o }) => o)).toEqual([
      { code: 'handled', status: 200, event: 'sale.sold', eventId: 'e1', tenant: 'Cust1', duplicate: false },
      { code: 'duplicate', status: 200, event: 'sale.sold', eventId: 'e1', tenant: 'Cust1', duplicate: true },
      {
        code: 'signature_invalid',
        status: 401,
        event: undefined,
        eventId: undefined,
        tenant: undefined,
        duplicate: false,
      },
    ])
    expect(outcomes.every((o) => o.durationMs >= 0)).toBe(true)
  })

  it(`diagnostics_channel: deliveries are traced on the "${RECEIVE_CHANNEL}" TracingChannel`, async () => {
    const seen: string[] = []
    const channel = tracingChannel<unknown, SuperOfficeReceiveMessage & object>(RECEIVE_CHANNEL)
    const subscribers = {
      start: () => seen.push('start'),
      end: () => seen.push('end'),
      asyncStart: () => seen.push('asyncStart'),
      asyncEnd: (message: SuperOfficeReceiveMessage) => seen.push(`asyncEnd ${message.outcome?.code}`),
      error: () => seen.push('error'),
    }
    channel.subscribe(subscribers)
    try {
      const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
      webhooks.onAny(() => {})
      await webhooks.handle(sign(JSON.stringify(envelope('contact.created'))))
    } finally {
      channel.unsubscribe(subscribers)
    }
    expect(seen).toEqual(['start', 'end', 'asyncStart', 'asyncEnd handled'])
  })

  it('OpenTelemetry: one span per delivery with the messaging attributes (real SDK, in-memory exporter)', async () => {
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    const stop = traceSuperOfficeWebhooks(provider.getTracer('test'))
    try {
      const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
      webhooks.onAny(() => {})
      await webhooks.handle(sign(JSON.stringify(envelope('sale.sold', { EventId: 'otel-1', ContextIdentifier: 'C9' }))))
      await webhooks.handle(sign('{}', 'wrong'))
    } finally {
      stop()
    }
    const spans = exporter.getFinishedSpans()
    expect(spans.map((s) => s.name)).toEqual(['process sale.sold', 'process superoffice'])
    expect(spans[0]?.attributes).toMatchObject({
      'messaging.system': 'superoffice',
      'messaging.destination.name': 'sale.sold',
      'messaging.message.id': 'otel-1',
      'superoffice.tenant': 'C9',
      'superoffice.outcome': 'handled',
      'http.response.status_code': 200,
    })
    expect(spans[1]?.status).toMatchObject({ code: 2, message: 'signature_invalid' })
  })
})

describe('off / offAny', () => {
  it('removes a handler registered for the same selector', async () => {
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
    const handler = vi.fn()
    const any = vi.fn()
    webhooks.on(['sale.sold', 'sale.*'], handler).onAny(any)
    await webhooks.handle(sign(JSON.stringify(envelope('sale.sold'))))
    webhooks.off(['sale.sold', 'sale.*'], handler).offAny(any)
    await webhooks.handle(sign(JSON.stringify(envelope('sale.sold'))))
    expect(handler).toHaveBeenCalledTimes(2)
    expect(any).toHaveBeenCalledTimes(1)
  })
})
