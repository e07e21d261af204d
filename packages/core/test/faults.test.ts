// Issue 20: what production and hostile peers do to the pipeline. Each block names the finding.
import { describe, expect, it } from 'vitest'
import { inboxJobId } from '../src/adapter.js'
import {
  createSuperOfficeWebhooks,
  type SuperOfficeInboxJob,
  type SuperOfficeWebhookError,
  signPayload,
} from '../src/index.js'
import { envelope } from './helpers.js'

/** Whether a string holds no lone surrogate (encodeURIComponent throws on one). */
const wellFormed = (text: string) => {
  try {
    encodeURIComponent(text)
    return true
  } catch {
    return false
  }
}

const secrets: Record<string, string> = { CustA: 'secret of A', CustB: 'secret of B' }
const signed = (text: string, key: string) => ({
  rawBody: Buffer.from(text),
  headers: { 'X-SuperOffice-Signature': signPayload(text, key) },
})

describe('2. one tenant never acts as another (resolver mode)', () => {
  const make = () => {
    const handled: (string | undefined)[] = []
    const errors: string[] = []
    const webhooks = createSuperOfficeWebhooks({
      logger: false,
      secret: ({ tenant }) => (tenant ? secrets[tenant] : undefined),
    })
    webhooks.on('sale.sold', (_event, context) => {
      handled.push(context.tenant)
    })
    webhooks.onError((error: SuperOfficeWebhookError) => errors.push(error.code))
    return { webhooks, handled, errors }
  }
  // A's body with a second ContextIdentifier: the resolver reads the first, JSON.parse keeps the last.
  const forge = (second: string) => {
    const first = JSON.stringify(envelope('sale.sold', { ContextIdentifier: 'CustA' }))
    return `${first.slice(0, -1)},${second}}`
  }

  it('a duplicate ContextIdentifier key signed with A’s secret is refused 401 and handled as nobody', async () => {
    const { webhooks, handled, errors } = make()
    const answer = await webhooks.handle(signed(forge('"ContextIdentifier":"CustB"'), secrets.CustA as string))
    expect(answer.status).toBe(401)
    expect(answer.body).toMatchObject({ ok: false, error: 'signature_invalid' })
    expect(handled).toEqual([])
    expect(errors).toEqual(['signature_invalid'])
  })

  it('a \\u-escaped key that only JSON.parse sees is refused the same way', async () => {
    const { webhooks, handled } = make()
    const answer = await webhooks.handle(signed(forge('"Context\\u0049dentifier":"CustB"'), secrets.CustA as string))
    expect(answer.status).toBe(401)
    expect(handled).toEqual([])
  })

  it('a non-string second value, or one before the first string, is refused too', async () => {
    const { webhooks, handled } = make()
    expect((await webhooks.handle(signed(forge('"ContextIdentifier":42'), secrets.CustA as string))).status).toBe(401)
    const leading = `{"ContextIdentifier":7,${JSON.stringify(envelope('sale.sold', { ContextIdentifier: 'CustB' })).slice(1)}`
    expect((await webhooks.handle(signed(leading, secrets.CustB as string))).status).toBe(401)
    expect(handled).toEqual([])
  })

  it('interleaved requests with a slow resolver: each is checked against its own bytes, forged ones still refused', async () => {
    const handled: (string | undefined)[] = []
    const webhooks = createSuperOfficeWebhooks({
      logger: false,
      // Each lookup waits, so every request reads its tenant before any is parsed.
      secret: async ({ tenant }) => {
        await new Promise((resolve) => setTimeout(resolve, 5))
        return tenant ? secrets[tenant] : undefined
      },
    })
    webhooks.on('sale.sold', (_event, context) => void handled.push(context.tenant))
    const honest = (tenant: string) => JSON.stringify(envelope('sale.sold', { ContextIdentifier: tenant }))
    const answers = await Promise.all([
      webhooks.handle(signed(honest('CustA'), secrets.CustA as string)),
      webhooks.handle(signed(forge('"ContextIdentifier":"CustB"'), secrets.CustA as string)),
      webhooks.handle(signed(honest('CustB'), secrets.CustB as string)),
      webhooks.handle(signed(forge('"ContextIdentifier":"CustB"'), secrets.CustA as string)),
      webhooks.handle(signed(honest('CustA'), secrets.CustA as string)),
    ])
    expect(answers.map((a) => a.status)).toEqual([200, 401, 200, 401, 200])
    expect(handled.sort()).toEqual(['CustA', 'CustA', 'CustB'])
  })

  it('the honest body of each tenant is handled as that tenant, also with an escaped value', async () => {
    const { webhooks, handled } = make()
    const a = JSON.stringify(envelope('sale.sold', { ContextIdentifier: 'CustA' }))
    const b = JSON.stringify(envelope('sale.sold', { ContextIdentifier: 'CustB' })).replace('"CustB"', '"Cust\\u0042"')
    expect((await webhooks.handle(signed(a, secrets.CustA as string))).status).toBe(200)
    expect((await webhooks.handle(signed(b, secrets.CustB as string))).status).toBe(200)
    expect(handled).toEqual(['CustA', 'CustB'])
  })

  it('in inbox mode the forged body is never stored', async () => {
    const stored: SuperOfficeInboxJob[] = []
    const webhooks = createSuperOfficeWebhooks({
      logger: false,
      secret: ({ tenant }) => (tenant ? secrets[tenant] : undefined),
      inbox: { enqueue: async (job) => stored.push(job) },
    })
    const answer = await webhooks.handle(signed(forge('"ContextIdentifier":"CustB"'), secrets.CustA as string))
    expect(answer.status).toBe(401)
    expect(stored).toEqual([])
  })
})

describe('8. job ids from any string', () => {
  it('a lone surrogate in the EventId or tenant gives a well-formed, distinct, stable id', () => {
    const ids = [
      inboxJobId('Cust\uD800', 'e1'),
      inboxJobId('Cust', '\uDC00e1'),
      inboxJobId('Cust\uD800', '\uDBFFx'),
      inboxJobId('Cust\uFFFD', 'e1'),
      inboxJobId('Cust', '\uFFFDe1'),
    ]
    for (const id of ids) expect(wellFormed(id)).toBe(true)
    expect(new Set(ids).size).toBe(ids.length) // U+FFFD and a lone surrogate never meet
    expect(inboxJobId('Cust\uD800', 'e1')).toBe(ids[0])
    expect(ids.every((id) => !id.includes(':'))).toBe(true)
  })

  it('an event whose EventId holds a lone surrogate is queued like any other', async () => {
    const stored: SuperOfficeInboxJob[] = []
    const webhooks = createSuperOfficeWebhooks({
      logger: false,
      secret: 's',
      inbox: { enqueue: async (job) => stored.push(job) },
    })
    const text = JSON.stringify(envelope('sale.sold', { EventId: 'evt-\uD83D', ContextIdentifier: 'Cust\uDE00' }))
    const answer = await webhooks.handle(signed(text, 's'))
    expect(answer.status).toBe(200)
    expect(stored).toHaveLength(1)
    expect(stored[0]?.eventId).toBe('evt-\uD83D')
    expect(wellFormed(stored[0]?.id ?? '')).toBe(true)
  })
})

describe('8. dedupe keys from any string', () => {
  it('a lone surrogate never shares a key with U+FFFD (what a UTF-8 store would turn it into)', async () => {
    const { dedupeKey } = await import('../src/dedupe.js')
    const keys = [
      dedupeKey('Cust\uD800', 'e1'),
      dedupeKey('Cust\uFFFD', 'e1'),
      dedupeKey('Cust', 'e\uDC00'),
      dedupeKey('Cust', 'e\uFFFD'),
      dedupeKey(undefined, 'e\uD800'),
      dedupeKey(undefined, 'e%uD800'),
    ]
    for (const key of keys) expect(wellFormed(key)).toBe(true)
    expect(new Set(keys.map((k) => Buffer.from(k).toString('utf8'))).size).toBe(keys.length)
    expect(dedupeKey('Cust12345', '88f91933-edce')).toBe('Cust12345:88f91933-edce') // unchanged
  })
})
