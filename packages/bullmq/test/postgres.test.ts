// Issue 21: the inbox on PostgreSQL through BullMQ 6's backend, on a PostgreSQL the test starts
// (Debian's server, initdb in a temporary folder, a free port). Runs in the BullMQ 6 pass
// (vitest.bullmq6.config.ts); the BullMQ 5 pass checks that PostgreSQL is refused with the reason.

import { hasPostgres, startPostgresServer, type TestPostgresServer } from '@superoffice-webhooks/test-utils/servers'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBullMQInbox } from '../src/index.js'
import { secret, sleep, startDownstream, startReceiver, until, writingTo } from './helpers.js'
import { crashedWorkerScenario, outageScenario } from './scenarios.js'

const major = process.env.SUPEROFFICE_BULLMQ_MAJOR ?? '5'
const post = (url: string, event: object) => {
  const { body, headers } = signedPayload(event, { secret })
  return fetch(url, { method: 'POST', body, headers })
}

let pg: TestPostgresServer
beforeAll(async () => {
  if (hasPostgres) pg = await startPostgresServer()
})
afterAll(async () => {
  await pg?.stop()
})

// Registered only in the pass it belongs to, so neither pass reports the other's as skipped.
if (major === '5')
  describe.runIf(hasPostgres)('PostgreSQL on BullMQ 5', () => {
    it('is refused at start with the reason: the PostgreSQL backend is BullMQ 6’s', async () => {
      const inbox = createBullMQInbox({ connection: pg.url, logger: false })
      await expect(inbox.ready()).rejects.toThrow(/needs BullMQ 6/)
      await inbox.close()
    })
  })

if (major === '6')
  describe.runIf(hasPostgres)('the inbox on PostgreSQL (BullMQ 6)', () => {
    it('answers 200 once stored, runs the handlers in the worker, drops a redelivery by job id', async () => {
      const downstream = await startDownstream()
      const inbox = createBullMQInbox({ connection: pg.url, queueName: 'pg-basic', logger: false })
      expect(inbox.engine).toBe('PostgreSQL')
      const webhooks = writingTo(downstream, { inbox })
      const receiver = await startReceiver(webhooks)
      try {
        await webhooks.start()
        const event = createTestEvent('sale.sold', { ContextIdentifier: 'Cust:1' })
        const first = await post(receiver.url, event)
        expect(first.status).toBe(200)
        expect(await first.json()).toEqual({ ok: true, queued: true })
        expect((await post(receiver.url, event)).status).toBe(200) // SuperOffice's redelivery
        await until(() => downstream.received.has(event.EventId), 20_000, 'the worker')
        await sleep(500)
        expect(downstream.received.get(event.EventId)).toBe(1)
        expect((await post(receiver.url, createTestEvent('test'))).status).toBe(200)
        expect((await inbox.stats()).waiting).toBe(0)
      } finally {
        await receiver.close()
        await webhooks.close()
        await downstream.close()
      }
    })

    it('a failing job ends in the failed set with the handler and reason; retry brings it back', async () => {
      const downstream = await startDownstream()
      downstream.down = true
      const inbox = createBullMQInbox({
        connection: pg.url,
        queueName: 'pg-dead-letters',
        attempts: 2,
        backoff: { type: 'fixed', delay: 100 },
        logger: false,
      })
      const webhooks = writingTo(downstream, { inbox })
      const receiver = await startReceiver(webhooks)
      try {
        await webhooks.start()
        const event = createTestEvent('contact.created', { PrimaryKey: 77 })
        expect((await post(receiver.url, event)).status).toBe(200)
        await until(async () => (await inbox.stats()).failed === 1, 30_000, 'the failed set')
        const [failed] = await inbox.failed()
        expect(failed).toMatchObject({ event: 'contact.created', eventId: event.EventId, primaryKey: 77, attempts: 2 })
        expect(failed?.failedReason).toMatch(/^Handler anonymous onAny handler failed: downstream answered 503/)
        downstream.down = false
        expect(await inbox.retry({ all: true })).toBe(1)
        await until(() => downstream.received.has(event.EventId), 30_000, 'the retried job')
      } finally {
        await receiver.close()
        await webhooks.close()
        await downstream.close()
      }
    })

    it('PostgreSQL killed: 500 inbox_unavailable meanwhile, never a 200 for an event not stored; restarted: stored events run once', async () => {
      const own = await startPostgresServer()
      const downstream = await startDownstream()
      const inbox = createBullMQInbox({
        connection: own.url,
        queueName: 'pg-outage',
        enqueueTimeoutMs: 1000,
        logger: false,
      })
      const webhooks = writingTo(downstream, { inbox })
      const receiver = await startReceiver(webhooks)
      const answered = new Map<string, number>()
      const send = async () => {
        const event = createTestEvent('sale.sold')
        const response = await post(receiver.url, event)
        answered.set(event.EventId, response.status)
        return response
      }
      try {
        await webhooks.start()
        for (let i = 0; i < 5; i++) expect((await send()).status).toBe(200)
        await until(() => downstream.received.size === 5, 20_000, 'the first events')
        await own.kill()
        for (let i = 0; i < 3; i++) {
          const refused = await send()
          expect(refused.status).toBe(500)
          expect(await refused.json()).toMatchObject({ error: 'inbox_unavailable' })
        }
        await own.restart()
        await until(async () => (await send()).status === 200, 30_000, 'PostgreSQL to come back')
        for (let i = 0; i < 5; i++) expect((await send()).status).toBe(200)
        const stored = [...answered].filter(([, status]) => status === 200).map(([id]) => id)
        await until(() => stored.every((id) => downstream.received.has(id)), 60_000, 'every stored event')
        await sleep(500)
        for (const [id, count] of downstream.received) expect(count, id).toBe(1)
        // PostgreSQL keeps what it committed: the events stored before the kill were not lost.
        for (const [id, status] of answered) if (status === 500) expect(downstream.received.has(id), id).toBe(false)
      } finally {
        await receiver.close()
        await webhooks.close()
        await downstream.close()
        await own.stop()
      }
    }, 120_000)

    it(
      'a worker process killed with SIGKILL mid-job: the job is taken over by the next worker once its lock expires',
      () =>
        crashedWorkerScenario(
          { connection: pg.url, queueName: 'pg-crash' },
          { REDIS_URL: pg.url, QUEUE: 'pg-crash' },
          major,
        ),
      120_000,
    )

    it('two receivers and two workers on one database, 30% duplicates: each EventId handled once', async () => {
      const downstream = await startDownstream()
      const make = () => {
        const inbox = createBullMQInbox({ connection: pg.url, queueName: 'pg-pair', logger: false })
        return writingTo(downstream, { inbox })
      }
      const [one, two] = [make(), make()]
      const receivers = [await startReceiver(one), await startReceiver(two)]
      try {
        await Promise.all([one.start({ concurrency: 5 }), two.start({ concurrency: 5 })])
        const events = Array.from({ length: 200 }, () => createTestEvent('sale.sold'))
        const sends = [...events, ...events.slice(0, 60)]
        for (let i = 0; i < sends.length; i += 20) {
          const batch = sends.slice(i, i + 20)
          const statuses = await Promise.all(
            batch.map(async (event, j) => (await post((receivers[(i + j) % 2] as { url: string }).url, event)).status),
          )
          expect(statuses.every((s) => s === 200)).toBe(true)
        }
        await until(() => downstream.received.size === 200, 60_000, 'every event downstream')
        await sleep(500)
        expect([...downstream.received.values()].every((n) => n === 1)).toBe(true)
      } finally {
        for (const receiver of receivers) await receiver.close()
        await one.close()
        await two.close()
        await downstream.close()
      }
    }, 120_000)

    it(
      'the outage scenario: SuperOffice retries for 5 s, the downstream is down for 15 s: every event reaches it once, the webhook stays Active',
      () => outageScenario({ connection: pg.url, queueName: 'pg-outage-scenario' }),
      180_000,
    )
  })
