// Issue 21: the inbox on Redis Cluster (three masters the test starts), on BullMQ 5 and 6.
import { hasRedisCluster, startRedisCluster, type TestRedisCluster } from '@superoffice-webhooks/adapter-contract'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBullMQInbox } from '../src/index.js'
import { secret, sleep, startDownstream, startReceiver, until, writingTo } from './helpers.js'

const major = process.env.SUPEROFFICE_BULLMQ_MAJOR ?? '5'
let cluster: TestRedisCluster
beforeAll(async () => {
  if (hasRedisCluster) cluster = await startRedisCluster()
})
afterAll(async () => {
  await cluster?.stop()
})

const connect = () => new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: null } })

describe.runIf(hasRedisCluster)(`the inbox on Redis Cluster (BullMQ ${major})`, () => {
  it('refuses a prefix without a hash tag, saying what to pass', () => {
    const client = connect()
    try {
      expect(() => createBullMQInbox({ connection: client, logger: false })).toThrow(
        /on Redis Cluster the prefix needs a hash tag.*Pass \{ prefix: '\{superoffice\}' \}/,
      )
      expect(() => createBullMQInbox({ connection: client, prefix: 'superoffice', logger: false })).toThrow(
        /instead of 'superoffice'/,
      )
    } finally {
      client.disconnect()
    }
  })

  it('with {superoffice}: answers 200 once stored, the worker handles each event once, a redelivery is dropped', async () => {
    const client = connect()
    const downstream = await startDownstream()
    const inbox = createBullMQInbox({
      connection: client,
      prefix: '{superoffice}',
      queueName: `cluster-${major}`,
      logger: false,
    })
    const webhooks = writingTo(downstream, { inbox })
    const receiver = await startReceiver(webhooks)
    try {
      await webhooks.start({ concurrency: 5 })
      const events = Array.from({ length: 30 }, (_, i) =>
        createTestEvent('sale.sold', { ContextIdentifier: `Cust${i % 3}` }),
      )
      for (const event of [...events, ...events.slice(0, 10)]) {
        const { body, headers } = signedPayload(event, { secret })
        const response = await fetch(receiver.url, { method: 'POST', body, headers })
        expect(response.status).toBe(200)
      }
      await until(() => downstream.received.size === 30, 30_000, 'every event downstream')
      await sleep(300)
      expect([...downstream.received.values()].every((n) => n === 1)).toBe(true)
      expect((await inbox.stats()).completed).toBe(30)
    } finally {
      await receiver.close()
      await webhooks.close()
      await downstream.close()
      client.disconnect()
    }
  })
})
