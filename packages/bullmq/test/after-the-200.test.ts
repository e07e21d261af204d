// After the 200: bursts for one row coalesced into one job, and ordered work (one job per row at
// a time across every worker). On a real redis-server (BullMQ 5 and 6 passes), and on PostgreSQL
// in the BullMQ 6 pass.

import { createSuperOfficeWebhooks, type SuperOfficeCoalesced } from '@superoffice-webhooks/core'
import {
  hasPostgres,
  hasRedis,
  startPostgresServer,
  startRedisServer,
  type TestPostgresServer,
  type TestRedisServer,
} from '@superoffice-webhooks/test-utils/servers'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BullMQInboxOptions, createBullMQInbox } from '../src/index.js'
import { secret, sleep, until } from './helpers.js'

const major = process.env.SUPEROFFICE_BULLMQ_MAJOR ?? '5'
const engines = [
  { name: 'Redis', available: hasRedis },
  ...(major === '6' ? [{ name: 'PostgreSQL', available: hasPostgres }] : []),
]

let redis: TestRedisServer | undefined
let pg: TestPostgresServer | undefined
afterAll(async () => {
  await redis?.stop()
  await pg?.stop()
})

/** A SuperOffice Timestamp `ms` milliseconds (and `ticks` tenths of a microsecond) after a base. */
const stamp = (ms: number, ticks = 0) =>
  new Date(Date.UTC(2026, 10, 25, 8, 0, 0) + ms).toISOString().replace('Z', `${String(ticks).padStart(4, '0')}Z`)

let queues = 0
let connection = ''
function setup(options: Partial<BullMQInboxOptions>) {
  // A generous enqueue bound: what is tested here is order and merging, not the bound, and on a
  // busy machine 80 concurrent merges on PostgreSQL may take longer than the 2 s default.
  const inbox = createBullMQInbox({
    connection,
    queueName: `after-200-${++queues}`,
    logger: false,
    enqueueTimeoutMs: 30_000,
    ...options,
  })
  const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
  const deliver = async (event: object) => {
    const { body, headers } = signedPayload(event, { secret })
    const answer = await webhooks.handle({ rawBody: body, headers })
    expect(answer.status).toBe(200)
  }
  return { inbox, webhooks, deliver }
}

for (const engine of engines) {
  describe.runIf(engine.available)(`after the 200 on ${engine.name}`, () => {
    beforeAll(async () => {
      if (engine.name === 'Redis') {
        redis ??= await startRedisServer()
        connection = redis.url
      } else {
        pg ??= await startPostgresServer()
        connection = pg.url
      }
    })

    describe('coalesce: a burst for one row becomes one job', () => {
      it('1,000 contact.changed over 50 contacts: 50 runs, each with the last body and the count merged', {
        timeout: 120_000,
      }, async () => {
        const { inbox, webhooks, deliver } = setup({ coalesce: { delayMs: 200, maxDelayMs: 600_000 } })
        const runs: { key: number; timestamp: string; coalesced: SuperOfficeCoalesced | undefined }[] = []
        webhooks.on('contact.changed', (event, context) => {
          runs.push({ key: event.PrimaryKey, timestamp: event.Timestamp, coalesced: context.coalesced })
        })
        try {
          const last = new Map<number, string>()
          // The whole burst lands before any worker runs, so every event after a row's first merges.
          for (let i = 0; i < 1000; i++) {
            const key = 1 + (i % 50)
            const event = createTestEvent('contact.changed', {
              PrimaryKey: key,
              ContextIdentifier: 'Cust1',
              Timestamp: stamp(i),
            })
            last.set(key, event.Timestamp)
            await deliver(event)
          }
          await webhooks.start({ concurrency: 8 })
          await until(() => runs.length >= 50, 60_000, '50 coalesced runs')
          await sleep(500)
          expect(runs).toHaveLength(50)
          for (const run of runs) {
            expect(run.timestamp).toBe(last.get(run.key))
            expect(run.coalesced?.count).toBe(20)
          }
          expect(await inbox.stats()).toMatchObject({ completed: 50, failed: 0 })
        } finally {
          await webhooks.close()
        }
      })

      it('a deleted removes the pending change of its row; created is never merged; a late older body never wins', async () => {
        const { webhooks, deliver } = setup({ coalesce: { delayMs: 200, maxDelayMs: 600_000 } })
        const seen: string[] = []
        webhooks.onAny((event, context) => {
          seen.push(`${event.Event}:${event.PrimaryKey}:${context.coalesced?.count ?? '-'}:${event.Timestamp}`)
        })
        try {
          await deliver(
            createTestEvent('sale.created', { PrimaryKey: 7, ContextIdentifier: 'Cust1', Timestamp: stamp(0) }),
          )
          await deliver(
            createTestEvent('sale.created', { PrimaryKey: 8, ContextIdentifier: 'Cust1', Timestamp: stamp(1) }),
          )
          for (let i = 0; i < 3; i++) {
            await deliver(
              createTestEvent('sale.changed', { PrimaryKey: 7, ContextIdentifier: 'Cust1', Timestamp: stamp(10 + i) }),
            )
          }
          await deliver(
            createTestEvent('sale.deleted', { PrimaryKey: 7, ContextIdentifier: 'Cust1', Timestamp: stamp(20) }),
          )
          await deliver(
            createTestEvent('sale.changed', { PrimaryKey: 8, ContextIdentifier: 'Cust1', Timestamp: stamp(30) }),
          )
          // SuperOffice redelivers an older change of row 8 late: the newer pending body stays.
          await deliver(
            createTestEvent('sale.changed', { PrimaryKey: 8, ContextIdentifier: 'Cust1', Timestamp: stamp(25) }),
          )
          await webhooks.start()
          await until(() => seen.length >= 4, 20_000, 'the four jobs')
          await sleep(400)
          expect(seen.sort()).toEqual(
            [
              `sale.changed:8:2:${stamp(30)}`,
              `sale.created:7:-:${stamp(0)}`,
              `sale.created:8:-:${stamp(1)}`,
              `sale.deleted:7:-:${stamp(20)}`,
            ].sort(),
          )
        } finally {
          await webhooks.close()
        }
      })

      it('keeps every change: a name change then a department change run a { changed: [name] } handler once, with both', async () => {
        const { webhooks, deliver } = setup({ coalesce: { delayMs: 200, maxDelayMs: 600_000 } })
        const runs: { changes: string[]; coalesced: SuperOfficeCoalesced | undefined }[] = []
        webhooks.on(
          'contact.changed',
          (event, context) => {
            runs.push({ changes: event.Changes, coalesced: context.coalesced })
          },
          { changed: ['name'] },
        )
        try {
          const name = createTestEvent('contact.changed', {
            PrimaryKey: 70,
            ContextIdentifier: 'Cust1',
            Timestamp: stamp(0),
            Changes: ['name', 'updated'],
          })
          const department = createTestEvent('contact.changed', {
            PrimaryKey: 70,
            ContextIdentifier: 'Cust1',
            Timestamp: stamp(1),
            Changes: ['department', 'updated'],
          })
          await deliver(name)
          await deliver(department)
          await webhooks.start()
          await until(() => runs.length === 1, 20_000, 'the merged run')
          await sleep(400)
          expect(runs).toHaveLength(1)
          expect(runs[0]?.changes).toEqual(['name', 'updated', 'department'])
          expect(runs[0]?.coalesced).toMatchObject({
            count: 2,
            firstEventId: name.EventId,
            lastEventId: department.EventId,
            eventIds: [name.EventId, department.EventId],
            changes: ['name', 'updated', 'department'],
          })
        } finally {
          await webhooks.close()
        }
      })

      it('a newer and an older event of a row arriving together: the newest body wins, in every row', {
        timeout: 120_000,
      }, async () => {
        const { webhooks, deliver } = setup({ coalesce: { delayMs: 300, maxDelayMs: 600_000 } })
        const seen = new Map<number, string>()
        webhooks.on('sale.changed', (event) => {
          seen.set(event.PrimaryKey, event.Timestamp)
        })
        try {
          // 40 rows, each sent a newer and an older change at the same moment.
          await Promise.all(
            Array.from({ length: 40 }, (_, row) => [
              deliver(
                createTestEvent('sale.changed', {
                  PrimaryKey: 100 + row,
                  ContextIdentifier: 'Cust1',
                  Timestamp: stamp(50),
                }),
              ),
              deliver(
                createTestEvent('sale.changed', {
                  PrimaryKey: 100 + row,
                  ContextIdentifier: 'Cust1',
                  Timestamp: stamp(10),
                }),
              ),
            ]).flat(),
          )
          await webhooks.start({ concurrency: 8 })
          await until(() => seen.size === 40, 60_000, 'every row')
          await sleep(500)
          expect([...new Set(seen.values())]).toEqual([stamp(50)])
        } finally {
          await webhooks.close()
        }
      })

      it('an older event arriving while the row runs, and a redelivery after: neither is handled after the newest', {
        timeout: 120_000,
      }, async () => {
        const { webhooks, deliver } = setup({ coalesce: { delayMs: 100, maxDelayMs: 600_000 } })
        const seen: string[] = []
        let release: () => void = () => {}
        const running = new Promise<void>((resolve) => {
          release = resolve
        })
        let started = false
        webhooks.on('sale.changed', async (event) => {
          seen.push(event.Timestamp)
          if (!started) {
            started = true
            await running
          }
        })
        try {
          const early = createTestEvent('sale.changed', {
            PrimaryKey: 300,
            ContextIdentifier: 'Cust1',
            Timestamp: stamp(10),
          })
          const newest = createTestEvent('sale.changed', {
            PrimaryKey: 300,
            ContextIdentifier: 'Cust1',
            Timestamp: stamp(40),
          })
          await deliver(early)
          await deliver(newest)
          await webhooks.start()
          await until(() => started, 20_000, 'the merged run')
          // While it runs: an older change arrives late.
          await deliver(
            createTestEvent('sale.changed', { PrimaryKey: 300, ContextIdentifier: 'Cust1', Timestamp: stamp(20) }),
          )
          release()
          await sleep(800)
          // After it ran: SuperOffice redelivers the burst's first event (same EventId, same body).
          await deliver(early)
          await deliver(
            createTestEvent('sale.changed', { PrimaryKey: 300, ContextIdentifier: 'Cust1', Timestamp: stamp(30) }),
          )
          await sleep(800)
          expect(seen).toEqual([stamp(40)])
          // A genuinely newer change still runs.
          await deliver(
            createTestEvent('sale.changed', { PrimaryKey: 300, ContextIdentifier: 'Cust1', Timestamp: stamp(60) }),
          )
          await until(() => seen.length === 2, 20_000, 'the newer change')
          expect(seen).toEqual([stamp(40), stamp(60)])
        } finally {
          release()
          await webhooks.close()
        }
      })

      it('maxDelayMs: a row changed without pause still runs while the changes go on', {
        timeout: 180_000,
      }, async () => {
        const { webhooks, deliver } = setup({ coalesce: { delayMs: 500, maxDelayMs: 1000 } })
        const runs: number[] = []
        webhooks.on('contact.changed', (_event, context) => {
          runs.push(context.coalesced?.count ?? 1)
        })
        try {
          await webhooks.start()
          // 30 changes at least 100 ms apart: never 500 ms of quiet, so only maxDelayMs lets it run.
          for (let i = 0; i < 30; i++) {
            await deliver(
              createTestEvent('contact.changed', { PrimaryKey: 3, ContextIdentifier: 'Cust1', Timestamp: stamp(i) }),
            )
            await sleep(100)
          }
          await until(() => runs.reduce((a, b) => a + b, 0) >= 30, 20_000, 'every change handled')
          expect(runs.length).toBeGreaterThanOrEqual(2)
          expect(runs.length).toBeLessThan(30)
        } finally {
          await webhooks.close()
        }
      })
    })

    describe("orderBy: 'entity'", () => {
      it('2,000 changes over 20 rows, 8 at a time, random latency: no row runs twice at once; the newest write wins', {
        timeout: 180_000,
      }, async () => {
        const { inbox, webhooks, deliver } = setup({ orderBy: 'entity' })
        const active = new Map<number, number>()
        const written = new Map<number, string>()
        let overlaps = 0
        let handled = 0
        webhooks.on('sale.changed', async (event, context) => {
          const key = event.PrimaryKey
          active.set(key, (active.get(key) ?? 0) + 1)
          if ((active.get(key) ?? 0) > 1) overlaps++
          await sleep(Math.random() * 10)
          // Check, then write: safe only because no other job of this row runs meanwhile.
          if (context.isNewerThan(written.get(key))) written.set(key, event.Timestamp)
          active.set(key, (active.get(key) ?? 1) - 1)
          handled++
        })
        try {
          const newest = new Map<number, string>()
          const events = Array.from({ length: 2000 }, (_, i) => {
            const key = 1 + (i % 20)
            const timestamp = stamp(i, i % 7)
            newest.set(key, timestamp)
            return createTestEvent('sale.changed', {
              PrimaryKey: key,
              ContextIdentifier: 'Cust1',
              Timestamp: timestamp,
            })
          })
          // SuperOffice promises no order: they arrive shuffled.
          for (let i = events.length - 1; i > 0; i--) {
            const j = Math.floor(Math.random() * (i + 1))
            ;[events[i], events[j]] = [events[j] as (typeof events)[number], events[i] as (typeof events)[number]]
          }
          for (const event of events) await deliver(event)
          const second = inbox.work(webhooks, { concurrency: 4 })
          await webhooks.start({ concurrency: 4 })
          await until(() => handled === 2000, 150_000, 'every change handled')
          await second.close()
          expect(overlaps).toBe(0)
          expect(Object.fromEntries(written)).toEqual(Object.fromEntries(newest))
          expect(await inbox.stats()).toMatchObject({ completed: 2000, failed: 0 })
        } finally {
          await webhooks.close()
        }
      })
    })
  })
}
