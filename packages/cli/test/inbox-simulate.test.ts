import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { readRawBody } from '@superoffice-webhooks/core/adapter'
import {
  freePort,
  hasPostgres,
  hasRedis,
  startPostgresServer,
  startRedisServer,
  type TestRedisServer,
} from '@superoffice-webhooks/test-utils/servers'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './helpers.js'

const secret = 'cli-secret'

const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { env })

async function receiver(failing: boolean) {
  const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
  webhooks.onAny(() => {
    if (failing) throw new Error('downstream down')
  })
  const server = createServer(async (req, res) => {
    const answer = await webhooks.handle({ rawBody: await readRawBody(req, { limit: 1 << 20 }), headers: req.headers })
    res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

describe('superoffice-webhooks simulate', () => {
  it('a healthy receiver: every event delivered, webhook Active, exit 0', async () => {
    const app = await receiver(false)
    try {
      const { code, stdout } = await run([
        'simulate',
        app.url,
        '--secret',
        secret,
        '--rate',
        '50',
        '--events',
        '20',
        '--json',
      ])
      expect(code).toBe(0)
      expect(JSON.parse(stdout)).toMatchObject({ events: 20, delivered: 20, discarded: 0, state: 'Active' })
    } finally {
      await app.close()
    }
  })

  it('a receiver whose handler fails: SuperOffice would discard events and disable the webhook, exit 1', async () => {
    const app = await receiver(true)
    try {
      const { code, stdout } = await run(['simulate', app.url, '--secret', secret, '--rate', '20', '--events', '10'])
      expect(code).toBe(1)
      expect(stdout).toMatch(/webhook\s+TooManyErrors/)
      expect(stdout).toMatch(/delivered\s+0/)
    } finally {
      await app.close()
    }
  })

  it('exit 2 for a bad duration, exit 3 when nothing answers', async () => {
    expect((await run(['simulate', 'http://127.0.0.1:9/', '--duration', 'soon'])).code).toBe(2)
    const port = await freePort()
    const { code } = await run(['simulate', `http://127.0.0.1:${port}/`, '--events', '1', '--secret', secret])
    expect(code).toBe(3)
  })
})

describe.runIf(hasRedis)('superoffice-webhooks inbox', () => {
  let redis: TestRedisServer
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterAll(async () => {
    await redis?.stop()
  })

  it('stats, failed and retry against a real inbox', async () => {
    const inbox = createBullMQInbox({ connection: redis.url, attempts: 1 })
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
    let down = true
    webhooks.onAny(function pushToCrm() {
      if (down) throw new Error('crm down')
    })
    const worker = inbox.work(webhooks)
    try {
      const events = [createTestEvent('sale.sold'), createTestEvent('contact.created')]
      for (const event of events) {
        await inbox.enqueue({
          id: `so/Cust12345/${event.EventId}`,
          body: JSON.stringify(event),
          event: event.Event,
          kind: 'known',
          tenant: 'Cust12345',
          eventId: event.EventId,
          secretIndex: 0,
          retry: undefined,
          receivedAt: new Date().toISOString(),
        })
      }
      const env = { REDIS_URL: redis.url }
      for (let i = 0; i < 50 && (await inbox.stats()).failed < 2; i++) await new Promise((r) => setTimeout(r, 100))

      const stats = await run(['inbox', 'stats', '--json'], env)
      expect(stats.code).toBe(0)
      expect(JSON.parse(stats.stdout)).toMatchObject({ failed: 2, completed: 0 })

      const failed = await run(['inbox', 'failed'], env)
      expect(failed.stdout).toContain(`so/Cust12345/${events[0]?.EventId}`)
      expect(failed.stdout).toContain('sale.sold')
      // Issue 20, finding 6: each dead letter says whose it is and why.
      expect(failed.stdout).toMatch(
        new RegExp(`sale\\.sold {2}tenant=Cust12345 key=${events[0]?.PrimaryKey} attempts=1 handler=pushToCrm at=`),
      )
      expect(failed.stdout).toContain('Handler pushToCrm failed: crm down')
      expect(failed.stdout).not.toContain('A handler failed; SuperOffice may retry.')

      down = false
      const one = await run(['inbox', 'retry', '--id', `so/Cust12345/${events[0]?.EventId}`, '--json'], env)
      expect(JSON.parse(one.stdout)).toEqual({ retried: 1 })
      expect((await run(['inbox', 'retry', '--id', 'so/none/none'], env)).code).toBe(1)
      const all = await run(['inbox', 'retry', '--all', '--redis', redis.url])
      expect(all.code).toBe(0)
      for (let i = 0; i < 50 && (await inbox.stats()).completed < 2; i++) await new Promise((r) => setTimeout(r, 100))
      expect(await inbox.stats()).toMatchObject({ completed: 2, failed: 0 })

      // Replay: handled events run again on request, by id or by filter.
      const byId = await run(['inbox', 'replay', '--id', `so/Cust12345/${events[0]?.EventId}`, '--json'], env)
      expect(JSON.parse(byId.stdout)).toMatchObject({ replayed: 1 })
      const byFilter = await run(['inbox', 'replay', '--event', 'contact.created', '--state', 'completed'], env)
      expect(byFilter.stdout).toMatch(/1 event\(s\) queued again/)
      for (let i = 0; i < 50 && (await inbox.stats()).completed < 4; i++) await new Promise((r) => setTimeout(r, 100))
      expect(await inbox.stats()).toMatchObject({ completed: 4, failed: 0 })
      expect((await run(['inbox', 'replay', '--state', 'later'], env)).code).toBe(2)
    } finally {
      await worker.close()
      await inbox.close()
    }
  })

  it('pause-tenant, resume-tenant and purge-tenant: one tenant held, run, removed; --tenant required', async () => {
    const queueName = 'cli-lifecycle'
    const inbox = createBullMQInbox({ connection: redis.url, queueName, logger: false })
    const webhooks = createSuperOfficeWebhooks({ secret: 's', inbox, logger: false })
    const handled: string[] = []
    webhooks.on('sale.sold', (event) => {
      handled.push(String(event.ContextIdentifier))
    })
    const env = { REDIS_URL: redis.url }
    try {
      expect((await run(['inbox', 'pause-tenant', '--queue', queueName], env)).code).toBe(2)
      const paused = await run(['inbox', 'pause-tenant', '--tenant', 'CustHeld', '--queue', queueName], env)
      expect(paused.code).toBe(0)
      expect(paused.stdout).toMatch(/CustHeld paused/)
      await webhooks.start()
      for (const tenant of ['CustHeld', 'CustFree']) {
        const { body, headers } = signedPayload(createTestEvent('sale.sold', { ContextIdentifier: tenant }), {
          secret: 's',
        })
        expect((await webhooks.handle({ rawBody: body, headers })).status).toBe(200)
      }
      for (let i = 0; i < 900 && !handled.includes('CustFree'); i++) await new Promise((r) => setTimeout(r, 100))
      expect(handled).toEqual(['CustFree'])
      for (let i = 0; i < 900 && (await inbox.stats()).delayed < 1; i++) await new Promise((r) => setTimeout(r, 100))
      const resumed = await run(['inbox', 'resume-tenant', '--tenant', 'CustHeld', '--queue', queueName, '--json'], env)
      expect(JSON.parse(resumed.stdout)).toEqual({ tenant: 'CustHeld', paused: false, resumed: 1 })
      for (let i = 0; i < 900 && handled.length < 2; i++) await new Promise((r) => setTimeout(r, 100))
      expect(handled.sort()).toEqual(['CustFree', 'CustHeld'])
      const purged = await run(['inbox', 'purge-tenant', '--tenant', 'CustHeld', '--queue', queueName, '--json'], env)
      expect(JSON.parse(purged.stdout)).toMatchObject({ tenant: 'CustHeld', completed: 1, total: 1 })
    } finally {
      await webhooks.close()
    }
  })

  it.runIf(hasPostgres)(
    'works on PostgreSQL (BullMQ 6): stats, failed and the tenant commands with --postgres',
    async () => {
      const pg = await startPostgresServer()
      const queueName = 'cli-on-postgres'
      const inbox = createBullMQInbox({ connection: pg.url, queueName, logger: false, attempts: 1 })
      const webhooks = createSuperOfficeWebhooks({ secret: 's', inbox, logger: false })
      webhooks.on('sale.sold', () => {
        throw new Error('downstream refused')
      })
      try {
        await webhooks.start()
        const { body, headers } = signedPayload(createTestEvent('sale.sold', { ContextIdentifier: 'CustPg' }), {
          secret: 's',
        })
        expect((await webhooks.handle({ rawBody: body, headers })).status).toBe(200)
        for (let i = 0; i < 900 && (await inbox.stats()).failed < 1; i++) await new Promise((r) => setTimeout(r, 100))
        const stats = await run(['inbox', 'stats', '--postgres', pg.url, '--queue', queueName, '--json'])
        expect(stats.code, stats.stderr).toBe(0)
        expect(JSON.parse(stats.stdout)).toMatchObject({ failed: 1 })
        const failed = await run(['inbox', 'failed', '--queue', queueName], { DATABASE_URL: pg.url, REDIS_URL: '' })
        expect(failed.stdout).toMatch(/tenant=CustPg/)
        expect(failed.stdout).toMatch(/downstream refused/)
        const purged = await run([
          'inbox',
          'purge-tenant',
          '--tenant',
          'CustPg',
          '--postgres',
          pg.url,
          '--queue',
          queueName,
          '--json',
        ])
        expect(JSON.parse(purged.stdout)).toMatchObject({ failed: 1, total: 1 })
      } finally {
        await webhooks.close()
        await pg.stop()
      }
    },
  )

  it('exit 2 without a Redis URL or action, exit 3 when Redis does not answer', async () => {
    expect((await run(['inbox', 'stats'], { REDIS_URL: '' })).code).toBe(2)
    expect((await run(['inbox', 'purge', '--redis', redis.url])).code).toBe(2)
    expect((await run(['inbox', 'retry', '--redis', redis.url])).code).toBe(2)
    const port = await freePort()
    const down = await run(['inbox', 'stats', '--redis', `redis://127.0.0.1:${port}`, '--timeout', '1000'])
    expect(down.code).toBe(3)
    expect(down.stderr).toMatch(/did not answer/)
    // A timeout longer than the connection attempt: the refusal itself is the one line, exit 3.
    for (const action of ['stats', 'failed']) {
      const refused = await run([
        'inbox',
        action,
        '--redis',
        `redis://:hunter2@127.0.0.1:${port}`,
        '--timeout',
        '20000',
      ])
      expect(refused.code, action).toBe(3)
      expect(refused.stderr.trim().split('\n'), action).toHaveLength(1)
      expect(refused.stderr).toMatch(
        /^error: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ (could not be used|did not answer)/,
      )
      expect(refused.stderr).not.toContain('hunter2')
      expect(refused.stderr).not.toMatch(/\n\s+at /)
    }
  })
})
