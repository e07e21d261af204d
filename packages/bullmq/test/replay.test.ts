// Issue 21: replaying stored events after a fix, on a real redis-server (BullMQ 5 and 6).

import { createSuperOfficeWebhooks, type SuperOfficeReplay } from '@superoffice-webhooks/core'
import { hasRedis, startRedisServer, type TestRedisServer } from '@superoffice-webhooks/test-utils/servers'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBullMQInbox } from '../src/index.js'
import { secret, startReceiver, until } from './helpers.js'

let redis: TestRedisServer
beforeAll(async () => {
  if (hasRedis) redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})

describe.runIf(hasRedis)('inbox.replay', () => {
  it('runs handled and failed events again, by id or by time and name; handlers see context.replay; never dropped as a duplicate', async () => {
    const inbox = createBullMQInbox({
      connection: redis.url,
      queueName: `replay-${process.env.SUPEROFFICE_BULLMQ_MAJOR ?? '5'}`,
      attempts: 1,
      logger: false,
    })
    const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
    const runs: { id: string; replay: SuperOfficeReplay | undefined }[] = []
    let failContacts = true
    webhooks.onAny((event, context) => {
      runs.push({ id: String(event.EventId), replay: context.replay })
      if (event.Event === 'contact.created' && failContacts) throw new Error('bug in the contact handler')
    })
    const receiver = await startReceiver(webhooks)
    try {
      await webhooks.start()
      const sale = createTestEvent('sale.sold')
      const contact = createTestEvent('contact.created')
      const before = new Date()
      for (const event of [sale, contact]) {
        const { body, headers } = signedPayload(event, { secret })
        expect((await fetch(receiver.url, { method: 'POST', body, headers })).status).toBe(200)
      }
      await until(
        async () => (await inbox.stats()).completed === 1 && (await inbox.stats()).failed === 1,
        20_000,
        'both settled',
      )

      // The contact handler's bug is fixed: run the failed event again, by time and name.
      failContacts = false
      const fixed = await inbox.replay({ since: before, events: ['contact.created'], state: 'failed' })
      expect(fixed.replayed).toBe(1)
      await until(() => runs.filter((r) => r.id === contact.EventId).length === 2, 20_000, 'the replayed contact')
      const replayedRun = runs.filter((r) => r.id === contact.EventId)[1]
      expect(replayedRun?.replay?.of).toBe(`so/Cust12345/${contact.EventId}`)

      // A handled event, by id: run again although its EventId was handled (not a duplicate).
      const again = await inbox.replay({ ids: [`so/Cust12345/${sale.EventId}`] })
      expect(again.replayed).toBe(1)
      await until(() => runs.filter((r) => r.id === sale.EventId).length === 2, 20_000, 'the replayed sale')
      expect(runs.filter((r) => r.id === sale.EventId)[0]?.replay).toBeUndefined()
      expect(runs.filter((r) => r.id === sale.EventId)[1]?.replay).toMatchObject({ of: `so/Cust12345/${sale.EventId}` })

      // Nothing matches: nothing queued.
      expect(await inbox.replay({ since: new Date(Date.now() + 60_000) })).toEqual({ replayed: 0, ids: [] })
      expect(await inbox.replay({ ids: ['so/none/none'] })).toEqual({ replayed: 0, ids: [] })
    } finally {
      await receiver.close()
      await webhooks.close()
    }
  })
})
