// Issue 20: what production does to the inbox, on real redis-servers the tests start. Each block
// names the finding it covers. This file also runs on BullMQ 6 (vitest.bullmq6.config.ts).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSuperOfficeWebhooks, type SuperOfficeWebhookError, signPayload } from '@superoffice-webhooks/core'
import { hasRedis, startRedisServer, type TestRedisServer } from '@superoffice-webhooks/test-utils/servers'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BullMQInboxLogger, createBullMQInbox } from '../src/index.js'
import { secret, sleep, startReceiver, until } from './helpers.js'

const major = process.env.SUPEROFFICE_BULLMQ_MAJOR ?? '5'

function recording() {
  const lines: { level: 'warn' | 'error'; message: string }[] = []
  const logger: BullMQInboxLogger = {
    warn: (message) => lines.push({ level: 'warn', message }),
    error: (message) => lines.push({ level: 'error', message }),
  }
  return { logger, lines }
}

const post = (url: string, event: object) => {
  const { body, headers } = signedPayload(event, { secret })
  return fetch(url, { method: 'POST', body, headers })
}

let plain: TestRedisServer
beforeAll(async () => {
  if (hasRedis) plain = await startRedisServer()
})
afterAll(async () => {
  await plain?.stop()
})

describe.runIf(hasRedis)(`inbox faults (BullMQ ${major})`, () => {
  it(`1. runs on BullMQ ${major} (the matrix is real)`, async () => {
    const bullmq: Record<string, unknown> = await import('bullmq')
    expect(typeof bullmq.BULLMQ_MAJOR_VERSION === 'number' ? bullmq.BULLMQ_MAJOR_VERSION : 5).toBe(Number(major))
  })

  describe('4. an evicting Redis is refused; a Redis without persistence is warned about', () => {
    for (const [label, args] of [
      ['CONFIG allowed', ['--maxmemory-policy', 'allkeys-lru']],
      [
        'CONFIG disabled, as on managed Redis (read from INFO)',
        ['--maxmemory-policy', 'allkeys-lru', '--rename-command', 'CONFIG', 'CONFIG-renamed-by-the-provider'],
      ],
    ] as const) {
      it(`allkeys-lru (${label}): ready() refuses naming the setting, deliveries get 500, the worker never starts`, async () => {
        const server = await startRedisServer(args)
        const { logger, lines } = recording()
        const inbox = createBullMQInbox({ connection: server.url, queueName: 'evicting', logger })
        const webhooks = createSuperOfficeWebhooks({ secret, logger: false, inbox })
        const codes: string[] = []
        webhooks.onError((error: SuperOfficeWebhookError) => codes.push(error.code))
        let ran = 0
        webhooks.onAny(() => {
          ran++
        })
        const receiver = await startReceiver(webhooks)
        const worker = inbox.work(webhooks)
        try {
          await expect(inbox.ready()).rejects.toThrow(/maxmemory-policy allkeys-lru.*noeviction.*allowEvictingRedis/s)
          await expect(worker.started).rejects.toThrow(/maxmemory-policy/)
          const answer = await post(receiver.url, createTestEvent('sale.sold'))
          expect(answer.status).toBe(500)
          expect(await answer.json()).toMatchObject({ ok: false, error: 'inbox_unavailable' })
          expect(codes).toEqual(['inbox_unavailable'])
          expect(lines.some((l) => l.level === 'error' && /maxmemory-policy allkeys-lru/.test(l.message))).toBe(true)
          const probe = new Redis(server.url)
          expect(await probe.keys('*:evicting:so*')).toEqual([]) // no job stored that could vanish
          probe.disconnect()
          expect(ran).toBe(0)
        } finally {
          await worker.close()
          await receiver.close()
          await inbox.close()
          await server.stop()
        }
      })
    }

    it('switched to allkeys-lru while running: refused from the next check (500, logged), accepted again once fixed', async () => {
      const server = await startRedisServer()
      const { logger, lines } = recording()
      const inbox = createBullMQInbox({ connection: server.url, configCheckIntervalMs: 100, logger })
      const webhooks = createSuperOfficeWebhooks({ secret, logger: false, inbox })
      const receiver = await startReceiver(webhooks)
      const admin = new Redis(server.url)
      try {
        await inbox.ready()
        expect((await post(receiver.url, createTestEvent('sale.sold'))).status).toBe(200)
        await admin.config('SET', 'maxmemory-policy', 'allkeys-lru')
        await until(
          async () => (await post(receiver.url, createTestEvent('sale.sold'))).status === 500,
          30_000,
          'a refusal',
        )
        const refused = await post(receiver.url, createTestEvent('sale.sold'))
        expect(refused.status).toBe(500)
        expect(await refused.json()).toMatchObject({ error: 'inbox_unavailable' })
        expect(lines.filter((l) => l.level === 'error' && /maxmemory-policy allkeys-lru/.test(l.message))).toHaveLength(
          1,
        )
        await admin.config('SET', 'maxmemory-policy', 'noeviction')
        await until(
          async () => (await post(receiver.url, createTestEvent('sale.sold'))).status === 200,
          30_000,
          'accepted again',
        )
      } finally {
        admin.disconnect()
        await receiver.close()
        await inbox.close()
        await server.stop()
      }
    })

    it('the connection comes back to a Redis that evicts: the first delivery after it is refused, none slips in', async () => {
      const server = await startRedisServer()
      // A long interval: only the reconnect can catch it.
      const inbox = createBullMQInbox({ connection: server.url, configCheckIntervalMs: 3_600_000, logger: false })
      const webhooks = createSuperOfficeWebhooks({ secret, logger: false, inbox })
      const receiver = await startReceiver(webhooks)
      try {
        await inbox.ready()
        expect((await post(receiver.url, createTestEvent('sale.sold'))).status).toBe(200)
        await server.kill()
        await server.restart(['--maxmemory-policy', 'allkeys-lru'])
        // Every delivery from now on is refused, whether it comes before or after the reconnect.
        for (let i = 0; i < 10; i++) {
          expect((await post(receiver.url, createTestEvent('sale.sold'))).status).toBe(500)
          await sleep(100)
        }
        const probe = new Redis(server.url)
        expect(await probe.llen('bull:superoffice-webhooks:wait')).toBe(0)
        probe.disconnect()
      } finally {
        await receiver.close()
        await inbox.close()
        await server.stop()
      }
    })

    it('allowEvictingRedis: true takes the risk by name: events are queued and handled', async () => {
      const server = await startRedisServer(['--maxmemory-policy', 'allkeys-lru'])
      const inbox = createBullMQInbox({ connection: server.url, allowEvictingRedis: true, logger: false })
      const webhooks = createSuperOfficeWebhooks({ secret, logger: false, inbox })
      const handled: string[] = []
      webhooks.onAny((event) => {
        handled.push(String(event.EventId))
      })
      const receiver = await startReceiver(webhooks)
      const worker = inbox.work(webhooks)
      try {
        await inbox.ready()
        const event = createTestEvent('sale.sold')
        expect((await post(receiver.url, event)).status).toBe(200)
        await until(() => handled.includes(event.EventId), 20_000, 'the handler')
      } finally {
        await worker.close()
        await receiver.close()
        await inbox.close()
        await server.stop()
      }
    })

    it('warns once, loudly, about a Redis without persistence; not about one with AOF', async () => {
      const { logger, lines } = recording()
      const inbox = createBullMQInbox({ connection: plain.url, queueName: 'no-persistence', logger })
      await inbox.ready()
      await inbox.ready()
      await inbox.close()
      const warnings = lines.filter((l) => l.level === 'warn')
      expect(warnings).toHaveLength(1)
      expect(warnings[0]?.message).toMatch(/no persistence.*appendonly yes/s)

      const dir = mkdtempSync(join(tmpdir(), 'inbox-aof-'))
      const aof = await startRedisServer(['--appendonly', 'yes', '--dir', dir])
      const quiet = recording()
      const persisted = createBullMQInbox({ connection: aof.url, logger: quiet.logger })
      try {
        await persisted.ready()
        expect(quiet.lines).toEqual([])
      } finally {
        await persisted.close()
        await aof.stop()
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })

  describe('Redis killed, paused and refused', () => {
    it('paused: a delivery is answered 500 within enqueueTimeoutMs, not held until SuperOffice gives up', async () => {
      const server = await startRedisServer()
      const inbox = createBullMQInbox({ connection: server.url, enqueueTimeoutMs: 300, logger: false })
      const webhooks = createSuperOfficeWebhooks({ secret, logger: false, inbox })
      const receiver = await startReceiver(webhooks)
      try {
        await inbox.ready()
        server.pause()
        const answer = await post(receiver.url, createTestEvent('sale.sold'))
        expect(answer.status).toBe(500)
        expect(await answer.json()).toMatchObject({ error: 'inbox_unavailable' })
      } finally {
        server.resume()
        await receiver.close()
        await inbox.close()
        await server.stop()
      }
    })

    it('down at start: each delivery is answered 500 within enqueueTimeoutMs (the start-up checks included)', async () => {
      const server = await startRedisServer()
      await server.kill()
      const inbox = createBullMQInbox({ connection: server.url, enqueueTimeoutMs: 300, logger: false })
      const webhooks = createSuperOfficeWebhooks({ secret, logger: false, inbox })
      const receiver = await startReceiver(webhooks)
      try {
        // Not a speed assertion: the start-up checks wait up to 5 s for a connection, so a delivery
        // that waited for them took longer than that; bounded by enqueueTimeoutMs it takes less.
        for (let i = 0; i < 3; i++) {
          const started = performance.now()
          const answer = await post(receiver.url, createTestEvent('sale.sold'))
          expect(answer.status).toBe(500)
          expect(await answer.json()).toMatchObject({ error: 'inbox_unavailable' })
          expect(performance.now() - started).toBeLessThan(4_500)
        }
      } finally {
        await receiver.close()
        await inbox.close()
        await server.stop()
      }
    })

    it('refused at start: deliveries get 500, the worker waits for Redis and starts once it is up', async () => {
      const server = await startRedisServer()
      await server.kill()
      const inbox = createBullMQInbox({ connection: server.url, enqueueTimeoutMs: 500, logger: false })
      const webhooks = createSuperOfficeWebhooks({ secret, logger: false, inbox })
      const handled: string[] = []
      webhooks.onAny((event) => {
        handled.push(String(event.EventId))
      })
      const receiver = await startReceiver(webhooks)
      const worker = inbox.work(webhooks)
      try {
        expect((await post(receiver.url, createTestEvent('sale.sold'))).status).toBe(500)
        await server.restart()
        await worker.started
        const event = createTestEvent('sale.sold')
        await until(async () => (await post(receiver.url, event)).status === 200, 20_000, 'a stored delivery')
        await until(() => handled.includes(event.EventId), 20_000, 'the handler')
      } finally {
        await worker.close()
        await receiver.close()
        await inbox.close()
        await server.stop()
      }
    })
  })

  describe('5. hung handlers', () => {
    it('three hung handlers at concurrency 3 time out and free their slots; other jobs run; the hung ones are retried', async () => {
      const inbox = createBullMQInbox({
        connection: plain.url,
        queueName: 'hung',
        attempts: 2,
        backoff: { type: 'fixed', delay: 50 },
        logger: false,
      })
      const webhooks = createSuperOfficeWebhooks({ secret, logger: false, inbox })
      const started: Record<string, number> = {}
      const handled: string[] = []
      webhooks.on('sale.sold', async function hangs(event) {
        started[event.EventId] = (started[event.EventId] ?? 0) + 1
        await new Promise(() => {}) // never settles
      })
      webhooks.on('contact.created', async (event) => {
        handled.push(event.EventId)
      })
      const receiver = await startReceiver(webhooks)
      const hung = [1, 2, 3].map(() => createTestEvent('sale.sold'))
      for (const event of hung) expect((await post(receiver.url, event)).status).toBe(200)
      const worker = inbox.work(webhooks, { concurrency: 3, handlerTimeoutMs: 400 })
      try {
        await until(() => Object.keys(started).length === 3, 20_000, 'the hung handlers to start')
        const others = [1, 2, 3, 4].map(() => createTestEvent('contact.created'))
        for (const event of others) expect((await post(receiver.url, event)).status).toBe(200)
        await until(() => handled.length === 4, 20_000, 'the other jobs')
        await until(async () => (await inbox.stats()).failed === 3, 20_000, 'the hung jobs in the failed set')
        for (const event of hung) expect(started[event.EventId]).toBe(2) // retried once, per attempts: 2
        const failed = await inbox.failed()
        expect(failed.every((job) => /did not settle within 400 ms/.test(job.failedReason))).toBe(true)
      } finally {
        await worker.close()
        await receiver.close()
        await inbox.close()
      }
    })

    it('close() waits at most closeTimeoutMs, then gives running jobs back to the queue (waiting, not failed)', async () => {
      const inbox = createBullMQInbox({ connection: plain.url, queueName: 'close-hung', logger: false })
      const hangs = createSuperOfficeWebhooks({ secret, logger: false, inbox })
      let entered = 0
      hangs.onAny(async () => {
        entered++
        await new Promise(() => {})
      })
      const receiver = await startReceiver(hangs)
      const worker = inbox.work(hangs, { concurrency: 2, closeTimeoutMs: 300 })
      try {
        const events = [createTestEvent('sale.sold'), createTestEvent('sale.lost')]
        for (const event of events) expect((await post(receiver.url, event)).status).toBe(200)
        await until(() => entered === 2, 20_000, 'both jobs running')
        const closing = Date.now()
        await worker.close()
        expect(Date.now() - closing).toBeLessThan(30_000) // bounded: it used to never return
        const stats = await inbox.stats()
        expect(stats).toMatchObject({ waiting: 2, active: 0, failed: 0 })

        // Another worker takes them over.
        const healthy = createSuperOfficeWebhooks({ secret, logger: false })
        const handled: string[] = []
        healthy.onAny((event) => {
          handled.push(String(event.EventId))
        })
        const next = inbox.work(healthy)
        await until(() => handled.length === 2, 20_000, 'the given-back jobs')
        expect(handled.sort()).toEqual(events.map((e) => e.EventId).sort())
        await next.close()
      } finally {
        await receiver.close()
        await inbox.close()
      }
    })
  })

  describe('6. dead letters explain themselves', () => {
    it('the failed job keeps the handler, its message and stack; the worker line describes an attempt', async () => {
      const inbox = createBullMQInbox({
        connection: plain.url,
        queueName: 'explained',
        attempts: 2,
        backoff: { type: 'fixed', delay: 50 },
        logger: false,
      })
      const logged: { level: string; text: string }[] = []
      const log =
        (level: string) =>
        (message: string, ...details: unknown[]) =>
          logged.push({ level, text: [message, ...details.map(String)].join(' ') })
      const webhooks = createSuperOfficeWebhooks({
        secret,
        inbox,
        logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
      })
      webhooks.on('sale.sold', async function syncToErp() {
        throw new TypeError('ERP answered 503')
      })
      webhooks.onAny(async () => {
        throw new Error('second failure')
      })
      const receiver = await startReceiver(webhooks)
      const worker = inbox.work(webhooks)
      try {
        const event = createTestEvent('sale.sold', { ContextIdentifier: 'Cust42', PrimaryKey: 4711 })
        expect((await post(receiver.url, event)).status).toBe(200)
        await until(async () => (await inbox.stats()).failed === 1, 20_000, 'the dead letter')
        const [job] = await inbox.failed()
        expect(job).toMatchObject({
          event: 'sale.sold',
          tenant: 'Cust42',
          eventId: event.EventId,
          primaryKey: 4711,
          attempts: 2,
          handler: 'syncToErp, anonymous onAny handler',
        })
        expect(job?.failedReason).toBe(
          '2 handlers failed. syncToErp: TypeError: ERP answered 503; anonymous onAny handler: second failure',
        )
        expect(job?.stack).toMatch(/TypeError: ERP answered 503\n\s+at syncToErp/)

        const lines = logged.filter((l) => l.level === 'error').map((l) => l.text)
        expect(lines.length).toBeGreaterThanOrEqual(2)
        for (const line of lines) {
          expect(line).not.toMatch(/answered 500/)
          expect(line).toMatch(/inbox job attempt [12] of 2/)
          expect(line.split('\n')).toHaveLength(1) // the message, not a stack
        }
        expect(lines.some((l) => /handler=syncToErp.*TypeError: ERP answered 503/.test(l))).toBe(true)
        expect(lines.some((l) => /attempt 2 of 2, no attempts left: dead letter/.test(l))).toBe(true)
      } finally {
        await worker.close()
        await receiver.close()
        await inbox.close()
      }
    })

    it('onDeadLetter is told once, after the last attempt, with tenant, event and why; not for attempts that are retried', async () => {
      const inbox = createBullMQInbox({
        connection: plain.url,
        queueName: 'dead-letters-told',
        attempts: 3,
        backoff: { type: 'fixed', delay: 20 },
        logger: false,
      })
      const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
      webhooks.on('sale.sold', async function pushToErp() {
        throw new Error('ERP refused the order')
      })
      const letters: { tenant?: string; event: string; eventId?: string; attempts: number; reason: string }[] = []
      webhooks.onDeadLetter(({ tenant, event, eventId, attempts, reason }) => {
        letters.push({ tenant, event, eventId, attempts, reason })
      })
      const receiver = await startReceiver(webhooks)
      const worker = inbox.work(webhooks)
      try {
        const event = createTestEvent('sale.sold', { ContextIdentifier: 'Cust7' })
        expect((await post(receiver.url, event)).status).toBe(200)
        await until(async () => (await inbox.stats()).failed === 1, 30_000, 'the dead letter')
        await until(() => letters.length > 0, 30_000, 'the listener')
        await sleep(200)
        expect(letters).toEqual([
          {
            tenant: 'Cust7',
            event: 'sale.sold',
            eventId: event.EventId,
            attempts: 3,
            reason: 'Handler pushToErp failed: ERP refused the order',
          },
        ])
      } finally {
        await worker.close()
        await receiver.close()
        await inbox.close()
      }
    })

    it('onDeadLetter is told when the last attempt times out, though its handler hangs on', async () => {
      const inbox = createBullMQInbox({
        connection: plain.url,
        queueName: 'dead-letters-timeout',
        attempts: 2,
        backoff: { type: 'fixed', delay: 20 },
        logger: false,
      })
      const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
      let started = 0
      webhooks.on('sale.sold', async function hangs() {
        started++
        await new Promise(() => {}) // never settles, not even on its signal
      })
      const letters: { attempts: number; reason: string }[] = []
      webhooks.onDeadLetter(({ attempts, reason }) => {
        letters.push({ attempts, reason })
      })
      const worker = inbox.work(webhooks, { handlerTimeoutMs: 300 })
      try {
        const { body, headers } = signedPayload(createTestEvent('sale.sold', { ContextIdentifier: 'Cust7' }), {
          secret,
        })
        expect((await webhooks.handle({ rawBody: body, headers })).status).toBe(200)
        await until(async () => (await inbox.stats()).failed === 1, 60_000, 'the dead letter')
        await until(() => letters.length > 0, 60_000, 'the listener')
        await sleep(200)
        expect(started).toBe(2)
        expect(letters).toHaveLength(1)
        expect(letters[0]?.attempts).toBe(2)
        expect(letters[0]?.reason).toMatch(/did not settle within 300 ms \(handlerTimeoutMs\)/)
      } finally {
        await worker.close()
        await inbox.close()
      }
    })

    it('a job whose data was evicted says so, not "The body is not valid JSON."', async () => {
      const inbox = createBullMQInbox({ connection: plain.url, queueName: 'evicted-data', attempts: 1, logger: false })
      const webhooks = createSuperOfficeWebhooks({ secret, logger: false, inbox })
      webhooks.onAny(() => {})
      const receiver = await startReceiver(webhooks)
      const probe = new Redis(plain.url)
      try {
        const event = createTestEvent('sale.sold')
        expect((await post(receiver.url, event)).status).toBe(200)
        const [key] = await probe.keys('bull:evicted-data:so*')
        expect(key).toBeDefined()
        await probe.hdel(key as string, 'data') // what an evicting Redis leaves behind, at best
        const worker = inbox.work(webhooks)
        await until(async () => (await inbox.stats()).failed === 1, 20_000, 'the failed job')
        const [job] = await inbox.failed()
        expect(job?.failedReason).toMatch(/no body: its data was evicted or deleted/)
        await worker.close()
      } finally {
        probe.disconnect()
        await receiver.close()
        await inbox.close()
      }
    })
  })

  describe('8. lone surrogates', () => {
    it('an EventId and tenant holding lone surrogates are stored, handled, and deduplicated', async () => {
      const inbox = createBullMQInbox({ connection: plain.url, queueName: 'surrogates', logger: false })
      const webhooks = createSuperOfficeWebhooks({ secret, logger: false, inbox })
      const handled: string[] = []
      webhooks.onAny((event) => {
        handled.push(String(event.EventId))
      })
      const receiver = await startReceiver(webhooks)
      const worker = inbox.work(webhooks)
      try {
        const odd = createTestEvent('sale.sold', { EventId: 'evt-\uD800', ContextIdentifier: 'Cust\uDFFF' })
        const replaced = createTestEvent('sale.sold', { EventId: 'evt-\uFFFD', ContextIdentifier: 'Cust\uFFFD' })
        // No X-SuperOffice-EventId header: an HTTP header cannot carry a lone surrogate.
        const send = (event: object) => {
          const body = JSON.stringify(event)
          return fetch(receiver.url, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/json', 'x-superoffice-signature': signPayload(body, secret) },
          })
        }
        expect((await send(odd)).status).toBe(200)
        expect((await send(odd)).status).toBe(200) // a redelivery
        expect((await send(replaced)).status).toBe(200)
        await until(() => handled.length === 2, 20_000, 'both events')
        await sleep(300)
        expect(handled.sort()).toEqual(['evt-\uD800', 'evt-\uFFFD'].sort())
      } finally {
        await worker.close()
        await receiver.close()
        await inbox.close()
      }
    })

    for (const [label, extra] of [
      ['coalesce', { coalesce: { delayMs: 50, maxDelayMs: 200 } }],
      ["orderBy: 'entity'", { orderBy: 'entity' as const }],
      ['both', { coalesce: { delayMs: 50, maxDelayMs: 200 }, orderBy: 'entity' as const }],
    ] as const) {
      it(`an Entity holding lone surrogates (${label}): 200, handled once per row, rows kept apart, no dead letter`, async () => {
        const inbox = createBullMQInbox({
          connection: plain.url,
          queueName: `surrogate-rows-${label.replace(/\W+/g, '-')}`,
          logger: false,
          ...extra,
        })
        const webhooks = createSuperOfficeWebhooks({ secret, logger: false, inbox })
        const handled: string[] = []
        webhooks.onAny((event) => {
          handled.push(`${event.Entity}#${event.PrimaryKey}`)
        })
        const receiver = await startReceiver(webhooks)
        const worker = inbox.work(webhooks)
        try {
          for (const Entity of ['y_\uD800', 'y_\uD801', 'y_\uFFFD']) {
            const event = createTestEvent('y_odd.changed', { Entity, PrimaryKey: 7, ContextIdentifier: 'Cust\uDFFF' })
            const body = JSON.stringify(event)
            const answer = await fetch(receiver.url, {
              method: 'POST',
              body,
              headers: { 'content-type': 'application/json', 'x-superoffice-signature': signPayload(body, secret) },
            })
            expect(answer.status).toBe(200)
          }
          await until(() => handled.length === 3, 20_000, 'one run per row')
          await sleep(300)
          expect(handled.sort()).toEqual(['y_\uD800#7', 'y_\uD801#7', 'y_\uFFFD#7'].sort())
          expect(await inbox.stats()).toMatchObject({ failed: 0 })
        } finally {
          await worker.close()
          await receiver.close()
          await inbox.close()
        }
      })
    }
  })
})
