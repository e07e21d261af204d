// What the receiver does after verifying a delivery: the integration's own changes are not
// handled (echo suppression), and handlers can ask for the fields they care about.
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  createSuperOfficeWebhooks,
  type SuperOfficeChangedField,
  type SuperOfficeInbox,
  type SuperOfficeOutcome,
  signPayload,
} from '../src/index.js'
import { envelope } from './helpers.js'

const secret = 'after the 200'
const signed = (body: object) => {
  const text = JSON.stringify(body)
  return { rawBody: text, headers: { 'X-SuperOffice-Signature': signPayload(text, secret) } }
}

describe('ignoreChangesBy: no echo loops', () => {
  it("answers 200 ignored for the integration's own associates, runs no handler, reports outcome ignored", async () => {
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false, ignoreChangesBy: [42, 43] })
    const handled: string[] = []
    webhooks.onAny((event) => {
      handled.push(event.EventId as string)
    })
    const outcomes: SuperOfficeOutcome[] = []
    webhooks.onOutcome((o) => {
      outcomes.push(o)
    })
    const ours = envelope('contact.changed', { ChangedByAssociateId: 42 })
    const theirs = envelope('contact.changed', { ChangedByAssociateId: 7 })
    const ownAnswer = await webhooks.handle(signed(ours))
    expect([ownAnswer.status, ownAnswer.body]).toEqual([200, { ok: true, ignored: true }])
    expect((await webhooks.handle(signed(theirs))).body).toEqual({ ok: true })
    expect(handled).toEqual([theirs.EventId])
    expect(outcomes.map((o) => o.code)).toEqual(['ignored', 'handled'])
  })

  it('takes a function; with an inbox an ignored event is never queued; the test event is still answered', async () => {
    const queued: unknown[] = []
    const inbox: SuperOfficeInbox = {
      enqueue: async (job) => {
        queued.push(job)
      },
    }
    const webhooks = createSuperOfficeWebhooks({
      secret,
      logger: false,
      inbox,
      ignoreChangesBy: (event) => event.WebhookName === 'sync-back',
    })
    const echo = await webhooks.handle(signed(envelope('sale.changed', { WebhookName: 'sync-back' })))
    expect(echo.body).toEqual({ ok: true, ignored: true })
    expect(queued).toHaveLength(0)
    expect((await webhooks.handle(signed(envelope('sale.changed')))).body).toEqual({ ok: true, queued: true })
    expect(queued).toHaveLength(1)
    expect((await webhooks.handle(signed(envelope('test', { WebhookName: 'sync-back' })))).body).toEqual({
      ok: true,
      test: true,
    })
  })

  it("a map per tenant: tenant A's integration user is not ignored in tenant B, where the id is a person", async () => {
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false, ignoreChangesBy: { CustA: [7], CustB: [12] } })
    const handled: string[] = []
    webhooks.onAny((event) => {
      handled.push(`${event.ContextIdentifier}:${event.ChangedByAssociateId}`)
    })
    const answers = []
    for (const [tenant, by] of [
      ['CustA', 7],
      ['CustB', 7],
      ['CustB', 12],
      ['CustA', 12],
      ['CustC', 7],
    ] as const) {
      answers.push(
        (
          await webhooks.handle(
            signed(envelope('contact.changed', { ContextIdentifier: tenant, ChangedByAssociateId: by })),
          )
        ).body,
      )
    }
    expect(answers).toEqual([
      { ok: true, ignored: true },
      { ok: true },
      { ok: true, ignored: true },
      { ok: true },
      { ok: true },
    ])
    expect(handled).toEqual(['CustB:7', 'CustA:12', 'CustC:7'])
  })

  it('refuses ids that are not integers, at creation', () => {
    expect(() => createSuperOfficeWebhooks({ secret, ignoreChangesBy: ['42' as never] })).toThrow(
      /ignoreChangesBy must be associate ids/,
    )
    expect(() => createSuperOfficeWebhooks({ secret, ignoreChangesBy: { Cust1: ['7' as never] } })).toThrow(
      /ignoreChangesBy\['Cust1'\] must be associate ids/,
    )
  })
})

describe('on(selector, handler, { changed }): only the fields a handler cares about', () => {
  it('runs when one of the fields is in Changes (any case), not otherwise; off() removes it', async () => {
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
    const ran: string[] = []
    const onBusiness = (event: { EventId: string }) => {
      ran.push(event.EventId)
    }
    webhooks.on('contact.changed', onBusiness, { changed: ['business_idx', 'Name'] })
    const business = envelope('contact.changed', { Changes: ['updated', 'business_idx'] })
    const named = envelope('contact.changed', { Changes: ['name'] })
    const other = envelope('contact.changed', { Changes: ['updated', 'category_idx'] })
    const none = envelope('contact.changed', { Changes: [] })
    for (const event of [business, named, other, none]) expect((await webhooks.handle(signed(event))).status).toBe(200)
    expect(ran).toEqual([business.EventId, named.EventId])
    webhooks.off('contact.changed', onBusiness)
    await webhooks.handle(signed(envelope('contact.changed', { Changes: ['business_idx'] })))
    expect(ran).toHaveLength(2)
  })

  it('a failing filtered handler is reported under its own name', async () => {
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
    const names: (string | undefined)[] = []
    webhooks.onError((_error, info) => {
      names.push(info.handler)
    })
    webhooks.on(
      'sale.changed',
      function syncAmount() {
        throw new Error('down')
      },
      { changed: ['amount'] },
    )
    const answer = await webhooks.handle(signed(envelope('sale.changed', { Changes: ['amount'] })))
    expect(answer.status).toBe(500)
    expect(names).toEqual(['syncAmount'])
  })

  it('suggests the documented field names and refuses an empty list', () => {
    expectTypeOf<'business_idx'>().toExtend<SuperOfficeChangedField<'contact.changed'>>()
    expectTypeOf<'amount_x'>().not.toExtend<SuperOfficeChangedField<'contact.changed'>>()
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
    expect(() => webhooks.on('contact.changed', () => {}, { changed: [] })).toThrow(/non-empty list of field names/)
  })
})

describe('context.isNewerThan', () => {
  it("compares the event's Timestamp to the tenth of a microsecond; true against nothing", async () => {
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
    const seen: boolean[][] = []
    webhooks.on('sale.changed', (_event, context) => {
      seen.push([
        context.isNewerThan('2026-11-25T10:00:00.1234566Z'),
        context.isNewerThan('2026-11-25T10:00:00.1234568Z'),
        context.isNewerThan(new Date('2026-11-25T10:00:00.123Z')),
        context.isNewerThan('2026-11-25T11:00:00+02:00'),
        context.isNewerThan(undefined),
        context.isNewerThan('not a time'),
      ])
    })
    await webhooks.handle(signed(envelope('sale.changed', { Timestamp: '2026-11-25T10:00:00.1234567Z' })))
    expect(seen).toEqual([[true, false, true, true, true, true]])
  })
})
