// Tenant lifecycle (issue 29): a paused tenant's deliveries are answered 200 and stored, not run,
// across a restart of the app and of the store; resume runs them; purge removes the tenant's
// stored work and says how much. Other tenants go on meanwhile. Redis in both passes, PostgreSQL
// in the BullMQ 6 pass.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { afterAll, expect, it } from 'vitest'
import { createBullMQInbox } from '../src/index.js'
import { describeEachEngine, secret, sleep, until } from './helpers.js'

const aofDir = mkdtempSync(join(tmpdir(), 'inbox-lifecycle-'))
afterAll(() => rmSync(aofDir, { recursive: true, force: true }))

let queues = 0
describeEachEngine(
  'tenant lifecycle',
  (store) => {
    const open = (queueName: string) => {
      const inbox = createBullMQInbox({ connection: store.url, queueName, logger: false, attempts: 1 })
      const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
      const handled: string[] = []
      webhooks.on('sale.sold', (event) => {
        if (event.PrimaryKey === 666) throw new Error('fails for good')
        handled.push(`${event.ContextIdentifier}#${event.PrimaryKey}`)
      })
      const deliver = async (tenant: string, key: number) => {
        const event = createTestEvent('sale.sold', { ContextIdentifier: tenant, PrimaryKey: key })
        const { body, headers } = signedPayload(event, { secret })
        const answer = await webhooks.handle({ rawBody: body, headers })
        expect(answer.status).toBe(200)
        return { event, body, headers }
      }
      return { inbox, webhooks, handled, deliver }
    }

    it('pause keeps a tenant’s events without running them, across restarts; the others run; resume runs them', async () => {
      const queueName = `life-${store.name}-${++queues}`
      let app = open(queueName)
      try {
        await app.inbox.pauseTenant('CustSuspended')
        expect(await app.inbox.isTenantPaused('CustSuspended')).toBe(true)
        await app.webhooks.start({ concurrency: 2 })
        for (let i = 1; i <= 3; i++) await app.deliver('CustSuspended', i)
        for (let i = 1; i <= 3; i++) await app.deliver('CustRunning', i)
        await until(() => app.handled.length === 3, 60_000, 'the running tenant')
        await sleep(500)
        expect(app.handled.sort()).toEqual(['CustRunning#1', 'CustRunning#2', 'CustRunning#3'])
        await app.webhooks.close()

        // The app restarts (and, on Redis, Redis restarts from its AOF): still paused, still stored.
        if (store.name === 'Redis') {
          await store.redis?.kill()
          await store.redis?.restart()
        }
        app = open(queueName)
        await app.webhooks.start({ concurrency: 2 })
        await app.deliver('CustSuspended', 4)
        await sleep(1_000)
        expect(app.handled).toEqual([])
        expect(await app.inbox.isTenantPaused('CustSuspended')).toBe(true)

        expect(await app.inbox.resumeTenant('CustSuspended')).toBe(4)
        await until(() => app.handled.length === 4, 60_000, 'the resumed tenant')
        expect(app.handled.sort()).toEqual(['CustSuspended#1', 'CustSuspended#2', 'CustSuspended#3', 'CustSuspended#4'])
        expect(await app.inbox.stats()).toMatchObject({ failed: 0 })
      } finally {
        await app.webhooks.close()
      }
    })

    it('purge removes a tenant’s waiting, parked, failed and handled jobs, says how many, and leaves the others', async () => {
      const app = open(`purge-${store.name}-${++queues}`)
      try {
        await app.webhooks.start({ concurrency: 2 })
        const handledOne = await app.deliver('CustGone', 1)
        await app.deliver('CustGone', 666) // fails: a dead letter
        await app.deliver('CustStays', 1)
        await until(async () => app.handled.length === 2 && (await app.inbox.stats()).failed === 1, 60_000, 'settled')
        await app.inbox.pauseTenant('CustGone')
        await app.deliver('CustGone', 2) // parked
        await app.deliver('CustGone', 3)
        await until(async () => (await app.inbox.stats()).delayed === 2, 60_000, 'parked')

        const purged = await app.inbox.purgeTenant('CustGone')
        expect(purged).toMatchObject({ failed: 1, completed: 1, total: 4 })
        expect(purged.waiting + purged.delayed).toBe(2)
        expect(await app.inbox.stats()).toMatchObject({ waiting: 0, delayed: 0, failed: 0, completed: 1 })

        // The handled job was what dropped a redelivery: after the purge one is stored again.
        await app.inbox.resumeTenant('CustGone')
        const again = await app.webhooks.handle({ rawBody: handledOne.body, headers: handledOne.headers })
        expect(again.body).toEqual({ ok: true, queued: true })
        await until(() => app.handled.filter((h) => h === 'CustGone#1').length === 2, 60_000, 'handled again')
      } finally {
        await app.webhooks.close()
      }
    })
  },
  ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', aofDir],
)
