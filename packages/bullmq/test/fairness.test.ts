// Many tenants, one inbox (issue 29): fairness: 'tenant' serves tenants with waiting work in
// turns, across every worker, and a lone tenant still gets every worker. Order and counts are
// asserted, never times. Redis in both passes; PostgreSQL in the BullMQ 6 pass.
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { expect, it } from 'vitest'
import { type BullMQInboxOptions, createBullMQInbox } from '../src/index.js'
import { describeEachEngine, secret, sleep, until } from './helpers.js'

let queues = 0
describeEachEngine("fairness: 'tenant'", (store) => {
  const setup = (options: Partial<BullMQInboxOptions>) => {
    const inbox = createBullMQInbox({
      connection: store.url,
      queueName: `fair-${store.name}-${++queues}`,
      logger: false,
      ...options,
    })
    const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
    const order: string[] = []
    webhooks.on('sale.changed', async (event) => {
      order.push(`${event.ContextIdentifier}#${event.PrimaryKey}`)
      // A handler that takes a moment, so later deliveries meet a backlog (not a timing assertion).
      await sleep(10)
    })
    const deliver = async (tenant: string, key: number) => {
      const { body, headers } = signedPayload(
        createTestEvent('sale.changed', { ContextIdentifier: tenant, PrimaryKey: key }),
        { secret },
      )
      expect((await webhooks.handle({ rawBody: body, headers })).status).toBe(200)
    }
    return { inbox, webhooks, order, deliver }
  }

  it("one tenant's backlog of 60 does not hold two others behind it: they are served in turns", async () => {
    for (const fairness of [undefined, 'tenant'] as const) {
      const { inbox, webhooks, order, deliver } = setup(fairness ? { fairness } : {})
      try {
        for (let i = 1; i <= 60; i++) await deliver('CustFlood', i)
        for (let i = 1; i <= 5; i++) await deliver('CustQuiet', i)
        for (let i = 1; i <= 5; i++) await deliver('CustOther', i)
        const worker = inbox.work(webhooks, { concurrency: 1 })
        await until(() => order.length === 70, 120_000, 'every event')
        await worker.close()
        const place = (name: string) => order.indexOf(name) + 1
        if (!fairness) {
          // First in, first out: the quiet tenant waits for the whole flood.
          expect(place('CustQuiet#1')).toBe(61)
          continue
        }
        // In turns: each tenant's k-th event runs in the k-th round (three tenants a round).
        for (let k = 1; k <= 5; k++) {
          expect(place(`CustQuiet#${k}`), `CustQuiet#${k}`).toBeLessThanOrEqual(3 * k)
          expect(place(`CustOther#${k}`), `CustOther#${k}`).toBeLessThanOrEqual(3 * k)
        }
        // The flood keeps its own order, and every event ran once.
        const flood = order.filter((o) => o.startsWith('CustFlood#'))
        expect(flood).toEqual(Array.from({ length: 60 }, (_, i) => `CustFlood#${i + 1}`))
        expect(new Set(order).size).toBe(70)
        expect(await inbox.stats()).toMatchObject({ completed: 70, failed: 0 })
      } finally {
        await webhooks.close()
      }
    }
  })

  it('holds across workers: two workers share the turns; a tenant arriving later still goes ahead of the backlog', async () => {
    const { inbox, webhooks, order, deliver } = setup({ fairness: 'tenant' })
    try {
      for (let i = 1; i <= 40; i++) await deliver('CustFlood', i)
      const first = inbox.work(webhooks, { concurrency: 1 })
      const second = inbox.work(webhooks, { concurrency: 1 })
      await until(() => order.length >= 5, 60_000, 'the flood under way')
      for (let i = 1; i <= 3; i++) await deliver('CustLate', i)
      await until(() => order.length === 43, 120_000, 'every event')
      await first.close()
      await second.close()
      const at = order.indexOf('CustLate#3')
      const floodBefore = order.slice(0, at).filter((o) => o.startsWith('CustFlood#')).length
      // The late tenant's three events ran before the flood was over, not after all 40.
      expect(floodBefore).toBeLessThan(40)
      expect(order.filter((o) => o.startsWith('CustLate#'))).toHaveLength(3)
    } finally {
      await webhooks.close()
    }
  })

  it('a lone tenant gets the whole worker: 4 at once with concurrency 4', async () => {
    const { inbox, webhooks, deliver } = setup({ fairness: 'tenant' })
    let active = 0
    let most = 0
    let done = 0
    // The receiver above stores; this one's handlers run in the worker.
    const slow = createSuperOfficeWebhooks({ secret, inbox, logger: false })
    slow.on('sale.changed', async () => {
      active++
      most = Math.max(most, active)
      await sleep(100)
      active--
      done++
    })
    try {
      for (let i = 1; i <= 16; i++) await deliver('CustAlone', i)
      const worker = inbox.work(slow, { concurrency: 4 })
      await until(() => done === 16, 60_000, 'every event')
      await worker.close()
      expect(most).toBe(4)
    } finally {
      await webhooks.close()
    }
  })

  it("composes with coalesce and orderBy: a flood's merged rows still let the quiet tenant through first", async () => {
    const { inbox, webhooks, order, deliver } = setup({
      fairness: 'tenant',
      coalesce: { delayMs: 0, maxDelayMs: 0 },
      orderBy: 'entity',
    })
    try {
      // 30 rows of the flood, three changes each (merged per row), then the quiet tenant.
      for (let round = 0; round < 3; round++) for (let i = 1; i <= 30; i++) await deliver('CustFlood', i)
      await deliver('CustQuiet', 1)
      const worker = inbox.work(webhooks, { concurrency: 1 })
      await until(() => order.includes('CustQuiet#1'), 60_000, 'the quiet event')
      await until(async () => (await inbox.stats()).waiting + (await inbox.stats()).delayed === 0, 60_000, 'drained')
      await worker.close()
      expect(order.indexOf('CustQuiet#1')).toBeLessThan(3)
      expect(new Set(order.filter((o) => o.startsWith('CustFlood#'))).size).toBe(30)
    } finally {
      await webhooks.close()
    }
  })

  it('refuses a fairness it does not know, at creation', () => {
    expect(() => createBullMQInbox({ connection: store.url, fairness: 'event' as never, logger: false })).toThrow(
      /fairness must be 'tenant'/,
    )
  })
})
