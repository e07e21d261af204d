import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { createSuperOfficeWebhooks, signPayload } from '@superoffice-webhooks/core'
import { createTestEvent } from '@superoffice-webhooks/testing'
import { hasRedis, startRedis } from './redis.mjs'

test('the BullMQ inbox loads through require (CommonJS)', () => {
  const require = createRequire(import.meta.url)
  assert.equal(typeof require('@superoffice-webhooks/bullmq').createBullMQInbox, 'function')
})

test('the BullMQ inbox stores, answers 200 and its worker runs the handler on this Node', {
  skip: !hasRedis && 'redis-server not installed',
}, async () => {
  const server = await startRedis()
  try {
    const inbox = createBullMQInbox({ connection: server.url })
    const webhooks = createSuperOfficeWebhooks({ secret: 'smoke', logger: false, inbox })
    const handled = new Promise((resolve) => webhooks.on('sale.sold', (event) => resolve(event.EventId)))
    const event = createTestEvent('sale.sold')
    const body = JSON.stringify(event)
    const answer = await webhooks.handle({
      rawBody: body,
      headers: { 'x-superoffice-signature': signPayload(body, 'smoke') },
    })
    assert.deepEqual(answer.body, { ok: true, queued: true })
    const worker = inbox.work(webhooks)
    assert.equal(await handled, event.EventId)
    await worker.close()
    await inbox.close()
  } finally {
    server.stop()
  }
})
