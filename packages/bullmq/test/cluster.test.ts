// Issue 21: the inbox on Redis Cluster (three masters the test starts), on BullMQ 5 and 6.

import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { hasRedisCluster, startRedisCluster, type TestRedisCluster } from '@superoffice-webhooks/test-utils/servers'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBullMQInbox } from '../src/index.js'
import { secret, sleep, startDownstream, startReceiver, until, writingTo } from './helpers.js'
import { crashedWorkerScenario, outageScenario } from './scenarios.js'

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

  it('many tenants on the cluster: fair turns, a cap of 2 per tenant, a paused tenant parked and resumed', async () => {
    const client = connect()
    const inbox = createBullMQInbox({
      connection: client,
      prefix: '{superoffice}',
      queueName: `cluster-fair-${major}`,
      logger: false,
      fairness: { by: 'tenant', concurrency: 2 },
    })
    const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
    const order: string[] = []
    const running = new Map<string, number>()
    let mostOfOne = 0
    webhooks.on('sale.changed', async (event) => {
      const tenant = event.ContextIdentifier as string
      running.set(tenant, (running.get(tenant) ?? 0) + 1)
      mostOfOne = Math.max(mostOfOne, running.get(tenant) ?? 0)
      await sleep(10)
      running.set(tenant, (running.get(tenant) ?? 1) - 1)
      order.push(`${tenant}#${event.PrimaryKey}`)
    })
    const deliver = async (tenant: string, key: number) => {
      const { body, headers } = signedPayload(
        createTestEvent('sale.changed', { ContextIdentifier: tenant, PrimaryKey: key }),
        { secret },
      )
      expect((await webhooks.handle({ rawBody: body, headers })).status).toBe(200)
    }
    try {
      await inbox.pauseTenant('CustPaused')
      for (let i = 1; i <= 30; i++) await deliver('CustFlood', i)
      for (let i = 1; i <= 5; i++) await deliver('CustQuiet', i)
      for (let i = 1; i <= 3; i++) await deliver('CustPaused', i)
      const worker = inbox.work(webhooks, { concurrency: 4 })
      await until(() => order.length === 35, 120_000, 'the running tenants')
      // Turns: each quiet event ran within its round, not after the flood; the flood never ran
      // more than two at once although the worker had four slots.
      for (let k = 1; k <= 5; k++) expect(order.indexOf(`CustQuiet#${k}`) + 1).toBeLessThanOrEqual(2 * k + 4)
      expect(mostOfOne).toBeLessThanOrEqual(2)
      expect(order.some((o) => o.startsWith('CustPaused#'))).toBe(false)
      expect((await inbox.stats({ byTenant: true })).tenants.CustPaused).toMatchObject({ parked: 3 })
      expect(await inbox.resumeTenant('CustPaused')).toBe(3)
      await until(() => order.length === 38, 120_000, 'the resumed tenant')
      await worker.close()
      expect(new Set(order).size).toBe(38)
      // Purge: a paused tenant's stored work is removed, and said how much.
      await inbox.pauseTenant('CustGone')
      for (let i = 1; i <= 4; i++) await deliver('CustGone', i)
      const restart = inbox.work(webhooks, { concurrency: 2 })
      await until(async () => (await inbox.stats({ byTenant: true })).tenants.CustGone?.parked === 4, 60_000, 'parked')
      expect(await inbox.purgeTenant('CustGone')).toMatchObject({ delayed: 4, total: 4 })
      await restart.close()
      expect(order.some((o) => o.startsWith('CustGone#'))).toBe(false)
    } finally {
      await webhooks.close()
      client.disconnect()
    }
  })

  it('coalescing and ordered work on the cluster: a burst for one row runs once, with every change and the newest body', async () => {
    const client = connect()
    const inbox = createBullMQInbox({
      connection: client,
      prefix: '{superoffice}',
      queueName: `cluster-coalesce-${major}`,
      logger: false,
      fairness: 'tenant',
      orderBy: 'entity',
      coalesce: { delayMs: 200, maxDelayMs: 5_000 },
    })
    const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
    const seen: { changes: string[]; heading: unknown; merged: number | undefined }[] = []
    webhooks.on('sale.changed', (event, { coalesced }) => {
      seen.push({
        changes: [...event.Changes],
        heading: (event as { Heading?: unknown }).Heading,
        merged: coalesced?.count,
      })
    })
    try {
      const base = Date.now()
      for (const [i, field] of ['heading', 'amount', 'stage'].entries()) {
        const event = createTestEvent('sale.changed', {
          ContextIdentifier: 'CustRow',
          PrimaryKey: 7,
          Changes: [field],
          Timestamp: new Date(base + i * 1000).toISOString(),
        })
        const { body, headers } = signedPayload({ ...event, Heading: `v${i}` }, { secret })
        expect((await webhooks.handle({ rawBody: body, headers })).status).toBe(200)
      }
      const worker = inbox.work(webhooks, { concurrency: 2 })
      await until(() => seen.length >= 1, 60_000, 'the merged job')
      await sleep(500)
      await worker.close()
      expect(seen).toHaveLength(1)
      expect(seen[0]?.changes.sort()).toEqual(['amount', 'heading', 'stage'])
      expect(seen[0]?.heading).toBe('v2')
      expect(seen[0]?.merged).toBe(3)
    } finally {
      await webhooks.close()
      client.disconnect()
    }
  })

  it('two receivers and two workers on the cluster, 30% duplicates: each EventId handled once', async () => {
    const clients = [connect(), connect()]
    const downstream = await startDownstream()
    const receivers = clients.map((client) =>
      writingTo(downstream, {
        inbox: createBullMQInbox({
          connection: client,
          prefix: '{superoffice}',
          queueName: `pair-${major}`,
          logger: false,
        }),
      }),
    )
    const listening = await Promise.all(receivers.map((webhooks) => startReceiver(webhooks)))
    try {
      await Promise.all(receivers.map((webhooks) => webhooks.start({ concurrency: 5 })))
      const events = Array.from({ length: 150 }, () => createTestEvent('sale.sold'))
      const sends = [...events, ...events.slice(0, 45)]
      for (let i = 0; i < sends.length; i += 15) {
        const statuses = await Promise.all(
          sends.slice(i, i + 15).map(async (event, j) => {
            const { body, headers } = signedPayload(event, { secret })
            return (await fetch((listening[(i + j) % 2] as { url: string }).url, { method: 'POST', body, headers }))
              .status
          }),
        )
        expect(statuses.every((s) => s === 200)).toBe(true)
      }
      await until(() => downstream.received.size === 150, 60_000, 'every event downstream')
      await sleep(500)
      expect([...downstream.received.values()].every((n) => n === 1)).toBe(true)
    } finally {
      for (const receiver of listening) await receiver.close()
      for (const webhooks of receivers) await webhooks.close()
      await downstream.close()
      for (const client of clients) client.disconnect()
    }
  }, 120_000)

  // The 15 s outage scenario once (it takes 40 s): in the BullMQ 6 pass.
  if (major === '6') {
    it('the outage scenario: SuperOffice retries for 5 s, the downstream is down for 15 s: every event reaches it once', async () => {
      const client = connect()
      try {
        await outageScenario({ connection: client, prefix: '{superoffice}', queueName: 'cluster-outage' })
      } finally {
        client.disconnect()
      }
    }, 180_000)
  }

  it('the whole cluster killed: 500 inbox_unavailable meanwhile, never a 200 for an event not stored; restarted: stored events run once', async () => {
    const own = await startRedisCluster()
    const client = new Cluster(own.nodes, { redisOptions: { maxRetriesPerRequest: null } })
    client.on('error', () => {})
    const downstream = await startDownstream()
    const inbox = createBullMQInbox({
      connection: client,
      prefix: '{superoffice}',
      queueName: `cluster-restart-${major}`,
      enqueueTimeoutMs: 1000,
      logger: false,
    })
    const webhooks = writingTo(downstream, { inbox })
    const receiver = await startReceiver(webhooks)
    const answered = new Map<string, number>()
    const sent = new Map<string, ReturnType<typeof createTestEvent<'sale.sold'>>>()
    const send = async (event = createTestEvent('sale.sold')) => {
      sent.set(event.EventId, event)
      const { body, headers } = signedPayload(event, { secret })
      const response = await fetch(receiver.url, { method: 'POST', body, headers })
      answered.set(event.EventId, response.status)
      return response
    }
    try {
      await webhooks.start()
      for (let i = 0; i < 3; i++) expect((await send()).status).toBe(200)
      await until(() => downstream.received.size === 3, 30_000, 'the first events')
      await own.kill()
      for (let i = 0; i < 2; i++) {
        const refused = await send()
        expect(refused.status).toBe(500)
        expect(await refused.json()).toMatchObject({ error: 'inbox_unavailable' })
      }
      await own.restart()
      await until(async () => (await send()).status === 200, 60_000, 'the cluster to come back')
      for (let i = 0; i < 3; i++) expect((await send()).status).toBe(200)
      // SuperOffice retries what was answered 500. A timed-out add may have landed once the cluster
      // came back (the client had queued it); the retry is then dropped by its job id.
      const refusedIds = [...answered].filter(([, status]) => status === 500).map(([id]) => id)
      for (const id of refusedIds) expect((await send(sent.get(id))).status).toBe(200)
      const stored = [...answered].filter(([, status]) => status === 200).map(([id]) => id)
      await until(() => stored.every((id) => downstream.received.has(id)), 60_000, 'every stored event')
      await sleep(500)
      // Every event handled exactly once, whatever it was answered on the way.
      for (const [id, count] of downstream.received) expect(count, id).toBe(1)
    } finally {
      await receiver.close()
      await webhooks.close()
      await downstream.close()
      client.disconnect()
      await own.stop()
    }
  }, 180_000)

  it('a worker process killed with SIGKILL mid-job: the job is taken over once its lock expires', async () => {
    const client = connect()
    const queueName = `cluster-crash-${major}`
    try {
      await crashedWorkerScenario(
        { connection: client, prefix: '{superoffice}', queueName },
        { CLUSTER_NODES: JSON.stringify(cluster.nodes), QUEUE: queueName },
        major,
      )
    } finally {
      client.disconnect()
    }
  }, 120_000)
})
