// The inbox scenarios every engine runs (Redis, Redis Cluster, PostgreSQL), written once.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { createTestEvent, signedPayload, simulateSuperOffice } from '@superoffice-webhooks/testing'
import { expect } from 'vitest'
import type { BullMQInboxOptions } from '../src/index.js'
import { createBullMQInbox } from '../src/index.js'
import { secret, sleep, startDownstream, startReceiver, until, writingTo } from './helpers.js'

const workerScript = fileURLToPath(new URL('./fixtures/worker.mjs', import.meta.url))
const hook = fileURLToPath(new URL('./fixtures/bullmq6-hook.mjs', import.meta.url))

/**
 * SuperOffice sends 200 events at 5/s with its retry rules while the handlers' downstream is down
 * for 15 s: every event reaches the downstream exactly once and the webhook stays Active.
 */
export async function outageScenario(inboxOptions: BullMQInboxOptions): Promise<void> {
  const downstream = await startDownstream()
  const inbox = createBullMQInbox({
    attempts: 100,
    backoff: { type: 'fixed', delay: 1000 },
    logger: false,
    ...inboxOptions,
  })
  const webhooks = writingTo(downstream, { inbox })
  const receiver = await startReceiver(webhooks)
  try {
    await webhooks.start({ concurrency: 10 })
    const outage = (async () => {
      await sleep(5_000)
      downstream.down = true
      await sleep(15_000)
      downstream.down = false
    })()
    const report = await simulateSuperOffice(receiver.url, { secret, rate: 5, events: 200 })
    await outage
    await until(() => downstream.received.size === 200, 90_000, 'every event downstream')
    expect(report).toMatchObject({ events: 200, delivered: 200, discarded: 0, notSent: 0, state: 'Active' })
    expect([...downstream.received.values()].every((n) => n === 1)).toBe(true)
  } finally {
    await receiver.close()
    await webhooks.close()
    await downstream.close()
  }
}

/**
 * A worker process (test/fixtures/worker.mjs, from the built package) hangs in a job and is killed
 * with SIGKILL; the next worker takes the job over once its lock expires and finishes it once.
 * `env` tells the worker where the queue is (REDIS_URL or CLUSTER_NODES, and QUEUE).
 */
export async function crashedWorkerScenario(
  inboxOptions: BullMQInboxOptions,
  env: Record<string, string>,
  major: string,
): Promise<void> {
  const downstream = await startDownstream()
  const inbox = createBullMQInbox({ logger: false, ...inboxOptions })
  const receiver = await startReceiver(createSuperOfficeWebhooks({ secret, logger: false, inbox }))
  const startWorker = (hang: boolean) => {
    // In the BullMQ 6 pass the worker's `import 'bullmq'` is pointed at BullMQ 6 as well.
    const child = spawn(process.execPath, [...(major === '6' ? ['--import', hook] : []), workerScript], {
      env: { ...process.env, ...env, DOWNSTREAM_URL: downstream.url, HANG: hang ? '1' : '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', (c) => String(c).includes('ready') && resolve()),
    )
    return { child, ready }
  }
  const first = startWorker(true)
  try {
    await first.ready
    const event = createTestEvent('sale.sold')
    const { body, headers } = signedPayload(event, { secret })
    expect((await fetch(receiver.url, { method: 'POST', body, headers })).status).toBe(200)
    await until(() => downstream.log.includes(`start:${event.EventId}`), 30_000, 'the first worker to start')
    first.child.kill('SIGKILL')
    const second = startWorker(false)
    try {
      await until(() => downstream.log.includes(`done:${event.EventId}`), 60_000, 'the second worker')
      await sleep(500)
      expect(downstream.log.filter((l) => l === `done:${event.EventId}`)).toHaveLength(1)
      expect(await inbox.stats()).toMatchObject({ completed: 1, failed: 0, active: 0 })
    } finally {
      second.child.kill('SIGTERM')
    }
  } finally {
    first.child.kill('SIGKILL')
    await receiver.close()
    await downstream.close()
    await inbox.close()
  }
}
