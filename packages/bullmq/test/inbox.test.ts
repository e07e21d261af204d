import { hasRedis, startRedisServer, type TestRedisServer } from '@superoffice-webhooks/test-utils/servers'
import { createTestEvent, signedPayload, simulateSuperOffice } from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBullMQInbox } from '../src/index.js'
import { secret, sleep, startDownstream, startReceiver, until, writingTo } from './helpers.js'

let redis: TestRedisServer
beforeAll(async () => {
  if (hasRedis) redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})

const post = (url: string, event: object, key = secret) => {
  const { body, headers } = signedPayload(event, { secret: key })
  return fetch(url, { method: 'POST', body, headers })
}

describe.runIf(hasRedis)('the BullMQ inbox', () => {
  it('answers 200 once the job is stored; a worker runs the handlers; a redelivery is dropped by job id', async () => {
    const downstream = await startDownstream()
    const inbox = createBullMQInbox({ connection: redis.url, queueName: 'basic' })
    const webhooks = writingTo(downstream, { inbox })
    const receiver = await startReceiver(webhooks)
    try {
      const event = createTestEvent('sale.sold', { ContextIdentifier: 'Cust:1' })
      const first = await post(receiver.url, event)
      expect(first.status).toBe(200)
      expect(await first.json()).toEqual({ ok: true, queued: true })
      expect((await post(receiver.url, event)).status).toBe(200) // SuperOffice's retry of the same event
      expect(downstream.received.size).toBe(0) // nothing runs inline with an inbox

      const worker = inbox.work(webhooks)
      await until(() => downstream.received.has(event.EventId), 10_000, 'the worker')
      await sleep(300)
      expect(downstream.received.get(event.EventId)).toBe(1)
      expect(await inbox.stats()).toMatchObject({ completed: 1, failed: 0, waiting: 0 })
      const [job] = (await inbox.queue?.getCompleted()) ?? []
      expect(job?.id).toBe(`so/Cust%3A1/${event.EventId}`) // colon-free, as BullMQ requires
      await worker.close()
    } finally {
      await receiver.close()
      await downstream.close()
      await inbox.close()
    }
  })

  it('the test event is answered 200 without being queued', async () => {
    const inbox = createBullMQInbox({ connection: redis.url, queueName: 'test-event' })
    const receiver = await startReceiver(writingTo(await startDownstream(), { inbox }))
    try {
      const response = await post(receiver.url, createTestEvent('test'))
      expect(await response.json()).toEqual({ ok: true, test: true })
      expect((await inbox.stats()).waiting).toBe(0)
    } finally {
      await receiver.close()
      await inbox.close()
    }
  })

  it('a job whose handler keeps failing is retried with backoff, then kept in the failed set; retry brings it back', async () => {
    const downstream = await startDownstream()
    downstream.down = true
    const inbox = createBullMQInbox({
      connection: redis.url,
      queueName: 'dead-letters',
      attempts: 3,
      backoff: { type: 'fixed', delay: 100 },
    })
    const webhooks = writingTo(downstream, { inbox })
    const receiver = await startReceiver(webhooks)
    const worker = inbox.work(webhooks)
    try {
      const event = createTestEvent('contact.created')
      expect((await post(receiver.url, event)).status).toBe(200)
      await until(async () => (await inbox.stats()).failed === 1, 10_000, 'the failed set')
      const [failed] = await inbox.failed()
      expect(failed).toMatchObject({ event: 'contact.created', eventId: event.EventId, attempts: 3 })
      expect(failed?.failedReason).toMatch(/handler failed/i)

      downstream.down = false
      expect(await inbox.retry({ all: true })).toBe(1)
      await until(() => downstream.received.has(event.EventId), 10_000, 'the retried job')
      expect((await inbox.stats()).failed).toBe(0)
    } finally {
      await worker.close()
      await receiver.close()
      await downstream.close()
      await inbox.close()
    }
  })

  it('Redis unreachable: 500 inbox_unavailable, never 200 for an event that was not stored; resumes after', async () => {
    const downstream = await startDownstream()
    const own = await startRedisServer()
    const inbox = createBullMQInbox({ connection: own.url, queueName: 'outage', enqueueTimeoutMs: 500 })
    const webhooks = writingTo(downstream, { inbox })
    const receiver = await startReceiver(webhooks)
    const worker = inbox.work(webhooks)
    const answered = new Map<string, number>()
    const send = async (event = createTestEvent('sale.sold')) => {
      const response = await post(receiver.url, event)
      answered.set(event.EventId, response.status)
      return response
    }
    try {
      await inbox.ready() // as an app does at boot: the first delivery does not wait for the checks
      for (let i = 0; i < 5; i++) expect((await send()).status).toBe(200)

      own.pause() // accepts connections, answers nothing: the enqueue timeout must answer 500
      const late = createTestEvent('sale.sold')
      const paused = await send(late)
      expect(paused.status).toBe(500)
      expect(await paused.json()).toMatchObject({ error: 'inbox_unavailable' })
      own.resume()
      await until(async () => (await send()).status === 200, 10_000, 'Redis to answer again')
      // The timed-out add may still have landed once Redis woke up; SuperOffice's retry of the same
      // event is then dropped by its job id, so it is handled once either way.
      expect((await send(late)).status).toBe(200)
      await until(() => downstream.received.has(late.EventId), 10_000, 'the retried event')

      await own.kill() // refused connections: answered 500 at once
      const refused = await send()
      expect(refused.status).toBe(500)
      expect(await refused.json()).toMatchObject({ error: 'inbox_unavailable' })
      await own.restart()
      await until(async () => (await send()).status === 200, 15_000, 'Redis to come back')

      // Every event answered 200 after the restart reaches the downstream (the server restarted
      // empty, so those answered before the kill are gone with it: Redis persistence is the
      // operator's choice). None answered 500 was ever handled.
      const kept = [...answered].filter(([, status]) => status === 200).map(([id]) => id)
      const afterRestart = kept.slice(kept.indexOf(late.EventId) + 1)
      await until(() => afterRestart.every((id) => downstream.received.has(id)), 15_000, 'every stored event')
      await sleep(300)
      for (const [id, count] of downstream.received) expect(count, id).toBe(1)
      // The event refused while Redis was down (connection refused) was never stored.
      const refusedId = [...answered].find(([id, status]) => status === 500 && id !== late.EventId)?.[0]
      expect(refusedId).toBeDefined()
      expect(downstream.received.has(refusedId as string)).toBe(false)
    } finally {
      await worker.close()
      await receiver.close()
      await downstream.close()
      await inbox.close()
      await own.stop()
    }
  })
})

describe.runIf(hasRedis)('the outage scenario: SuperOffice retries for 5 s, the downstream is down for 15 s', () => {
  it('inbox: all 200 events reach the downstream exactly once and the webhook stays Active; inline: events are lost', async () => {
    const run = async (mode: 'inbox' | 'inline') => {
      const downstream = await startDownstream()
      const inbox =
        mode === 'inbox'
          ? createBullMQInbox({
              connection: redis.url,
              queueName: 'outage-scenario',
              attempts: 100,
              backoff: { type: 'fixed', delay: 1000 },
            })
          : undefined
      const webhooks = writingTo(downstream, inbox ? { inbox } : {})
      const receiver = await startReceiver(webhooks)
      const worker = inbox?.work(webhooks, { concurrency: 10 })
      const outage = (async () => {
        await sleep(5_000)
        downstream.down = true
        await sleep(15_000)
        downstream.down = false
      })()
      try {
        const report = await simulateSuperOffice(receiver.url, { secret, rate: 5, events: 200 })
        await outage
        if (inbox) await until(() => downstream.received.size === 200, 60_000, 'every event downstream')
        return { report, downstream: new Map(downstream.received) }
      } finally {
        await worker?.close()
        await receiver.close()
        await downstream.close()
        await inbox?.close()
      }
    }
    const [inbox, inline] = await Promise.all([run('inbox'), run('inline')])

    expect(inbox.report).toMatchObject({ events: 200, delivered: 200, discarded: 0, notSent: 0, state: 'Active' })
    expect(inbox.downstream.size).toBe(200)
    expect([...inbox.downstream.values()].every((n) => n === 1)).toBe(true)
    for (const outcome of inbox.report.outcomes) expect(inbox.downstream.get(outcome.eventId)).toBe(1)

    // The comparison stays honest: answering after the handlers loses what the outage covered.
    const lost = inline.report.outcomes.filter((o) => !inline.downstream.has(o.eventId)).length
    expect(lost).toBeGreaterThan(50)
    expect(inline.report.state).toBe('TooManyErrors')
  }, 120_000)
})
